package registrytest

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cargo-auth/cargo-auth/internal/leakguard"
)

// Registry is a running test registry. Its methods are safe for concurrent
// use; Close stops it.
type Registry struct {
	cfg config

	mu             sync.Mutex
	crates         map[string]*crateEntry
	switches       map[Switch]bool
	hostileClasses []Class
	closed         bool

	log    requestLog
	fp     fingerprints
	sigKey []byte

	bases     map[string]string
	servers   []*http.Server
	listeners []net.Listener
	done      chan struct{}
	wg        sync.WaitGroup
	once      sync.Once

	dir    string
	ownDir bool
	caFile string
	git    *gitIndex
}

// crateEntry is every version of one crate, keyed by lowercased name.
type crateEntry struct {
	versions    []*crateVersion
	owners      []Owner
	description string
}

// New starts a registry for a test and closes it when the test ends. When
// the test fails, the request log is printed (it holds no secret).
func New(t testing.TB, opts ...Option) *Registry {
	t.Helper()
	r, err := Start(opts...)
	if err != nil {
		t.Fatalf("starting the test registry: %v", err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("test registry requests:\n%s", FormatRequests(r.Requests()))
		}
		if err := r.Close(); err != nil {
			t.Errorf("closing the test registry: %v", err)
		}
	})
	return r
}

// Start starts a registry outside of a testing.TB (a testscript command, a
// TestMain); the caller must Close it.
func Start(opts ...Option) (_ *Registry, err error) {
	cfg := defaultConfig()
	for _, o := range opts {
		o(&cfg)
	}
	if len(cfg.tokens) == 0 {
		cfg.tokens = []string{leakguard.NewToken()}
	}
	for _, s := range cfg.switches {
		if _, err := ParseSwitch(string(s)); err != nil {
			return nil, err
		}
	}
	r := &Registry{
		cfg:            cfg,
		crates:         map[string]*crateEntry{},
		switches:       map[Switch]bool{},
		hostileClasses: cfg.hostile,
		fp:             fingerprints{key: randomBytes(32)},
		sigKey:         randomBytes(32),
		bases:          map[string]string{},
		done:           make(chan struct{}),
	}
	for _, s := range cfg.switches {
		r.switches[s] = true
	}
	defer func() {
		if err != nil {
			r.Close()
		}
	}()
	if cfg.dir != "" {
		r.dir = cfg.dir
	} else {
		if r.dir, err = os.MkdirTemp("", "registrytest-"); err != nil {
			return nil, err
		}
		r.ownDir = true
	}
	if err := r.listen(); err != nil {
		return nil, err
	}
	if cfg.loginURL == "" {
		r.cfg.loginURL = r.bases[ListenerMain] + "/me"
	}
	for _, c := range cfg.crates {
		if err := r.addCrate(c); err != nil {
			return nil, err
		}
	}
	if cfg.git {
		// One commit for everything given at start: git processes are
		// the slowest part of starting a registry.
		if r.git, err = newGitIndex(r.dir); err != nil {
			return nil, err
		}
		if err := r.syncGit("initial index"); err != nil {
			return nil, err
		}
	}
	r.startServing()
	return r, nil
}

// listen opens the three listeners and fixes their origins: main and other
// share the scheme (https with WithTLS), plain is always http. Nothing is
// served until serve, so no handler sees a half-built registry.
func (r *Registry) listen() error {
	var ca *testCA
	if r.cfg.tls {
		var err error
		if ca, err = newTestCA(); err != nil {
			return err
		}
		if r.caFile, err = ca.writeCA(r.dir); err != nil {
			return err
		}
	}
	for _, name := range []string{ListenerMain, ListenerOther, ListenerPlain} {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		r.listeners = append(r.listeners, l)
		host := l.Addr().String()
		if name == ListenerOther {
			host = "localhost:" + strings.TrimPrefix(host, "127.0.0.1:")
		}
		srv := &http.Server{
			Handler:           r.handler(name),
			ReadHeaderTimeout: 10 * time.Second,
			IdleTimeout:       time.Minute,
			ErrorLog:          log.New(io.Discard, "", 0),
		}
		scheme := "http"
		if ca != nil && name != ListenerPlain {
			scheme = "https"
			srv.TLSConfig = ca.serverConfig()
		}
		r.bases[name] = scheme + "://" + host
		r.servers = append(r.servers, srv)
	}
	return nil
}

