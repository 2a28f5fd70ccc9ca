package auth

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/cargo-auth/cargo-auth/internal/redact"
)

// The live check asks config.json what cargo asks it: first without a
// token (cargo sends one only after a 401), then with the token the chain
// gives, exactly as cargo sends it. Each registry's check runs under one
// deadline of --timeout, so a registry that is down or hangs costs the
// report at most that.

// liveCheck is one registry's live check in progress.
type liveCheck struct {
	e      *statusEngine
	r      *statusRegistry
	t      statusTarget
	ctx    context.Context
	cancel context.CancelFunc
	start  time.Time

	anonStatus int
	anonConfig *indexConfig
	noAnswer   bool
}

// startLive starts the deadline of a registry's live check.
func (e *statusEngine) startLive(ctx context.Context, r *statusRegistry, t statusTarget) *liveCheck {
	l := &liveCheck{e: e, r: r, t: t, start: time.Now()}
	l.ctx, l.cancel = context.WithTimeout(ctx, e.opts.Timeout)
	r.Live = &statusLive{URL: redact.URL(t.probeURL)}
	return l
}

// send makes one request of the check and records it as a probe.
func (l *liveCheck) send(auth string) (*response, *statusProbe, error) {
	began := time.Now()
	resp, err := l.e.client.do(l.ctx, request{URL: l.t.probeURL, Authorization: auth, MaxBody: probeSize, Truncate: true})
	p := &statusProbe{LatencyMS: time.Since(began).Milliseconds()}
	if auth != "" {
		p.SentAs = headerForm(auth)
	}
	if resp != nil && (err == nil || errors.Is(err, errBodyTooLarge)) {
		p.Status = resp.Status
		if cfg := decodeIndexConfig(resp); cfg != nil && cfg.AuthRequired != nil {
			v := *cfg.AuthRequired
			p.AuthRequired = &v
		}
		return resp, p, nil
	}
	if err == nil {
		err = errors.New("no answer")
	}
	p.Error = strings.TrimPrefix(err.Error(), redact.URL(l.t.probeURL)+": ")
	return nil, p, err
}

// anonymous asks without a token and reports whether cargo will need one.
func (l *liveCheck) anonymous(ctx context.Context) bool {
	resp, probe, err := l.send("")
	l.r.Live.Anonymous = probe
	if err != nil {
		l.noAnswer = true
		l.unreachable(err)
		return true
	}
	l.anonStatus = resp.Status
	if l.t.protocol == protocolGit {
		return false
	}
	switch {
	case resp.Status == 401:
		return true
	case isSuccess(resp.Status):
		l.anonConfig = decodeIndexConfig(resp)
		return l.anonConfig != nil && l.anonConfig.AuthRequired != nil && *l.anonConfig.AuthRequired
	default:
		fix := "make the registry answer 401 to anonymous requests for config.json (some proxies turn it into 403)"
		if resp.Status == 404 {
			fix = "check the index URL (nothing is there), or make the registry answer 401 instead of hiding config.json"
		}
		l.r.add(newProblem(probNo401,
			fmt.Sprintf("config.json answers %d without a token: cargo sends the token only after a 401, so it never does and fails with %d", resp.Status, resp.Status),
			fix))
		return true
	}
}

// unreachable records a registry that gave no answer.
func (l *liveCheck) unreachable(err error) {
	var certErr *x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	msg := strings.TrimPrefix(err.Error(), redact.URL(l.t.probeURL)+": ")
	switch {
	case errors.Is(err, errTimedOut), errors.Is(err, context.DeadlineExceeded):
		l.r.add(newProblem(probTimeout,
			fmt.Sprintf("config.json did not answer within %s", l.e.opts.Timeout),
			"check that the registry is up, or give it longer with --timeout"))
		l.r.Live.Result, l.r.Live.Message = "timeout", "no answer within "+l.e.opts.Timeout.String()
	case errors.As(err, &certErr), errors.As(err, &hostErr), strings.Contains(msg, "certificate"):
		l.r.add(newProblem(probUnreachable, "the registry's TLS certificate is not trusted: "+msg,
			"trust the registry's CA with http.cainfo in cargo's configuration or CARGO_HTTP_CAINFO"))
		l.r.Live.Result, l.r.Live.Message = "unreachable", msg
	default:
		l.r.add(newProblem(probUnreachable, "the registry cannot be reached: "+msg,
			"check the index URL and that the registry is up"))
		l.r.Live.Result, l.r.Live.Message = "unreachable", msg
	}
}

