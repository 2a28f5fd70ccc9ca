package registrytest

import (
	"fmt"
	"strings"
	"sync"
	"time"
)

// Listener names, as recorded in Request.Listener.
const (
	// ListenerMain is the registry's own origin (127.0.0.1).
	ListenerMain = "main"
	// ListenerOther is a second origin, localhost on another port, that
	// the dl-other-host, api-other-origin and dl-redirect-off-origin
	// switches point at.
	ListenerOther = "other"
	// ListenerPlain is a plain-http origin on 127.0.0.1, the target of
	// the dl-plain-http and dl-redirect-http switches.
	ListenerPlain = "plain"
)

// Request is one request as the registry saw it. Path has path tokens
// replaced by "<path-token>"; the credential is described, never stored.
type Request struct {
	Time     time.Time
	Listener string
	// Proto is the HTTP version, such as "HTTP/2.0".
	Proto  string
	Method string
	// Path is the path and query, with any path token redacted.
	Path   string
	Class  Class
	Status int
	// Credential is what the registry made of the request's credential.
	Credential Credential
	// Signed reports that a download came with a valid signed-URL query
	// (the target of a download redirect), which passes without a token.
	Signed bool

	carried [][32]byte
}

// String describes the request for a test's failure message; it holds no
// secret.
func (r Request) String() string {
	return fmt.Sprintf("%s %s %s [%s %s] -> %d cred=%s", r.Time.Format("15:04:05.000"), r.Method, r.Path, r.Listener, r.Class, r.Status, r.Credential)
}

// requestLog is the registry's record of requests, safe for concurrent use.
type requestLog struct {
	mu       sync.Mutex
	requests []*Request
}

func (l *requestLog) add(r *Request) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.requests = append(l.requests, r)
}

func (l *requestLog) setStatus(r *Request, status int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	r.Status = status
}

func (l *requestLog) snapshot() []Request {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]Request, len(l.requests))
	for i, r := range l.requests {
		out[i] = *r
	}
	return out
}

// Requests returns every request so far, oldest first, on all listeners.
// A request still being served has Status 0 until its header is written.
func (r *Registry) Requests() []Request { return r.log.snapshot() }

// RequestsTo returns the requests to endpoints of the given classes.
func (r *Registry) RequestsTo(classes ...Class) []Request {
	var out []Request
	for _, req := range r.log.snapshot() {
		for _, c := range classes {
			if req.Class == c {
				out = append(out, req)
				break
			}
		}
	}
	return out
}

// RequestsOn returns the requests that arrived on the named listener.
func (r *Registry) RequestsOn(listener string) []Request {
	var out []Request
	for _, req := range r.log.snapshot() {
		if req.Listener == listener {
			out = append(out, req)
		}
	}
	return out
}

// Reset forgets every request recorded so far.
func (r *Registry) Reset() {
	r.log.mu.Lock()
	defer r.log.mu.Unlock()
	r.log.requests = nil
}

// Carried reports whether the request carried value anywhere a credential
// travels: the whole Authorization header, the token inside a Bearer,
// token or Basic header, a Basic user name, a path segment or a query
// value.
func (r *Registry) Carried(req Request, value string) bool {
	if value == "" {
		return false
	}
	want := r.fp.of(value)
	for _, got := range req.carried {
		if got == want {
			return true
		}
	}
	return false
}

// SawToken reports whether any request on any listener carried value.
func (r *Registry) SawToken(value string) bool {
	return len(r.RequestsCarrying(value)) > 0
}

// RequestsCarrying returns the requests that carried value.
func (r *Registry) RequestsCarrying(value string) []Request {
	var out []Request
	for _, req := range r.log.snapshot() {
		if r.Carried(req, value) {
			out = append(out, req)
		}
	}
	return out
}

// FormatRequests renders requests one per line for a failure message.
func FormatRequests(requests []Request) string {
	var b strings.Builder
	for _, req := range requests {
		b.WriteString(req.String())
		b.WriteByte('\n')
	}
	return b.String()
}
