package auth

import (
	"context"
	"encoding/hex"
	"fmt"
	"net/url"
	"strings"
	"sync"
)

// maxDownload bounds one .crate download; it is hashed as it streams, so
// the limit costs time, not memory.
const maxDownload = 512 << 20

// downloadRun probes the dl URL of every crate version the audit knows,
// three ways, and checks what the real token downloads.
type downloadRun struct {
	a                 *audit
	anon, bogus, tok  *tally
	checksum          *tally
	redirects         *tally
	mu                sync.Mutex
	existing, missing []shapeSample
	unexpandable      []string
	tokenSent         bool
}

func (a *audit) downloadTasks() (*downloadRun, []func(context.Context)) {
	r := &downloadRun{a: a, anon: newTally(), bogus: newTally(), tok: newTally(), checksum: newTally(), redirects: newTally()}
	if a.config == nil {
		return r, nil
	}
	var tasks []func(context.Context)
	for i := range a.specs {
		spec := a.specs[i]
		if spec.Version == "" {
			continue
		}
		dlURL, err := expandDL(a.config.DL, spec.Name, spec.Version, spec.Checksum)
		if err != nil {
			r.unexpandable = append(r.unexpandable, spec.Name)
			continue
		}
		tasks = append(tasks, func(ctx context.Context) {
			p := a.probe(ctx, endpointDownload, request{URL: dlURL}, "")
			verdict, d := refusalVerdict(p, true)
			r.anon.record(verdict, d)
			r.sample(&r.existing, p, spec.Name, spec.Version, dlURL)
		}, func(ctx context.Context) {
			verdict, d := refusalVerdict(a.probe(ctx, endpointDownload, request{URL: dlURL}, a.bogus), true)
			r.bogus.record(verdict, d)
		})
		if a.auth != "" && a.mayCarryToken(dlURL) {
			r.tokenSent = true
			tasks = append(tasks, func(ctx context.Context) { r.withToken(ctx, spec, dlURL) })
		}
	}
	if len(tasks) > 0 {
		first := a.specs[0]
		for _, probe := range [][2]string{{first.Name, missingVersion}, {missingName(), "0.1.0"}} {
			name, version := probe[0], probe[1]
			cksum := strings.Repeat("0", 64)
			dlURL, err := expandDL(a.config.DL, name, version, cksum)
			if err != nil {
				continue
			}
			tasks = append(tasks, func(ctx context.Context) {
				r.sample(&r.missing, a.probe(ctx, endpointDownload, request{URL: dlURL}, ""), name, version, dlURL)
			})
		}
	}
	return r, tasks
}

func (r *downloadRun) sample(into *[]shapeSample, p probeResult, name, version, dlURL string) {
	path := dlURL
	if u, err := url.Parse(dlURL); err == nil {
		path = u.Path
	}
	s := shapeSample{label: name + "@" + version, shape: answerShape(p, name, version, path), probe: p,
		served: p.answered() && isSuccess(p.resp.Status)}
	r.mu.Lock()
	defer r.mu.Unlock()
	*into = append(*into, s)
}

