package auth

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strings"
)

// configPhase probes a sparse index's config.json three ways and reads dl,
// api and auth-required from it. The anonymous request goes first: when it
// cannot reach the registry at all, the audit stops with an error.
func (a *audit) configPhase(ctx context.Context) error {
	configURL := a.target.url("config.json")
	shown := redactedURL(configURL)
	anon := a.probe(ctx, endpointConfig, request{URL: configURL}, "")
	if err := unreachableError(anon, a.target); err != nil {
		return err
	}
	var bogus, tok probeResult
	tasks := []func(context.Context){func(ctx context.Context) {
		bogus = a.probe(ctx, endpointConfig, request{URL: configURL}, a.bogus)
	}}
	if a.auth != "" {
		tasks = append(tasks, func(ctx context.Context) {
			tok = a.probe(ctx, endpointConfig, request{URL: configURL}, a.auth)
		})
	}
	a.parallel(ctx, tasks)

	a.judgeConfigAnonymous(anon, shown)
	a.judgeCargoChallenge(anon, shown)
	status, d := refusalVerdict(bogus, false)
	a.checks.add(checkResult{ID: "config.bogus-token", Status: status, URL: shown, Requests: 1,
		Message: "a bogus token: " + d.Message})

	// config.json served without a token cannot judge one: the token's
	// form is then judged on the web API (apiScheme), once dl and api are
	// known.
	public := anon.answered() && isSuccess(anon.resp.Status)
	if a.auth == "" {
		a.checks.skip("config.token", shown, noTokenReason)
		a.checks.skip("transport.token-scheme", shown, noTokenReason)
	} else {
		if !public {
			tok = a.diagnoseScheme(ctx, endpointConfig, request{URL: configURL}, tok, shown, "")
		}
		status, d := acceptVerdict(tok, validConfig)
		msg := "the token as cargo sends it: " + d.Message
		if a.schemeNote != "" {
			status, msg = statusFail, "the token as cargo sends it ("+a.token.form()+") was refused; "+a.schemeNote
		}
		if public && status == statusPass {
			msg += ", but so it is without one: that proves nothing about the token (transport.token-scheme judges it on the web API)"
		}
		a.checks.add(checkResult{ID: "config.token", Status: status, URL: shown, Requests: 1, Message: msg})
		if cfg := parseIndexConfig(tok); cfg != nil {
			a.config = cfg
		}
	}
	if a.config == nil {
		if cfg := parseIndexConfig(anon); cfg != nil {
			a.config = cfg
		}
	}
	if public && a.auth != "" {
		a.apiScheme(ctx, "config.json is served without a token, so it cannot judge one", shown)
	}
	if a.config == nil {
		switch {
		case a.auth == "":
			a.configWhy = "config.json could not be read without a token, so dl and api are unknown"
		default:
			a.configWhy = "config.json could not be read with the token, so dl and api are unknown"
		}
	}
	a.judgeAuthRequired(shown)
	return nil
}

// noTokenReason is the message of checks skipped for lack of a token.
const noTokenReason = "skipped: no token (pass one with --token-stdin, store one with cargo-auth, or set CARGO_REGISTRIES_<NAME>_TOKEN)"

func (a *audit) judgeConfigAnonymous(anon probeResult, shown string) {
	r := checkResult{ID: "config.anonymous", URL: shown, Requests: 1}
	switch {
	case !anon.answered():
		r.Status, r.Message = statusFail, anon.noAnswer()
	case anon.resp.Status == 401:
		r.Status, r.Message = statusPass, "anonymous request refused with 401"
	case isSuccess(anon.resp.Status):
		r.Status = statusFail
		r.Message = fmt.Sprintf("anonymous request served (%d)", anon.resp.Status)
		r.Attack = "anyone reads config.json (the dl and api locations), and cargo never sees the 401 it needs before sending the token for config.json"
	default:
		r.Status = statusFail
		r.Message = fmt.Sprintf("anonymous request answered %d, not 401: cargo sends the token only after a 401, so it stops here", anon.resp.Status)
		r.Attack = fmt.Sprintf("none, but cargo is locked out: every cargo command that uses the registry fails with %d and the token is never sent", anon.resp.Status)
	}
	a.checks.add(r)
}

