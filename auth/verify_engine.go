package auth

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/url"
	"sync"
	"sync/atomic"
	"time"
)

// audit is one run of `cargo auth verify`: the target, the credentials it
// sends, the checks it has judged so far and what it observed on the way.
type audit struct {
	opts    *verifyOptions
	client  *registryClient
	target  verifyTarget
	token   *verifyToken
	trusted map[string]bool
	caInfo  string

	// auth is the Authorization value sent as the real token: what cargo
	// sends, or the form the registry accepted when it refused that one.
	auth string
	// authForm names auth's form; schemeNote says why it changed.
	authForm   string
	schemeNote string
	bogus      string
	bogusRaw   string

	specs      []crateSpec
	crateNote  string
	crateFrom  string
	searchSeen int

	config    *indexConfig
	configWhy string
	git       *gitSnapshot

	checks   *checkSet
	obs      *observations
	breaker  *breaker
	requests atomic.Int64
	planned  atomic.Int64
	finished atomic.Int64
	started  time.Time
}

// indexConfig is config.json as the book's "Index Configuration" defines it.
type indexConfig struct {
	DL           string `json:"dl"`
	API          string `json:"api"`
	AuthRequired *bool  `json:"auth-required"`
}

func newAudit(opts *verifyOptions, client *registryClient, target verifyTarget, token *verifyToken, specs []crateSpec, trusted map[string]bool) *audit {
	a := &audit{
		opts:    opts,
		client:  client,
		target:  target,
		token:   token,
		trusted: trusted,
		specs:   specs,
		checks:  newCheckSet(),
		obs:     newObservations(),
		breaker: &breaker{limit: 3, timeouts: map[string]int{}},
		started: time.Now(),
	}
	a.bogusRaw = bogusSecret()
	a.bogus = bogusHeader(token, a.bogusRaw)
	if token != nil {
		a.auth, a.authForm = token.header, token.form()
	}
	switch {
	case opts.CratesFrom != "":
		a.crateFrom = "lockfile"
	case len(specs) > 0:
		a.crateFrom = "flags"
	default:
		a.crateFrom = "none"
	}
	return a
}

// run performs the audit and builds the report. It returns an error only
// when the registry cannot be reached at all.
func (a *audit) run(ctx context.Context) (*verifyReport, error) {
	defer func() { a.git.remove() }() // a.git is set during the audit
	a.transportStatic()
	var err error
	if a.target.Protocol == protocolGit {
		err = a.gitPhase(ctx)
	} else {
		err = a.configPhase(ctx)
	}
	if err != nil {
		return nil, err
	}
	a.locationChecks()
	a.cratePhase(ctx)
	a.mainPhase(ctx)
	a.transportDynamic()
	return a.report(), nil
}

// mainPhase probes index files, the web API and downloads. Downloads come
// last: they need the versions and checksums the index tells.
func (a *audit) mainPhase(ctx context.Context) {
	var index *indexRun
	var tasks []func(context.Context)
	if a.target.Protocol == protocolSparse {
		var t []func(context.Context)
		index, t = a.indexTasks()
		tasks = append(tasks, t...)
	} else {
		a.gitVersions(ctx)
	}
	api, t := a.apiTasks()
	a.parallel(ctx, append(tasks, t...))
	if index != nil {
		index.finish()
	}
	api.finish()
	downloads, t := a.downloadTasks()
	a.parallel(ctx, t)
	downloads.finish()
}

// origin is the index's origin.
func (a *audit) origin() string { return urlOrigin(a.target.Base) }

// mayCarryToken reports whether the audit sends the real token to rawURL:
// only to the index's origin and origins the user trusts, never over plain
// http to a host that is not loopback.
func (a *audit) mayCarryToken(rawURL string) bool {
	u, err := url.Parse(rawURL)
	if err != nil {
		return false
	}
	origin := urlOrigin(u)
	if origin != a.origin() && !a.trusted[origin] {
		return false
	}
	return credentialsAllowed(u) == nil
}

// send makes one request through the registry client, unless earlier
// requests to the same endpoint class timed out repeatedly, and records
// what the answer shows about echoes, redirects and limits.
func (a *audit) send(ctx context.Context, class string, req request) (*response, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if a.breaker.open(class) {
		err := fmt.Errorf("%s: not sent: %d earlier %s requests timed out", redactedURL(req.URL), a.breaker.limit, class)
		a.obs.answer(class, req.URL, errSkippedAfterTimeouts)
		return nil, &transportError{msg: err.Error(), cause: errSkippedAfterTimeouts}
	}
	resp, err := a.client.do(ctx, req)
	a.requests.Add(1)
	if errors.Is(err, errTimedOut) {
		a.breaker.timeout(class)
	}
	a.obs.see(a, class, req, resp, err)
	return resp, err
}

// errSkippedAfterTimeouts marks requests the breaker did not send.
var errSkippedAfterTimeouts = errors.New("not sent after repeated timeouts")

// breaker stops sending to an endpoint class after limit timeouts, so a
// registry that hangs costs at most a few timeouts per class.
type breaker struct {
	mu       sync.Mutex
	limit    int
	timeouts map[string]int
}

func (b *breaker) timeout(class string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.timeouts[class]++
}

func (b *breaker) open(class string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.timeouts[class] >= b.limit
}

// parallel runs tasks with at most --jobs at once and waits for them all.
// Progress counts tasks.
func (a *audit) parallel(ctx context.Context, tasks []func(context.Context)) {
	a.planned.Add(int64(len(tasks)))
	sem := make(chan struct{}, a.opts.Jobs)
	var wg sync.WaitGroup
	for _, task := range tasks {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			a.finished.Add(1)
			continue
		}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done(); a.finished.Add(1) }()
			task(ctx)
		}()
	}
	wg.Wait()
}

// probeResult is a request's answer or its error.
type probeResult struct {
	url  string
	resp *response
	err  error
}

func (p probeResult) status() int {
	if p.resp == nil || p.err != nil && !errors.Is(p.err, errBodyTooLarge) {
		return 0
	}
	return p.resp.Status
}

// answered reports whether there is a status to judge: a body over the
// limit still has one.
func (p probeResult) answered() bool { return p.status() != 0 }

// noAnswer describes why there is no status.
func (p probeResult) noAnswer() string {
	if p.err == nil {
		return "no answer"
	}
	return "no answer: " + trimURLPrefix(p.err.Error(), p.url)
}

// probeSize bounds the body kept for anonymous and bogus-token probes: the
// status and the beginning of the body are all they are judged on.
const probeSize = 64 << 10

// probe sends a GET (or req's method) with a credential and keeps the
// answer for judging. cred is "", a.bogus or a.auth.
func (a *audit) probe(ctx context.Context, class string, req request, cred string) probeResult {
	req.Authorization = cred
	if cred != a.auth || cred == "" {
		req.MaxBody, req.Truncate = probeSize, true
	}
	resp, err := a.send(ctx, class, req)
	return probeResult{url: req.URL, resp: resp, err: err}
}

// missingName is a crate name no registry has: long, random, valid, and
// letters only so the report's URL redaction does not take it for a token.
func missingName() string {
	b := make([]byte, 10)
	if _, err := rand.Read(b); err != nil {
		panic("verify: reading randomness: " + err.Error())
	}
	for i := range b {
		b[i] = 'a' + b[i]%26
	}
	return "cargo-auth-verify-missing-" + string(b)
}

// missingVersion is a version no registry has published.
const missingVersion = "0.0.0-cargo-auth-verify"
