package auth

import (
	"fmt"
	"sort"
	"strings"
	"sync"
)

// The statuses a check ends with. They are part of the JSON contract
// (docs/verify.md) and never renamed.
const (
	statusPass = "pass"
	statusWarn = "warn"
	statusFail = "fail"
	statusSkip = "skip"
)

// The endpoint classes checks belong to, in report order. Also part of the
// JSON contract.
const (
	endpointConfig    = "config"
	endpointIndex     = "index"
	endpointDownload  = "download"
	endpointAPI       = "api"
	endpointGit       = "git"
	endpointTransport = "transport"
)

var endpointOrder = []string{endpointConfig, endpointIndex, endpointDownload, endpointAPI, endpointGit, endpointTransport}

// maxDetails bounds the per-request details a check keeps, so an audit of
// thousands of crates reports the first few offenders and a count.
const maxDetails = 20

// checkResult is one check of the report.
type checkResult struct {
	ID       string `json:"id"`
	Endpoint string `json:"endpoint"`
	Status   string `json:"status"`
	// URL is the endpoint the check is about, redacted; a template or a
	// root when the check covers many requests.
	URL     string `json:"url"`
	Message string `json:"message"`
	// Attack says what someone can do because the check failed; set for
	// fail and warn.
	Attack string `json:"attack,omitempty"`
	// Remediation says how to fix it; set for fail and warn.
	Remediation string `json:"remediation,omitempty"`
	// Details name the requests behind a fail or warn, at most maxDetails.
	Details []checkDetail `json:"details,omitempty"`
	// DetailsOmitted counts the details left out beyond maxDetails.
	DetailsOmitted int `json:"details_omitted,omitempty"`
	// Requests is how many requests the check judged.
	Requests int `json:"requests"`
}

// checkDetail is one request behind a finding.
type checkDetail struct {
	URL string `json:"url"`
	// Status is the HTTP status, 0 when there was no answer.
	Status  int    `json:"status,omitempty"`
	Message string `json:"message"`
}

// checkSet collects the results of an audit; safe for concurrent use.
type checkSet struct {
	mu      sync.Mutex
	results map[string]*checkResult
}

func newCheckSet() *checkSet { return &checkSet{results: map[string]*checkResult{}} }

// add records a result. The catalog fills in the endpoint and, for fail and
// warn, the attack and remediation unless the result brings its own.
func (s *checkSet) add(r checkResult) {
	info := checkCatalog[r.ID]
	if info.ID == "" {
		panic("verify: check " + r.ID + " is not in the catalog")
	}
	r.Endpoint = info.Endpoint
	if r.Status == statusFail || r.Status == statusWarn {
		if r.Attack == "" {
			r.Attack = info.Attack
		}
		if r.Remediation == "" {
			r.Remediation = info.Fix
		}
	} else {
		r.Attack, r.Remediation = "", ""
	}
	if len(r.Details) > maxDetails {
		r.DetailsOmitted += len(r.Details) - maxDetails
		r.Details = r.Details[:maxDetails]
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.results[r.ID] = &r
}

// skip records a check that did not run, and why.
func (s *checkSet) skip(id, url, why string) {
	s.add(checkResult{ID: id, Status: statusSkip, URL: url, Message: why})
}

// sorted returns the results in report order: by endpoint, then in catalog
// order within an endpoint.
func (s *checkSet) sorted() []checkResult {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]checkResult, 0, len(s.results))
	for _, r := range s.results {
		out = append(out, *r)
	}
	sort.Slice(out, func(i, j int) bool {
		return checkCatalog[out[i].ID].order < checkCatalog[out[j].ID].order
	})
	return out
}

// tally judges many requests for one check: each request passes, warns or
// fails, and the check takes the worst.
type tally struct {
	mu       sync.Mutex
	total    int
	fails    []checkDetail
	warns    []checkDetail
	statuses map[int]int
}

func newTally() *tally { return &tally{statuses: map[int]int{}} }

func (t *tally) record(verdict string, d checkDetail) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.total++
	t.statuses[d.Status]++
	switch verdict {
	case statusFail:
		t.fails = append(t.fails, d)
	case statusWarn:
		t.warns = append(t.warns, d)
	}
}

// status is the worst verdict recorded; skip when nothing was recorded.
func (t *tally) status() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	switch {
	case t.total == 0:
		return statusSkip
	case len(t.fails) > 0:
		return statusFail
	case len(t.warns) > 0:
		return statusWarn
	}
	return statusPass
}

// result turns the tally into a check result with the message for its
// status: pass is "<n> <what> <passed>", fail and warn "<k> of <n> <what> ...".
func (t *tally) result(id, url, what string, msgs tallyMessages) checkResult {
	status := t.status()
	t.mu.Lock()
	defer t.mu.Unlock()
	r := checkResult{ID: id, Status: status, URL: url, Requests: t.total}
	switch status {
	case statusPass:
		r.Message = fmt.Sprintf("%s %s %s", countOf(t.total, what), msgs.pass, statusList(t.statuses))
		r.Message = strings.TrimSpace(r.Message)
	case statusFail:
		r.Message = fmt.Sprintf("%d of %s %s", len(t.fails), countOf(t.total, what), msgs.fail)
		r.Details = append(append([]checkDetail(nil), t.fails...), t.warns...)
	case statusWarn:
		r.Message = fmt.Sprintf("%d of %s %s", len(t.warns), countOf(t.total, what), msgs.warn)
		r.Details = append([]checkDetail(nil), t.warns...)
	}
	sort.SliceStable(r.Details, func(i, j int) bool { return r.Details[i].URL < r.Details[j].URL })
	return r
}

// tallyMessages are the verb phrases a tally's message ends with.
type tallyMessages struct{ pass, fail, warn string }

func countOf(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	if strings.HasSuffix(what, "y") {
		return fmt.Sprintf("%d %sies", n, strings.TrimSuffix(what, "y"))
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// statusList renders the statuses seen as "(401)" or "(401, 403)".
func statusList(statuses map[int]int) string {
	var codes []int
	for code := range statuses {
		if code != 0 {
			codes = append(codes, code)
		}
	}
	if len(codes) == 0 {
		return ""
	}
	sort.Ints(codes)
	parts := make([]string, len(codes))
	for i, c := range codes {
		parts[i] = fmt.Sprint(c)
	}
	return "(" + strings.Join(parts, ", ") + ")"
}
