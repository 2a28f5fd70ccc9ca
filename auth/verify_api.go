package auth

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
)

// apiRun probes the web API: the read endpoints three ways, the mutating
// ones anonymously and with a bogus token only, always with a crate that
// does not exist and, where there is a body, an invalid one, so that even a
// registry that lets everyone in changes nothing.
type apiRun struct {
	a       *audit
	api     string
	mu      sync.Mutex
	results map[string]probeResult
	// known is a crate known to exist, "" when none.
	known, missing string
}

// mutation is one state-changing endpoint and how to probe it harmlessly.
type mutation struct {
	id     string // check id prefix: api.<name>
	method string
	path   string
	body   []byte
}

func (r *apiRun) mutations() []mutation {
	invalidPublish := binary.LittleEndian.AppendUint32(nil, 0xfffffff0)
	invalidPublish = append(invalidPublish, '{')
	invalidOwners := []byte(`{"users": [`)
	crate := url.PathEscape(r.missing)
	return []mutation{
		{"api.publish", http.MethodPut, "/api/v1/crates/new", invalidPublish},
		{"api.yank", http.MethodDelete, "/api/v1/crates/" + crate + "/" + missingVersion + "/yank", nil},
		{"api.unyank", http.MethodPut, "/api/v1/crates/" + crate + "/" + missingVersion + "/unyank", nil},
		{"api.owners-add", http.MethodPut, "/api/v1/crates/" + crate + "/owners", invalidOwners},
		{"api.owners-remove", http.MethodDelete, "/api/v1/crates/" + crate + "/owners", invalidOwners},
	}
}

func (a *audit) apiTasks() (*apiRun, []func(context.Context)) {
	r := &apiRun{a: a, results: map[string]probeResult{}, missing: missingName()}
	if a.config == nil || a.config.API == "" {
		return r, nil
	}
	r.api = strings.TrimSuffix(a.config.API, "/")
	if len(a.specs) > 0 {
		r.known = a.specs[0].Name
	}
	searchURL := apiSearch(r.api, searchQuery(r.known)).URL
	ownersOf := func(name string) string { return apiOwners(r.api, name).URL }
	owners := ownersOf(r.missing)
	if r.known != "" {
		owners = ownersOf(r.known)
	}
	var tasks []func(context.Context)
	get := func(key, target, cred string) {
		tasks = append(tasks, func(ctx context.Context) {
			r.keep(key, a.probe(ctx, endpointAPI, request{URL: target, Header: jsonAccept()}, cred))
		})
	}
	get("search.anonymous", searchURL, "")
	get("search.bogus-token", searchURL, a.bogus)
	get("owners.anonymous", owners, "")
	get("owners.bogus-token", owners, a.bogus)
	if r.known != "" {
		get("owners.missing", ownersOf(r.missing), "")
	}
	if a.auth != "" && a.mayCarryToken(r.api) {
		get("search.token", searchURL, a.auth)
		if r.known != "" {
			get("owners.token", owners, a.auth)
		}
	}
	for _, m := range r.mutations() {
		for _, cred := range []struct{ key, value string }{{"anonymous", ""}, {"bogus-token", a.bogus}} {
			tasks = append(tasks, func(ctx context.Context) {
				header := jsonAccept()
				if m.body != nil {
					header.Set("Content-Type", "application/json")
				}
				r.keep(m.id+"."+cred.key, a.probe(ctx, endpointAPI, request{Method: m.method, URL: r.api + m.path, Body: m.body, Header: header}, cred.value))
			})
		}
	}
	return r, tasks
}

func jsonAccept() http.Header { return http.Header{"Accept": {"application/json"}} }

func (r *apiRun) keep(key string, p probeResult) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.results[key] = p
}