// withToken sends the chain's token and judges the answers.
func (l *liveCheck) withToken(ctx context.Context) {
	defer l.cancel()
	defer func() { l.r.Live.LatencyMS = time.Since(l.start).Milliseconds() }()
	live := l.r.Live
	switch {
	case l.noAnswer:
		return
	case l.t.protocol == protocolGit:
		l.gitVerdict()
		return
	case l.anonStatus != 401 && !isSuccess(l.anonStatus):
		live.Result, live.Message = "no-401", fmt.Sprintf("config.json answers %d without a token, so cargo never sends one", l.anonStatus)
		return
	case isSuccess(l.anonStatus) && (l.anonConfig == nil || l.anonConfig.AuthRequired == nil || !*l.anonConfig.AuthRequired):
		live.Result, live.Message = "public", "config.json is served without a token and does not set auth-required: cargo sends no token"
		l.checkDL(l.anonConfig)
		return
	case l.r.header == "" && l.r.unverified():
		live.Result, live.Message = "skipped", "the token is not known: its provider was not run"
		return
	case l.r.header == "":
		live.Result, live.Message = "no-token", "the registry requires a token and the chain has none"
		return
	}
	if err := credentialsAllowed(l.t.base); err != nil {
		live.Result, live.Message = "skipped", redact.Text(err.Error())
		return
	}
	resp, probe, err := l.send(l.r.header)
	live.WithToken = probe
	if err != nil {
		l.unreachable(err)
		return
	}
	switch {
	case isSuccess(resp.Status):
		cfg := decodeIndexConfig(resp)
		live.Result, live.Message = "ok", fmt.Sprintf("%d without a token, %d with it", l.anonStatus, resp.Status)
		if cfg == nil || cfg.AuthRequired == nil || !*cfg.AuthRequired {
			l.r.add(newProblem(probNoAuthRequired,
				"config.json does not set \"auth-required\": true, so cargo sends the token for config.json only and index files fail with 401",
				"enable authentication for reads in the registry (it then serves \"auth-required\": true)"))
			live.Result = "no-auth-required"
		} else {
			live.Message += ", auth-required"
		}
		l.checkDL(cfg)
	case resp.Status == 401 || resp.Status == 403:
		l.schemeVerdict(resp.Status)
	default:
		l.r.add(newProblem(probRegistryError,
			fmt.Sprintf("config.json answers %d with the token", resp.Status),
			"check the registry's logs: it fails on a valid request"))
		live.Result, live.Message = "error", fmt.Sprintf("%d with the token", resp.Status)
	}
}

// schemeVerdict tells a wrong token from a right token in the wrong form:
// the same secret is tried as Bearer, token, Basic and raw.
func (l *liveCheck) schemeVerdict(status int) {
	live := l.r.Live
	vt := &verifyToken{token: l.r.secret, header: l.r.header}
	for _, alt := range vt.alternatives() {
		resp, _, err := l.send(alt[1])
		if err == nil && isSuccess(resp.Status) {
			l.r.add(newProblem(probTokenWrongScheme,
				fmt.Sprintf("the registry refuses the token as cargo sends it (%s, %d) but accepts it as %s", vt.form(), status, formLabel(alt[0])),
				schemeFix(alt[0], l.r.credName())))
			live.Result, live.Message = "wrong-scheme", fmt.Sprintf("%d with the token as cargo sends it; accepted as %s", status, formLabel(alt[0]))
			return
		}
		if l.ctx.Err() != nil {
			break
		}
	}
	l.r.add(newProblem(probTokenRejected,
		fmt.Sprintf("the registry refuses the token (%d) in every form: it is wrong, expired or revoked, or cannot read this registry", status),
		"create a new token with read access and store it: cargo auth login "+l.r.credName()))
	live.Result, live.Message = "rejected", fmt.Sprintf("%d without a token, %d with it", l.anonStatus, status)
}

// schemeFix says how to store a token so that cargo sends it in form.
func schemeFix(form, name string) string {
	if form == "token" {
		return "store the value as \"token <secret>\" (cargo sends the stored value unchanged): cargo auth login " + name + " with that value"
	}
	return "store the token with its scheme so cargo sends " + formLabel(form) + ": cargo auth login " + name + " --scheme " + form
}

// credName is the name the credentials are stored under.
func (r *statusRegistry) credName() string {
	if r.CredentialsFrom != "" {
		return r.CredentialsFrom
	}
	return r.Name
}

// checkDL flags a dl on plain http to a host that is not loopback: cargo
// sends the token there in clear text.
func (l *liveCheck) checkDL(cfg *indexConfig) {
	if cfg == nil || cfg.DL == "" {
		return
	}
	l.r.Live.DL = redact.URL(cfg.DL)
	u, err := url.Parse(cfg.DL)
	if err != nil || u.Scheme != "http" || isLoopback(u.Hostname()) {
		return
	}
	l.r.add(newProblem(probHTTPDL,
		"config.json's dl is plain http on "+u.Hostname()+": cargo sends the token with every download in clear text",
		"make the registry announce an https dl URL"))
}

// gitVerdict describes a git index's answer: cargo's token never goes to
// git, which needs the URL's userinfo or a credential helper.
func (l *liveCheck) gitVerdict() {
	live := l.r.Live
	switch {
	case isSuccess(l.anonStatus):
		live.Result, live.Message = "ok", fmt.Sprintf("the git index answers %d", l.anonStatus)
	case l.anonStatus == 401 || l.anonStatus == 403:
		live.Result = "git-credentials"
		live.Message = fmt.Sprintf("the git index answers %d: git needs credentials of its own (a credential helper, or a [source] replacement URL with userinfo); cargo's token is never sent to git", l.anonStatus)
	default:
		live.Result, live.Message = "error", fmt.Sprintf("the git index answers %d", l.anonStatus)
		l.r.add(newProblem(probRegistryError, live.Message, "check the index URL"))
	}
}

// decodeIndexConfig reads config.json from an answer, nil when it is not
// one.
func decodeIndexConfig(resp *response) *indexConfig {
	if resp == nil || !isSuccess(resp.Status) || resp.Truncated {
		return nil
	}
	var cfg indexConfig
	if json.Unmarshal(resp.Body, &cfg) != nil {
		return nil
	}
	return &cfg
}