func (a *audit) judgeCargoChallenge(anon probeResult, shown string) {
	if !anon.answered() || anon.resp.Status != 401 {
		a.checks.skip("config.challenge", shown, "skipped: config.json did not answer 401 (see config.anonymous)")
		return
	}
	challenge := challengeOf(anon.resp.Header)
	switch {
	case cargoChallenge.MatchString(challenge):
		a.checks.add(checkResult{ID: "config.challenge", Status: statusPass, URL: shown, Requests: 1,
			Message: "the 401 carries a Cargo login_url challenge"})
	case challenge == "":
		a.checks.add(checkResult{ID: "config.challenge", Status: statusWarn, URL: shown, Requests: 1,
			Message: "the 401 carries no WWW-Authenticate header"})
	default:
		a.checks.add(checkResult{ID: "config.challenge", Status: statusWarn, URL: shown, Requests: 1,
			Message: "the 401 challenges with " + firstWord(challenge) + ", not Cargo login_url=..."})
	}
}

func (a *audit) judgeAuthRequired(shown string) {
	if a.config == nil {
		a.checks.skip("config.auth-required", shown, "skipped: "+a.configWhy)
		return
	}
	switch {
	case a.config.AuthRequired != nil && *a.config.AuthRequired:
		a.checks.add(checkResult{ID: "config.auth-required", Status: statusPass, URL: shown, Requests: 1,
			Message: `config.json sets "auth-required": true`})
	case a.config.AuthRequired == nil:
		a.checks.add(checkResult{ID: "config.auth-required", Status: statusFail, URL: shown, Requests: 1,
			Message: `config.json has no "auth-required": cargo sends the token for config.json only, never for index files or downloads`})
	default:
		a.checks.add(checkResult{ID: "config.auth-required", Status: statusFail, URL: shown, Requests: 1,
			Message: `config.json sets "auth-required": false: cargo sends the token for config.json only, never for index files or downloads`})
	}
}

// diagnoseScheme handles a refused token: it tries the secret in the other
// forms (Bearer, token, Basic, raw); when one is accepted, the rest of the
// audit sends that form and transport.token-scheme says what to store. on
// names the endpoint in the messages when it is not config.json (" on the
// web API's search"). It returns the answer to judge the endpoint by.
func (a *audit) diagnoseScheme(ctx context.Context, class string, req request, tok probeResult, shown, on string) probeResult {
	if !tok.answered() || (tok.resp.Status != 401 && tok.resp.Status != 403) {
		if tok.answered() && isSuccess(tok.resp.Status) {
			a.checks.add(checkResult{ID: "transport.token-scheme", Status: statusPass, URL: shown, Requests: 1,
				Message: "the registry accepts the token as cargo sends it (" + a.token.form() + ")" + on})
		} else {
			a.checks.skip("transport.token-scheme", shown, "skipped: "+redactedURL(req.URL)+" gave no verdict on the token ("+describeShape(tok)+")")
		}
		return tok
	}
	tried := []string{a.token.form()}
	for _, alt := range a.token.alternatives() {
		tried = append(tried, alt[0])
		try := a.probe(ctx, class, req, alt[1])
		if try.answered() && isSuccess(try.resp.Status) {
			a.auth, a.authForm = alt[1], alt[0]
			a.schemeNote = fmt.Sprintf("the registry accepts it as %s; the rest of the audit sent it that way", formLabel(alt[0]))
			a.checks.add(checkResult{ID: "transport.token-scheme", Status: statusFail, URL: shown, Requests: len(tried),
				Message:     fmt.Sprintf("the registry refuses the token as cargo sends it (%s, %d) but accepts it as %s%s", a.token.form(), tok.resp.Status, formLabel(alt[0]), on),
				Remediation: "store the token with its scheme so that cargo sends " + formLabel(alt[0]) + " (cargo sends the stored value as the Authorization header, unchanged)"})
			return try
		}
	}
	a.checks.add(checkResult{ID: "transport.token-scheme", Status: statusFail, URL: shown, Requests: len(tried),
		Message:     fmt.Sprintf("the registry refuses the token in every form tried (%s)%s: it is wrong, expired, or cannot read this registry", strings.Join(tried, ", "), on),
		Attack:      "none: cargo cannot use the registry with this token",
		Remediation: "create a new token with read access and store it"})
	return tok
}