// withToken downloads one version as cargo would and judges the bytes and
// the redirects on the way.
func (r *downloadRun) withToken(ctx context.Context, spec crateSpec, dlURL string) {
	a := r.a
	resp, err := a.send(ctx, endpointDownload, request{URL: dlURL, Authorization: a.auth, Hash: true, MaxBody: maxDownload})
	p := probeResult{url: dlURL, resp: resp, err: err}
	verdict, d := acceptVerdict(p, nil)
	r.tok.record(verdict, d)
	if verdict != statusPass {
		return
	}
	shown := redactedURL(dlURL)
	got := hex.EncodeToString(resp.SHA256)
	switch {
	case spec.Checksum == "":
		r.checksum.record(statusWarn, checkDetail{URL: shown, Status: resp.Status,
			Message: fmt.Sprintf("%s@%s has no checksum in the index to compare with", spec.Name, spec.Version)})
	case !strings.EqualFold(got, spec.Checksum):
		r.checksum.record(statusFail, checkDetail{URL: shown, Status: resp.Status,
			Message: fmt.Sprintf("%s@%s: the %d bytes served hash to %s…, the index says %s…", spec.Name, spec.Version, resp.Size, got[:12], short(spec.Checksum))})
	case spec.LockChecksum != "" && !strings.EqualFold(spec.LockChecksum, spec.Checksum):
		r.checksum.record(statusFail, checkDetail{URL: shown, Status: resp.Status,
			Message: fmt.Sprintf("%s@%s: Cargo.lock records %s…, the index now says %s…", spec.Name, spec.Version, short(spec.LockChecksum), short(spec.Checksum))})
	default:
		r.checksum.record(statusPass, checkDetail{URL: shown, Status: resp.Status})
	}
	dlOrigin := urlOrigin(mustParse(dlURL))
	hops := append(append([]*url.URL(nil), resp.Redirects...), resp.URL)
	offOrigin := ""
	for _, hop := range hops[1:] {
		if o := urlOrigin(hop); o != dlOrigin && o != a.origin() && !a.trusted[o] {
			offOrigin = o
		}
	}
	if offOrigin != "" {
		r.redirects.record(statusFail, checkDetail{URL: shown, Status: resp.Status,
			Message: fmt.Sprintf("redirected to %s, which cargo does not send the token to; it served the crate (%d) to a request without credentials", displayOrigin(offOrigin), resp.Status)})
	} else {
		r.redirects.record(statusPass, checkDetail{URL: shown, Status: resp.Status})
	}
}

func short(sum string) string {
	if len(sum) > 12 {
		return sum[:12]
	}
	return sum
}

func mustParse(raw string) *url.URL {
	u, err := url.Parse(raw)
	if err != nil {
		return &url.URL{}
	}
	return u
}

// finish adds the download checks.
func (r *downloadRun) finish() {
	a := r.a
	if a.config == nil {
		for _, id := range []string{"download.anonymous", "download.bogus-token", "download.token", "download.checksum", "download.enumeration", "download.redirect"} {
			a.checks.skip(id, "", "skipped: "+a.configWhy)
		}
		return
	}
	tmpl := redactedURL(a.config.DL)
	noVersions := "skipped: " + a.noVersionsReason(r.unexpandable)
	if r.anon.status() == statusSkip {
		for _, id := range []string{"download.anonymous", "download.bogus-token", "download.token", "download.checksum", "download.redirect"} {
			a.checks.skip(id, tmpl, noVersions)
		}
		a.checks.add(enumerationResult("download.enumeration", tmpl, "download.anonymous", "crate version", nil, nil, noVersions))
		return
	}
	a.checks.add(r.anon.result("download.anonymous", tmpl, "download",
		tallyMessages{pass: "refused anonymous requests", fail: "served anonymous requests", warn: "gave odd answers to anonymous requests"}))
	a.checks.add(r.bogus.result("download.bogus-token", tmpl, "download",
		tallyMessages{pass: "refused a bogus token", fail: "accepted a bogus token", warn: "gave odd answers to a bogus token"}))
	a.checks.add(enumerationResult("download.enumeration", tmpl, "download.anonymous", "crate version", r.existing, r.missing, noVersions))
	switch {
	case a.auth == "":
		for _, id := range []string{"download.token", "download.checksum", "download.redirect"} {
			a.checks.skip(id, tmpl, noTokenReason)
		}
		return
	case !r.tokenSent:
		why := "skipped: not sent: dl is on another origin than the index (see download.origin); trust it with --trust-origin to test it"
		for _, id := range []string{"download.token", "download.checksum", "download.redirect"} {
			a.checks.skip(id, tmpl, why)
		}
		return
	}
	a.checks.add(r.tok.result("download.token", tmpl, "download",
		tallyMessages{pass: "served with the token", fail: "failed with the token", warn: "failed with the token"}))
	if r.checksum.status() == statusSkip {
		a.checks.skip("download.checksum", tmpl, "skipped: no download succeeded (see download.token)")
		a.checks.skip("download.redirect", tmpl, "skipped: no download succeeded (see download.token)")
		return
	}
	a.checks.add(r.checksum.result("download.checksum", tmpl, "download",
		tallyMessages{pass: "matched the index's checksum", fail: "did not match the checksum they should have", warn: "could not be compared with a checksum"}))
	a.checks.add(r.redirects.result("download.redirect", tmpl, "download",
		tallyMessages{pass: "stayed on the registry's origins", fail: "were redirected to another origin"}))
}

