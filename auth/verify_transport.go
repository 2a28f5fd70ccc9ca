package auth

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/cargo-auth/cargo-auth/internal/redact"
)

// observations are what the audit notices across all requests: echoed
// credentials, downgrading redirects, and answers that never completed.
type observations struct {
	mu         sync.Mutex
	echoes     []checkDetail
	downgrades []checkDetail
	answers    []checkDetail
	seenHops   map[string]bool
	total      int
}

func newObservations() *observations { return &observations{seenHops: map[string]bool{}} }

// see records one request's outcome.
func (o *observations) see(a *audit, class string, req request, resp *response, err error) {
	o.mu.Lock()
	o.total++
	o.mu.Unlock()
	if err != nil {
		o.answer(class, req.URL, err)
	}
	if resp == nil {
		return
	}
	if which := a.echoed(resp); which != "" {
		o.mu.Lock()
		o.echoes = append(o.echoes, checkDetail{URL: redactedURL(req.URL), Status: resp.Status,
			Message: fmt.Sprintf("the %s answer repeats %s", class, which)})
		o.mu.Unlock()
	}
	hops := append(append([]*url.URL(nil), resp.Redirects...), resp.URL)
	for i := 1; i < len(hops); i++ {
		if hops[i-1].Scheme == "https" && hops[i].Scheme == "http" {
			key := urlOrigin(hops[i-1]) + ">" + urlOrigin(hops[i])
			o.mu.Lock()
			if !o.seenHops[key] {
				o.seenHops[key] = true
				o.downgrades = append(o.downgrades, checkDetail{URL: redactedURL(hops[i-1].String()),
					Message: fmt.Sprintf("redirects to %s (plain http)", redactedURL(hops[i].String()))})
			}
			o.mu.Unlock()
		}
	}
}

// answer records a request that got no complete answer.
func (o *observations) answer(class, rawURL string, err error) {
	var what string
	switch {
	case errors.Is(err, errTimedOut):
		what = "timed out"
	case errors.Is(err, errBodyTooLarge):
		what = "body over the size limit"
	case errors.Is(err, errTooManyRedirects):
		what = "redirect loop"
	case errors.Is(err, errSkippedAfterTimeouts):
		what = "not sent after repeated timeouts"
	default:
		what = trimURLPrefix(err.Error(), rawURL)
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	o.answers = append(o.answers, checkDetail{URL: redactedURL(rawURL), Message: class + ": " + what})
}

// echoed names the credential an answer repeats, if any: its headers and
// the beginning of its body are searched for the real token (as sent and
// as the bare secret) and the bogus one.
func (a *audit) echoed(resp *response) string {
	contains := func(secret string) bool {
		if len(secret) < 8 {
			return false
		}
		if bytes.Contains(resp.Body, []byte(secret)) {
			return true
		}
		for _, vs := range resp.Header {
			for _, v := range vs {
				if strings.Contains(v, secret) {
					return true
				}
			}
		}
		return false
	}
	if a.token != nil {
		for _, s := range []string{a.token.token.Reveal(), a.token.header, a.auth} {
			if contains(s) {
				return "the real token"
			}
		}
	}
	if contains(a.bogusRaw) {
		return "the bogus token it was sent"
	}
	return ""
}

// transportStatic judges the index URL itself.
func (a *audit) transportStatic() {
	base := a.target.Base
	shown := redactedURL(a.target.IndexURL)
	if cleartextRisk(base, base) {
		a.checks.add(checkResult{ID: "transport.index-https", Status: statusFail, URL: shown,
			Message: fmt.Sprintf("the index is served over plain http on %s", base.Hostname())})
	} else {
		a.checks.add(checkResult{ID: "transport.index-https", Status: statusPass, URL: shown,
			Message: indexSchemeMessage(base)})
	}
	var found []string
	if raw, err := url.Parse(strings.TrimPrefix(a.target.IndexURL, "sparse+")); err == nil {
		if raw.User != nil {
			if _, hasPassword := raw.User.Password(); hasPassword || redact.LooksLikeToken(raw.User.Username()) {
				found = append(found, "credentials in its user info")
			}
		}
		for _, seg := range strings.Split(raw.Path, "/") {
			if redact.LooksLikeToken(seg) {
				found = append(found, "a path segment that looks like a token")
				break
			}
		}
	}
	if len(found) > 0 {
		a.checks.add(checkResult{ID: "transport.url-credentials", Status: statusFail, URL: shown, Requests: 0,
			Message: "the index URL carries " + strings.Join(found, " and ") + ": every request carries it, the anonymous probes of this audit included, and cargo writes it into Cargo.lock"})
	} else {
		a.checks.add(checkResult{ID: "transport.url-credentials", Status: statusPass, URL: shown,
			Message: "the index URL carries no credential"})
	}
}

func indexSchemeMessage(base *url.URL) string {
	if base.Scheme == "https" {
		return "the index is served over https"
	}
	return "the index is plain http on loopback (a local registry)"
}

// transportDynamic judges what the requests showed.
func (a *audit) transportDynamic() {
	o := a.obs
	o.mu.Lock()
	defer o.mu.Unlock()
	shown := redactedURL(a.target.IndexURL)
	add := func(id string, findings []checkDetail, what, failMsg, passMsg string) {
		if len(findings) > 0 {
			a.checks.add(checkResult{ID: id, Status: statusFail, URL: shown, Requests: o.total,
				Message: countOf(len(findings), what) + " " + failMsg, Details: append([]checkDetail(nil), findings...)})
			return
		}
		a.checks.add(checkResult{ID: id, Status: statusPass, URL: shown, Requests: o.total,
			Message: fmt.Sprintf(passMsg, o.total)})
	}
	add("transport.redirect-downgrade", o.downgrades, "redirect", "from https to plain http",
		"none of %d requests was redirected from https to http")
	add("transport.token-echo", o.echoes, "answer", "repeated the Authorization header received",
		"none of %d answers repeated a credential")
	add("transport.answers", o.answers, "request", "got no complete answer (timeouts, oversized bodies, redirect loops)",
		"all %d requests were answered completely within the limits")
}

// redactedURL is a URL as the report shows it; dl template markers keep
// their braces.
func redactedURL(raw string) string {
	if raw == "" {
		return ""
	}
	return strings.NewReplacer("%7B", "{", "%7D", "}").Replace(redact.URL(raw))
}

// trimURLPrefix drops the "URL: " the client puts in front of its errors,
// for details that show the URL separately.
func trimURLPrefix(msg, rawURL string) string {
	if rest, ok := strings.CutPrefix(msg, redact.URL(rawURL)+": "); ok {
		return rest
	}
	return msg
}

// challengeOf returns the WWW-Authenticate values of an answer.
func challengeOf(h http.Header) string {
	if h == nil {
		return ""
	}
	return strings.Join(h.Values("Www-Authenticate"), ", ")
}