// apiScheme judges transport.token-scheme on the web API, where config.json
// cannot judge the token (why says so; shown is the URL of a skip): on the
// endpoint that refuses anonymous requests (search, or a crate's owners
// list; see tokenEndpoint), read-only. When none does, or there is no API
// the token may go to, the check is skipped and says why.
func (a *audit) apiScheme(ctx context.Context, why, shown string) {
	skip := func(url, reason string) {
		a.checks.skip("transport.token-scheme", url, "skipped: "+why+", and "+reason)
	}
	if a.config == nil || a.config.API == "" {
		skip(shown, "config.json names no web API to judge it on")
		return
	}
	api := strings.TrimSuffix(a.config.API, "/")
	if !a.mayCarryToken(api) {
		skip(redactedURL(api), "the web API is on another origin, which verify does not send the token to (see api.origin; --trust-origin)")
		return
	}
	known := ""
	if len(a.specs) > 0 {
		known = a.specs[0].Name
	}
	send := func(ctx context.Context, req request) (*response, error) {
		p := a.probe(ctx, endpointAPI, req, req.Authorization)
		return p.resp, p.err
	}
	ep, anonymous, err := tokenEndpoint(ctx, send, api, known)
	switch {
	case err != nil:
		skip(redactedURL(api), "the web API gave no answer: "+trimURLPrefix(err.Error(), api))
		return
	case anonymous != "":
		skip(redactedURL(api), "the web API needs no token either: "+anonymous)
		return
	}
	req := ep.request("")
	tok := a.probe(ctx, endpointAPI, req, a.auth)
	if tok.answered() && isSuccess(tok.resp.Status) && !ep.served(tok.resp) {
		skip(redactedURL(ep.URL), ep.Name+" answered the token with something else than its JSON")
		return
	}
	a.diagnoseScheme(ctx, endpointAPI, req, tok, redactedURL(ep.URL), " on "+ep.Name)
}

// formLabel shows a credential form as users write it.
func formLabel(form string) string {
	switch form {
	case "bearer":
		return "`Bearer <token>`"
	case "token":
		return "`token <token>`"
	case "basic":
		return "`Basic base64(user:token)`"
	}
	return "the bare token"
}

// validConfig checks that an answer is a config.json with dl.
func validConfig(resp *response) string {
	var cfg indexConfig
	if err := json.Unmarshal(resp.Body, &cfg); err != nil {
		return "the answer is not JSON"
	}
	if cfg.DL == "" {
		return `config.json has no "dl"`
	}
	return ""
}

func parseIndexConfig(p probeResult) *indexConfig {
	if !p.answered() || p.err != nil || !isSuccess(p.resp.Status) || p.resp.Truncated {
		return nil
	}
	var cfg indexConfig
	if json.Unmarshal(p.resp.Body, &cfg) != nil || cfg.DL == "" {
		return nil
	}
	return &cfg
}

// unreachableError turns a first request that could not reach the registry
// (no connection, no name, a certificate not trusted) into the runtime
// error the audit stops with. Timeouts, oversized bodies and redirect loops
// are answers of a kind: the audit goes on and reports them.
func unreachableError(p probeResult, target verifyTarget) error {
	if p.err == nil || p.answered() {
		return nil
	}
	var certErr *x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var invalidErr x509.CertificateInvalidError
	var dnsErr *net.DNSError
	var opErr *net.OpError
	switch {
	case errors.As(p.err, &certErr), errors.As(p.err, &hostErr), errors.As(p.err, &invalidErr),
		strings.Contains(p.err.Error(), "certificate"):
		return withHint(fmt.Errorf("registry %s: %v", target.Label(), p.err),
			"trust the registry's CA with http.cainfo in cargo's configuration or CARGO_HTTP_CAINFO")
	case errors.As(p.err, &dnsErr), errors.As(p.err, &opErr) && opErr.Op == "dial":
		return fmt.Errorf("registry %s is unreachable: %v", target.Label(), p.err)
	}
	return nil
}

func firstWord(s string) string {
	w, _, _ := strings.Cut(strings.TrimSpace(s), " ")
	return w
}