// noVersionsReason says why no download could be probed.
func (a *audit) noVersionsReason(unexpandable []string) string {
	switch {
	case len(a.specs) == 0:
		return a.noCratesReason()
	case len(unexpandable) > 0:
		return "the dl template needs the {sha256-checksum} of each version, which only the index has: give a token, or use --crates-from Cargo.lock"
	case a.auth == "":
		return "no version known: name crates as NAME@VERSION, or give a token so the index can tell"
	}
	return "no version of the named crates was found in the index (see index.token)"
}

// locationChecks judge where config.json sends cargo: dl and api origins
// and schemes.
func (a *audit) locationChecks() {
	if a.config == nil {
		for _, id := range []string{"download.origin", "transport.dl-https", "api.origin", "transport.api-https"} {
			a.checks.skip(id, "", "skipped: "+a.configWhy)
		}
		return
	}
	a.judgeLocation("download.origin", "transport.dl-https", "dl", a.config.DL, "with every download")
	if a.config.API == "" {
		a.checks.skip("api.origin", "", "skipped: config.json names no web API")
		a.checks.skip("transport.api-https", "", "skipped: config.json names no web API")
		return
	}
	a.judgeLocation("api.origin", "transport.api-https", "api", a.config.API, "with every API call (search, publish, yank, owners)")
}

func (a *audit) judgeLocation(originID, httpsID, key, raw, when string) {
	shown := redactedURL(raw)
	u, err := url.Parse(strings.ReplaceAll(raw, "{", "%7B"))
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		a.checks.add(checkResult{ID: originID, Status: statusFail, URL: shown, Requests: 1,
			Message: fmt.Sprintf("%s in config.json is not an absolute http(s) URL", key), Attack: "none: cargo cannot use it"})
		a.checks.skip(httpsID, shown, "skipped: "+key+" is not a URL")
		return
	}
	origin := urlOrigin(u)
	switch {
	case origin == a.origin():
		a.checks.add(checkResult{ID: originID, Status: statusPass, URL: shown, Requests: 1,
			Message: fmt.Sprintf("%s is on the index's origin (%s)", key, displayOrigin(origin))})
	case a.trusted[origin]:
		a.checks.add(checkResult{ID: originID, Status: statusPass, URL: shown, Requests: 1,
			Message: fmt.Sprintf("%s is on %s, trusted with --trust-origin", key, displayOrigin(origin))})
	default:
		a.checks.add(checkResult{ID: originID, Status: statusFail, URL: shown, Requests: 1,
			Message: fmt.Sprintf("%s names %s, another origin than the index (%s): cargo sends the registry token there %s", key, displayOrigin(origin), displayOrigin(a.origin()), when)})
	}
	if cleartextRisk(u, a.target.Base) {
		a.checks.add(checkResult{ID: httpsID, Status: statusFail, URL: shown, Requests: 1,
			Message: fmt.Sprintf("%s uses plain http on %s: cargo sends the token %s in clear text", key, u.Hostname(), when)})
	} else {
		a.checks.add(checkResult{ID: httpsID, Status: statusPass, URL: shown, Requests: 1,
			Message: fmt.Sprintf("%s uses %s", key, schemeDescription(u, a.target.Base))})
	}
}

func schemeDescription(u, index *url.URL) string {
	if u.Scheme == "https" {
		return "https"
	}
	return "plain http on loopback, like the index"
}
