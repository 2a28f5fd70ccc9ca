package auth

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/cargo-auth/cargo-auth/internal/redact"
)

// registryClient is the only way cargo-auth talks to registries. Every
// request has a deadline and a body limit, credentials go over https only
// (loopback excepted), and a redirect that leaves the origin or downgrades
// to http loses the Authorization header, so a hostile or broken registry
// can neither hang the tool, exhaust its memory, nor steer the token
// elsewhere.
type registryClient struct {
	client    *http.Client
	timeout   time.Duration
	maxBody   int64
	userAgent string
	limiter   *rateLimiter
}

// clientOptions tune a registryClient; zero values take the defaults.
type clientOptions struct {
	// Timeout bounds a whole request, body included (default 30s).
	Timeout time.Duration
	// MaxBody is the most bytes read from a response body (default 8 MiB).
	MaxBody int64
	// CAInfo is a PEM bundle that replaces the system roots, like cargo's
	// http.cainfo and CARGO_HTTP_CAINFO.
	CAInfo string
	// MaxRedirects bounds redirect chains (default 10).
	MaxRedirects int
	// RPS, when positive, spaces the start of requests so that no more than
	// RPS begin per second (redirect hops are part of their request).
	RPS float64
	// MaxConnsPerHost keeps that many idle connections per host for reuse
	// (default: the transport's), for callers that send requests in
	// parallel.
	MaxConnsPerHost int
}

const (
	defaultRequestTimeout = 30 * time.Second
	defaultMaxBody        = 8 << 20
	defaultMaxRedirects   = 10
)

// errBodyTooLarge is returned when a response body exceeds the limit.
var errBodyTooLarge = errors.New("response body too large")

// errTimedOut is wrapped by the error of a request that ran out of time,
// waiting for the headers or reading the body.
var errTimedOut = errors.New("timed out")

// errTooManyRedirects is wrapped by the error of a request whose redirect
// chain exceeded MaxRedirects.
var errTooManyRedirects = errors.New("too many redirects")

func newRegistryClient(f *Factory, opts clientOptions) (*registryClient, error) {
	if opts.Timeout <= 0 {
		opts.Timeout = defaultRequestTimeout
	}
	if opts.MaxBody <= 0 {
		opts.MaxBody = defaultMaxBody
	}
	if opts.MaxRedirects <= 0 {
		opts.MaxRedirects = defaultMaxRedirects
	}
	var base http.RoundTripper
	if f.HTTPTransport != nil {
		base = f.HTTPTransport()
	}
	transport, err := configureTransport(base, opts)
	if err != nil {
		return nil, err
	}
	c := &registryClient{
		timeout:   opts.Timeout,
		maxBody:   opts.MaxBody,
		userAgent: "cargo-auth/" + f.Build.resolved().Version,
		limiter:   newRateLimiter(opts.RPS),
	}
	c.client = &http.Client{
		Transport: transport,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if rec, ok := req.Context().Value(redirectRecorderKey{}).(*[]*url.URL); ok {
				*rec = append(*rec, via[len(via)-1].URL)
			}
			if len(via) >= opts.MaxRedirects {
				return fmt.Errorf("stopped after %d redirects: %w", len(via), errTooManyRedirects)
			}
			if !sameOrigin(via[0].URL, req.URL) || (via[0].URL.Scheme == "https" && req.URL.Scheme != "https") {
				req.Header.Del("Authorization")
			}
			return nil
		},
	}
	return c, nil
}