// startServing serves every listener, HTTP/2 included over TLS.
func (r *Registry) startServing() {
	for i, srv := range r.servers {
		l := r.listeners[i]
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			if srv.TLSConfig != nil {
				srv.ServeTLS(l, "", "")
			} else {
				srv.Serve(l)
			}
		}()
	}
}

// Close stops every listener and waits for every handler, hostile ones
// included, then removes the registry's temporary directory.
func (r *Registry) Close() error {
	var err error
	r.once.Do(func() {
		r.mu.Lock()
		r.closed = true
		r.mu.Unlock()
		close(r.done)
		for _, srv := range r.servers {
			if e := srv.Close(); e != nil && !errors.Is(e, http.ErrServerClosed) {
				err = errors.Join(err, e)
			}
		}
		for _, l := range r.listeners {
			l.Close() // a listener never served is not closed by its server
		}
		r.wg.Wait()
		if r.ownDir {
			err = errors.Join(err, os.RemoveAll(r.dir))
		}
	})
	return err
}

// enter registers a handler with the registry's WaitGroup unless the
// registry is closing.
func (r *Registry) enter() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return false
	}
	r.wg.Add(1)
	return true
}

// Token is the first accepted token.
func (r *Registry) Token() string { return r.cfg.tokens[0] }

// Tokens are all the accepted tokens, in order.
func (r *Registry) Tokens() []string { return append([]string(nil), r.cfg.tokens...) }

// URL is the main origin, such as "https://127.0.0.1:34567".
func (r *Registry) URL() string { return r.bases[ListenerMain] }

// OriginURL is the origin of a listener (ListenerMain, ListenerOther,
// ListenerPlain).
func (r *Registry) OriginURL(listener string) string { return r.bases[listener] }

// IndexURL is the sparse index URL, with cargo's "sparse+" prefix.
func (r *Registry) IndexURL() string { return "sparse+" + r.URL() + "/index/" }

// PathTokenIndexURL is the sparse index URL with token as a path segment
// (needs WithPathToken).
func (r *Registry) PathTokenIndexURL(token string) string {
	return "sparse+" + r.URL() + "/" + token + "/index/"
}

// GitIndexURL is the git index URL (needs WithGitIndex).
func (r *Registry) GitIndexURL() string { return r.URL() + "/index.git" }

// GitIndexURLWithUserinfo is the git index URL carrying user:token@, the
// form cargo accepts in a [source] replacement.
func (r *Registry) GitIndexURLWithUserinfo(user, token string) string {
	scheme, rest, _ := strings.Cut(r.URL(), "://")
	return scheme + "://" + user + ":" + token + "@" + rest + "/index.git"
}

// PathTokenGitIndexURL is the git index URL with token as a path segment.
func (r *Registry) PathTokenGitIndexURL(token string) string {
	return r.URL() + "/" + token + "/index.git"
}

// LoginURL is the login_url the Cargo challenge names.
func (r *Registry) LoginURL() string { return r.cfg.loginURL }

// CAFile is the path of the test CA's PEM file, or "" without WithTLS.
func (r *Registry) CAFile() string { return r.caFile }

// Dir is the directory holding the registry's files.
func (r *Registry) Dir() string { return r.dir }

func (r *Registry) logf(format string, args ...any) {
	if r.cfg.logf != nil {
		r.cfg.logf(format, args...)
	}
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("registrytest: reading randomness: %v", err))
	}
	return b
}