// finish adds the API checks.
func (r *apiRun) finish() {
	a := r.a
	ids := []string{"api.search.anonymous", "api.search.bogus-token", "api.search.token",
		"api.owners.anonymous", "api.owners.bogus-token", "api.owners.token", "api.enumeration"}
	for _, m := range r.mutations() {
		ids = append(ids, m.id+".anonymous", m.id+".bogus-token")
	}
	switch {
	case a.config == nil:
		for _, id := range ids {
			a.checks.skip(id, "", "skipped: "+a.configWhy)
		}
		return
	case r.api == "":
		for _, id := range ids {
			a.checks.skip(id, "", "skipped: config.json names no web API")
		}
		return
	}
	for _, key := range []string{"search", "owners"} {
		for _, cred := range []string{"anonymous", "bogus-token"} {
			p := r.results[key+"."+cred]
			status, d := refusalVerdict(p, false)
			a.checks.add(checkResult{ID: "api." + key + "." + cred, Status: status, URL: redactedURL(p.url), Requests: 1,
				Message: credLabel(cred) + ": " + d.Message})
		}
	}
	r.tokenChecks()
	missing := shapeSample{probe: r.results["owners.missing"]}
	if r.known == "" {
		a.checks.skip("api.enumeration", "", "skipped: "+a.noCratesReason())
	} else {
		existing := r.results["owners.anonymous"]
		exist := shapeSample{probe: existing, served: existing.answered() && isSuccess(existing.resp.Status),
			shape: answerShape(existing, r.known, "", "")}
		missing.shape = answerShape(missing.probe, r.missing, "", "")
		a.checks.add(enumerationResult("api.enumeration", redactedURL(r.api+"/api/v1/crates/{crate}/owners"), "api.owners.anonymous", "crate",
			[]shapeSample{exist}, []shapeSample{missing}, ""))
	}
	for _, m := range r.mutations() {
		anon := r.results[m.id+".anonymous"]
		status, msg := mutationVerdict(anon, nil)
		a.checks.add(checkResult{ID: m.id + ".anonymous", Status: status, URL: redactedURL(anon.url), Requests: 1,
			Message: "anonymous " + m.method + ": " + msg})
		bogus := r.results[m.id+".bogus-token"]
		status, msg = mutationVerdict(bogus, &anon)
		a.checks.add(checkResult{ID: m.id + ".bogus-token", Status: status, URL: redactedURL(bogus.url), Requests: 1,
			Message: "bogus token " + m.method + ": " + msg})
	}
}

func (r *apiRun) tokenChecks() {
	a := r.a
	switch {
	case a.auth == "":
		a.checks.skip("api.search.token", "", noTokenReason)
		a.checks.skip("api.owners.token", "", noTokenReason)
		return
	case !a.mayCarryToken(r.api):
		why := "skipped: not sent: the API is on another origin than the index (see api.origin); trust it with --trust-origin to test it"
		a.checks.skip("api.search.token", "", why)
		a.checks.skip("api.owners.token", "", why)
		return
	}
	p := r.results["search.token"]
	status, d := acceptVerdict(p, validJSONKey("crates"))
	a.checks.add(checkResult{ID: "api.search.token", Status: status, URL: redactedURL(p.url), Requests: 1, Message: "with the token: " + d.Message})
	if r.known == "" {
		a.checks.skip("api.owners.token", "", "skipped: "+a.noCratesReason())
		return
	}
	p = r.results["owners.token"]
	status, d = acceptVerdict(p, validJSONKey("users"))
	a.checks.add(checkResult{ID: "api.owners.token", Status: status, URL: redactedURL(p.url), Requests: 1, Message: "with the token: " + d.Message})
}

// mutationVerdict judges a probe of a state-changing endpoint. A refusal
// passes. An answer that shows the request got past authentication (2xx,
// or a validation error about the invalid body, or a bogus token answered
// differently from an anonymous request that was refused) fails. Anything
// else (404 for the missing crate, 405) warns: it refused nothing, but
// proves nothing either.
func mutationVerdict(p probeResult, anon *probeResult) (string, string) {
	switch {
	case !p.answered():
		return statusFail, p.noAnswer()
	case isRefusal(p.resp.Status, false):
		return statusPass, fmt.Sprintf("refused (%d)", p.resp.Status)
	case isSuccess(p.resp.Status):
		return statusFail, fmt.Sprintf("accepted (%d)", p.resp.Status)
	case p.resp.Status == 400 || p.resp.Status == 413 || p.resp.Status == 415 || p.resp.Status == 422:
		return statusFail, fmt.Sprintf("answered %d: the registry read the invalid body before checking credentials", p.resp.Status)
	case anon != nil && anon.answered() && isRefusal(anon.resp.Status, false):
		return statusFail, fmt.Sprintf("answered %d where an anonymous request was refused (%d): the bogus token got past authentication", p.resp.Status, anon.resp.Status)
	}
	return statusWarn, fmt.Sprintf("answered %d, not 401 or 403: the registry may look the crate up before checking credentials", p.resp.Status)
}

// validJSONKey checks that an answer is a JSON object with key.
func validJSONKey(key string) func(*response) string {
	return func(resp *response) string {
		var obj map[string]json.RawMessage
		if json.Unmarshal(resp.Body, &obj) != nil {
			return "the answer is not a JSON object"
		}
		if _, ok := obj[key]; !ok {
			return fmt.Sprintf("the answer has no %q", key)
		}
		return ""
	}
}

func credLabel(cred string) string {
	if cred == "anonymous" {
		return "anonymous request"
	}
	return "a bogus token"
}
