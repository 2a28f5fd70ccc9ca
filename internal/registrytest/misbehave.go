package registrytest

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"time"
)

// Switch is a way real private registries misbehave. Each can be given at
// start (WithSwitches) or flipped while the registry runs (Enable, Disable).
// To add one: a constant here, its line in switchDocs, and its effect where
// the registry decides that thing.
type Switch string

// The switches, each with its one-line description (also Switch.Doc; a test
// keeps the two identical).
const (
	// config.json answers anonymous requests (cargo then never sees a 401 and sends no token for it)
	OpenConfig Switch = "open-config"
	// index files answer anonymous requests
	OpenIndex Switch = "open-index"
	// downloads answer anonymous requests
	OpenDownloads Switch = "open-downloads"
	// read-only API calls (search, owner list) answer anonymous requests
	OpenAPI Switch = "open-api"
	// the git index answers anonymous requests
	OpenGit Switch = "open-git"
	// any credential at all is accepted, on every class
	AnyToken Switch = "any-token"
	// anonymous requests get 404 for missing crates and 401 for existing ones (index and downloads)
	Enumerate Switch = "enumerate"
	// config.json answers anonymous requests with 403 instead of 401
	ConfigForbidden Switch = "config-403"
	// every 401 becomes a 403 without a challenge
	Forbidden Switch = "forbid-403"
	// config.json leaves out auth-required while the registry still requires auth
	OmitAuthRequired Switch = "omit-auth-required"
	// 401s challenge with Basic realm=... instead of Cargo login_url=...
	BasicChallenge Switch = "basic-challenge"
	// 401s carry no WWW-Authenticate header
	NoChallenge Switch = "no-challenge"
	// dl in config.json names the other origin (localhost, another port)
	DLOtherHost Switch = "dl-other-host"
	// dl in config.json names the plain-http origin
	DLPlainHTTP Switch = "dl-plain-http"
	// api in config.json names the other origin
	APIOtherOrigin Switch = "api-other-origin"
	// downloads on the main origin redirect (302) to a signed URL on the other origin
	DLRedirectOffOrigin Switch = "dl-redirect-off-origin"
	// downloads on the main origin redirect (302) to a signed URL on the plain-http origin
	DLRedirectHTTP Switch = "dl-redirect-http"
	// error and API bodies echo the Authorization header received
	EchoToken Switch = "echo-token"
	// downloads serve bytes whose sha256 differs from the index's cksum
	BadChecksum Switch = "bad-checksum"
	// hostile classes answer 200 with a body that never ends
	EndlessBody Switch = "endless-body"
	// hostile classes trickle their body, one byte per trickle interval
	SlowBody Switch = "slow-body"
	// hostile classes wait the slow-headers delay before answering
	SlowHeaders Switch = "slow-headers"
	// hostile classes redirect to themselves forever
	RedirectLoop Switch = "redirect-loop"
)

var switchDocs = map[Switch]string{
	OpenConfig:          "config.json answers anonymous requests (cargo then never sees a 401 and sends no token for it)",
	OpenIndex:           "index files answer anonymous requests",
	OpenDownloads:       "downloads answer anonymous requests",
	OpenAPI:             "read-only API calls (search, owner list) answer anonymous requests",
	OpenGit:             "the git index answers anonymous requests",
	AnyToken:            "any credential at all is accepted, on every class",
	Enumerate:           "anonymous requests get 404 for missing crates and 401 for existing ones (index and downloads)",
	ConfigForbidden:     "config.json answers anonymous requests with 403 instead of 401",
	Forbidden:           "every 401 becomes a 403 without a challenge",
	OmitAuthRequired:    "config.json leaves out auth-required while the registry still requires auth",
	BasicChallenge:      "401s challenge with Basic realm=... instead of Cargo login_url=...",
	NoChallenge:         "401s carry no WWW-Authenticate header",
	DLOtherHost:         "dl in config.json names the other origin (localhost, another port)",
	DLPlainHTTP:         "dl in config.json names the plain-http origin",
	APIOtherOrigin:      "api in config.json names the other origin",
	DLRedirectOffOrigin: "downloads on the main origin redirect (302) to a signed URL on the other origin",
	DLRedirectHTTP:      "downloads on the main origin redirect (302) to a signed URL on the plain-http origin",
	EchoToken:           "error and API bodies echo the Authorization header received",
	BadChecksum:         "downloads serve bytes whose sha256 differs from the index's cksum",
	EndlessBody:         "hostile classes answer 200 with a body that never ends",
	SlowBody:            "hostile classes trickle their body, one byte per trickle interval",
	SlowHeaders:         "hostile classes wait the slow-headers delay before answering",
	RedirectLoop:        "hostile classes redirect to themselves forever",
}