// configureTransport clones base (or the default transport) with bounded
// connection timeouts and the CA bundle, if any.
func configureTransport(base http.RoundTripper, opts clientOptions) (http.RoundTripper, error) {
	if base == nil {
		base = http.DefaultTransport
	}
	t, ok := base.(*http.Transport)
	if !ok {
		return base, nil // a test transport: use as is
	}
	t = t.Clone()
	t.DialContext = (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	t.TLSHandshakeTimeout = 10 * time.Second
	t.ResponseHeaderTimeout = opts.Timeout
	t.MaxResponseHeaderBytes = 64 << 10
	if opts.MaxConnsPerHost > 0 {
		t.MaxIdleConnsPerHost = opts.MaxConnsPerHost
	}
	if opts.CAInfo != "" {
		pem, err := os.ReadFile(opts.CAInfo)
		if err != nil {
			return nil, fmt.Errorf("reading CA bundle: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("no certificates found in CA bundle %s", opts.CAInfo)
		}
		tlsConfig := &tls.Config{MinVersion: tls.VersionTLS12}
		if t.TLSClientConfig != nil {
			tlsConfig = t.TLSClientConfig.Clone()
		}
		tlsConfig.RootCAs = pool
		t.TLSClientConfig = tlsConfig
	}
	return t, nil
}

// response is a fully read, size-limited HTTP answer.
type response struct {
	// URL is the final URL after redirects.
	URL *url.URL
	// Status is the HTTP status code of the final answer.
	Status int
	Header http.Header
	Body   []byte
	// Latency is the time from sending the request to the end of the body.
	Latency time.Duration
	// Redirects lists the URLs that answered with a redirect, in order.
	Redirects []*url.URL
	// Truncated reports that the body was longer than the request's limit
	// and Body holds only its beginning (request.Truncate).
	Truncated bool
	// SHA256 and Size describe the whole body of a request.Hash request,
	// whose Body holds only the first hashPrefix bytes.
	SHA256 []byte
	Size   int64
}

// hashPrefix is how much of a hashed body is kept in response.Body.
const hashPrefix = 64 << 10

// request describes one registry request.
type request struct {
	Method        string
	URL           string
	Authorization string
	Body          []byte
	Header        http.Header
	// MaxBody overrides the client's body limit for this request.
	MaxBody int64
	// Truncate reads at most MaxBody bytes and stops there without an
	// error, for callers that judge an answer by its status and beginning.
	Truncate bool
	// Hash streams the body through SHA-256 (up to MaxBody bytes, beyond
	// which the request fails with errBodyTooLarge) instead of keeping it,
	// so large downloads are checked in constant memory.
	Hash bool
}

// do sends req and reads the answer. A token is never sent over plain http
// to a host other than loopback. Errors never carry the token or userinfo.
func (c *registryClient) do(ctx context.Context, req request) (*response, error) {
	if req.Method == "" {
		req.Method = http.MethodGet
	}
	target, err := url.Parse(strings.TrimPrefix(req.URL, "sparse+"))
	if err != nil {
		return nil, fmt.Errorf("invalid URL %s", redact.URL(req.URL))
	}
	if req.Authorization != "" {
		if err := credentialsAllowed(target); err != nil {
			return nil, err
		}
	}
	if err := c.limiter.wait(ctx); err != nil {
		return nil, cleanTransportError(req.URL, err)
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	var body io.Reader
	if req.Body != nil {
		body = bytes.NewReader(req.Body)
	}
	httpReq, err := http.NewRequestWithContext(ctx, req.Method, target.String(), body)
	if err != nil {
		return nil, fmt.Errorf("invalid request to %s", redact.URL(req.URL))
	}
	for k, vs := range req.Header {
		httpReq.Header[k] = vs
	}
	httpReq.Header.Set("User-Agent", c.userAgent)
	if req.Authorization != "" {
		httpReq.Header.Set("Authorization", req.Authorization)
	}
	var redirects []*url.URL
	httpReq = httpReq.WithContext(withRedirectRecorder(ctx, &redirects))
	start := time.Now()
	if req.Hash {
		// Hash the bytes as stored, not a transparently decompressed
		// transfer encoding.
		httpReq.Header.Set("Accept-Encoding", "identity")
	}
	resp, err := c.client.Do(httpReq)
	if err != nil {
		return nil, cleanTransportError(req.URL, err)
	}
	defer resp.Body.Close()
	limit := c.maxBody
	if req.MaxBody > 0 {
		limit = req.MaxBody
	}
	out := &response{
		URL:       resp.Request.URL,
		Status:    resp.StatusCode,
		Header:    resp.Header,
		Redirects: redirects,
	}
	var readErr error
	if req.Hash {
		sum := sha256.New()
		prefix := &prefixWriter{max: hashPrefix}
		out.Size, readErr = io.Copy(io.MultiWriter(sum, prefix), io.LimitReader(resp.Body, limit+1))
		out.Body, out.SHA256 = prefix.buf, sum.Sum(nil)
	} else {
		out.Body, readErr = io.ReadAll(io.LimitReader(resp.Body, limit+1))
		out.Size = int64(len(out.Body))
	}
	out.Latency = time.Since(start)
	if readErr != nil {
		return out, cleanTransportError(req.URL, readErr)
	}
	if out.Size > limit {
		if int64(len(out.Body)) > limit {
			out.Body = out.Body[:limit]
		}
		if req.Truncate && !req.Hash {
			out.Truncated = true
			return out, nil
		}
		out.SHA256 = nil
		return out, fmt.Errorf("%s: %w (more than %d bytes)", redact.URL(req.URL), errBodyTooLarge, limit)
	}
	return out, nil
}

// prefixWriter keeps the first max bytes written to it.
type prefixWriter struct {
	buf []byte
	max int
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	if room := p.max - len(p.buf); room > 0 {
		p.buf = append(p.buf, b[:min(room, len(b))]...)
	}
	return len(b), nil
}

// get is do for a GET request.
func (c *registryClient) get(ctx context.Context, rawURL, authorization string) (*response, error) {
	return c.do(ctx, request{URL: rawURL, Authorization: authorization})
}

type redirectRecorderKey struct{}

// withRedirectRecorder makes CheckRedirect append every URL that answered
// with a redirect to into.
func withRedirectRecorder(ctx context.Context, into *[]*url.URL) context.Context {
	return context.WithValue(ctx, redirectRecorderKey{}, into)
}

// cleanTransportError rewrites net/http's errors, which quote the full URL,
// so that they carry only the redacted URL and the cause.
//
// The cause stays reachable through errors.Is and errors.As (errTimedOut,
// errTooManyRedirects, *net.OpError, x509 errors) so callers can tell an
// unreachable registry from a slow one, while the message is redacted.
func cleanTransportError(rawURL string, err error) error {
	var urlErr *url.Error
	if errors.As(err, &urlErr) {
		err = urlErr.Err
	}
	var timeout interface{ Timeout() bool }
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &timeout) && timeout.Timeout():
		return &transportError{msg: redact.URL(rawURL) + ": timed out", cause: errTimedOut}
	case errors.Is(err, context.Canceled):
		return &transportError{msg: redact.URL(rawURL) + ": cancelled", cause: err}
	}
	return &transportError{msg: redact.URL(rawURL) + ": " + redact.Text(err.Error()), cause: err}
}

// transportError is a redacted message over the error that caused it.
type transportError struct {
	msg   string
	cause error
}

func (e *transportError) Error() string { return e.msg }
func (e *transportError) Unwrap() error { return e.cause }

// rateLimiter spaces the start of requests evenly; a nil limiter never
// waits.
type rateLimiter struct {
	mu       sync.Mutex
	interval time.Duration
	next     time.Time
}

func newRateLimiter(rps float64) *rateLimiter {
	if rps <= 0 {
		return nil
	}
	return &rateLimiter{interval: time.Duration(float64(time.Second) / rps)}
}

// wait blocks until the next request may start, or ctx ends.
func (l *rateLimiter) wait(ctx context.Context) error {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	now := time.Now()
	at := l.next
	if at.Before(now) {
		at = now
	}
	l.next = at.Add(l.interval)
	l.mu.Unlock()
	delay := time.Until(at)
	if delay <= 0 {
		return nil
	}
	t := time.NewTimer(delay)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// credentialsAllowed refuses to send a token in clear text: https only,
// with loopback hosts as the one exception (test and local registries).
func credentialsAllowed(u *url.URL) error {
	if u.Scheme == "https" || isLoopback(u.Hostname()) {
		return nil
	}
	return fmt.Errorf("refusing to send a token over %s to %s: use https", u.Scheme, u.Hostname())
}

// isLoopback reports whether host is a loopback name or address.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// sameOrigin compares scheme, host and port, as browsers and curl do.
func sameOrigin(a, b *url.URL) bool {
	return a.Scheme == b.Scheme && strings.EqualFold(a.Hostname(), b.Hostname()) && effectivePort(a) == effectivePort(b)
}

func effectivePort(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	switch u.Scheme {
	case "https":
		return "443"
	case "http":
		return "80"
	}
	return ""
}