// Doc is the switch's one-line description, or "" for an unknown switch.
func (s Switch) Doc() string { return switchDocs[s] }

// Switches lists every switch, sorted by name.
func Switches() []Switch {
	out := make([]Switch, 0, len(switchDocs))
	for s := range switchDocs {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// ParseSwitch returns the switch named name, or an error listing none.
func ParseSwitch(name string) (Switch, error) {
	s := Switch(name)
	if _, ok := switchDocs[s]; !ok {
		return "", fmt.Errorf("unknown registry switch %q", name)
	}
	return s, nil
}

// Enable turns switches on. A git index is recommitted when its config.json
// changes as a result.
func (r *Registry) Enable(switches ...Switch) error { return r.setSwitches(true, switches) }

// Disable turns switches off.
func (r *Registry) Disable(switches ...Switch) error { return r.setSwitches(false, switches) }

// Enabled reports whether a switch is on.
func (r *Registry) Enabled(s Switch) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.switches[s]
}

func (r *Registry) setSwitches(on bool, switches []Switch) error {
	r.mu.Lock()
	for _, s := range switches {
		if _, ok := switchDocs[s]; !ok {
			r.mu.Unlock()
			return fmt.Errorf("unknown registry switch %q", s)
		}
		if on {
			r.switches[s] = true
		} else {
			delete(r.switches, s)
		}
	}
	r.mu.Unlock()
	return r.syncGit("switches changed")
}

// SetHostileClasses limits the hostile switches (endless-body, slow-body,
// slow-headers, redirect-loop) to the given classes; none means all.
func (r *Registry) SetHostileClasses(classes ...Class) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.hostileClasses = append([]Class(nil), classes...)
}

func (r *Registry) hostileFor(class Class) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.hostileClasses) == 0 {
		return true
	}
	for _, c := range r.hostileClasses {
		if c == class {
			return true
		}
	}
	return false
}

// misbehaveBefore applies the hostile switches that act before the real
// handler. It reports whether it answered the request itself.
func (r *Registry) misbehaveBefore(w http.ResponseWriter, req *http.Request, class Class) bool {
	if !r.hostileFor(class) {
		return false
	}
	ctx := req.Context()
	if r.Enabled(SlowHeaders) {
		if !r.sleep(ctx, r.cfg.slowHeaders) {
			return true
		}
	}
	if r.Enabled(RedirectLoop) {
		hop, _ := strconv.Atoi(req.URL.Query().Get("hop"))
		target := *req.URL
		q := target.Query()
		q.Set("hop", strconv.Itoa(hop+1))
		target.RawQuery = q.Encode()
		http.Redirect(w, req, target.RequestURI(), http.StatusFound)
		return true
	}
	if r.Enabled(EndlessBody) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		chunk := append([]byte(`{"padding":"`), bytes.Repeat([]byte("a"), 32<<10)...)
		for {
			if _, err := w.Write(chunk); err != nil {
				return true
			}
			if f, ok := w.(http.Flusher); ok {
				f.Flush()
			}
			chunk = chunk[len(chunk)-32<<10:]
			select {
			case <-ctx.Done():
				return true
			case <-r.done:
				return true
			default:
			}
		}
	}
	return false
}

// slowBody reports whether the response must be trickled.
func (r *Registry) slowBody(class Class) bool {
	return r.Enabled(SlowBody) && r.hostileFor(class)
}

// trickle replays a captured response one byte per trickle interval.
func (r *Registry) trickle(w http.ResponseWriter, req *http.Request, captured *capture) {
	for k, v := range captured.header {
		w.Header()[k] = v
	}
	w.WriteHeader(captured.status)
	body := captured.body.Bytes()
	for i := range body {
		if _, err := w.Write(body[i : i+1]); err != nil {
			return
		}
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
		if !r.sleep(req.Context(), r.cfg.trickle) {
			return
		}
	}
}

// sleep waits d unless the request or the registry ends first; it reports
// whether the full time passed.
func (r *Registry) sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	case <-r.done:
		return false
	}
}

// capture is a ResponseWriter that buffers a response for trickle.
type capture struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func newCapture() *capture { return &capture{header: http.Header{}, status: http.StatusOK} }

func (c *capture) Header() http.Header { return c.header }

func (c *capture) WriteHeader(status int) { c.status = status }

func (c *capture) Write(b []byte) (int, error) { return c.body.Write(b) }
