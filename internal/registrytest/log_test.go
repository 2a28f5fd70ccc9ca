package registrytest

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestRequestLog(t *testing.T) {
	t.Parallel()
	tokens := []string{"cgatest_log_first", "cgatest_log_second"}
	var logged []string
	var mu sync.Mutex
	r := New(t, WithTokens(tokens...), WithSchemes(SchemeRaw, SchemeBearer), WithLogf(func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		logged = append(logged, fmt.Sprintf(format, args...))
	}))
	c := newClient(t, r)
	c.expect(sparse(r)+"config.json", "", 401)
	c.expect(sparse(r)+"config.json", "Bearer "+tokens[1], 200)
	c.expect(sparse(r)+"3/a/abc?x=1", "cgatest_unknown", 401)
	c.expect(r.URL()+"/"+tokens[0]+"/index/config.json?t="+tokens[1], "", 404)

	reqs := r.Requests()
	if len(reqs) != 4 {
		t.Fatalf("%d requests logged, want 4", len(reqs))
	}
	if reqs[3].Path != "/<token#0>/index/config.json?t=<token#1>" {
		t.Errorf("a token sent in the path is logged as %q", r.redact(reqs[3].Path))
	}
	if !r.Carried(reqs[3], tokens[0]) || !r.Carried(reqs[3], tokens[1]) {
		t.Errorf("tokens in the URL do not count as carried")
	}
	reqs = reqs[:3]
	want := []struct {
		path   string
		class  Class
		status int
		cred   string
	}{
		{"/index/config.json", ClassConfig, 401, "none"},
		{"/index/config.json", ClassConfig, 200, "token#1 bearer accepted"},
		{"/index/3/a/abc?x=1", ClassIndex, 401, "unknown raw rejected"},
	}
	for i, w := range want {
		got := reqs[i]
		if got.Path != w.path || got.Class != w.class || got.Status != w.status || got.Credential.String() != w.cred || got.Method != "GET" || got.Listener != ListenerMain {
			t.Errorf("request %d = %s, want %s %s %d %s", i, got, w.path, w.class, w.status, w.cred)
		}
	}
	if r.Carried(reqs[0], tokens[1]) || !r.Carried(reqs[1], tokens[1]) || !r.Carried(reqs[1], "Bearer "+tokens[1]) || r.Carried(reqs[1], tokens[0]) {
		t.Errorf("Carried does not tell the requests apart")
	}
	if !r.Carried(reqs[2], "cgatest_unknown") {
		t.Errorf("an unknown value cannot be compared")
	}
	if !r.SawToken(tokens[1]) || len(r.RequestsCarrying(tokens[0])) != 1 || r.SawToken("") {
		t.Errorf("SawToken: second %t, first %t", r.SawToken(tokens[1]), r.SawToken(tokens[0]))
	}
	if n := len(r.RequestsTo(ClassIndex)); n != 1 {
		t.Errorf("RequestsTo(index) = %d, want 1", n)
	}
	text := FormatRequests(reqs) + fmt.Sprintf("%+v %#v", reqs, reqs) + strings.Join(logged, "\n")
	for _, secret := range append(tokens, "cgatest_unknown") {
		if strings.Contains(text, secret) {
			t.Errorf("the request log or the registry's logging shows a credential")
		}
	}
	mu.Lock()
	if len(logged) != 4 {
		t.Errorf("%d lines logged, want 4", len(logged))
	}
	mu.Unlock()
	r.Reset()
	if len(r.Requests()) != 0 || r.SawToken(tokens[1]) {
		t.Errorf("Reset left requests behind")
	}
}

func TestTLS(t *testing.T) {
	t.Parallel()
	r := New(t, WithTLS())
	if !strings.HasPrefix(r.IndexURL(), "sparse+https://127.0.0.1:") || r.CAFile() == "" {
		t.Fatalf("IndexURL %s, CAFile %q", r.IndexURL(), r.CAFile())
	}
	c := newClient(t, r)
	c.expect(sparse(r)+"config.json", r.Token(), 200)
	c.expect(strings.Replace(sparse(r), "127.0.0.1", "localhost", 1)+"config.json", r.Token(), 200)
	c.expect(r.OriginURL(ListenerOther)+"/index/config.json", r.Token(), 200)
	c.expect(r.OriginURL(ListenerPlain)+"/index/config.json", r.Token(), 200)

	// A client that does not trust the CA fails.
	if _, err := http.Get(sparse(r) + "config.json"); err == nil {
		t.Errorf("an untrusting client connected")
	}
}

// TestCloseStopsHostileHandlers proves Close ends endless and slow
// responses and leaves no goroutine behind.
func TestCloseStopsHostileHandlers(t *testing.T) {
	before := runtime.NumGoroutine()
	for _, sw := range []Switch{EndlessBody, SlowHeaders, SlowBody, EndlessBody + "/h2", SlowBody + "/h2"} {
		opts := []Option{WithSwitches(Switch(strings.TrimSuffix(string(sw), "/h2"))), WithSlowHeaders(time.Hour), WithTrickle(time.Hour)}
		h2 := strings.HasSuffix(string(sw), "/h2")
		if h2 {
			opts = append(opts, WithTLS())
		}
		r, err := Start(opts...)
		if err != nil {
			t.Fatal(err)
		}
		transport := &http.Transport{ForceAttemptHTTP2: true}
		if h2 {
			pem, _ := os.ReadFile(r.CAFile())
			pool := x509.NewCertPool()
			pool.AppendCertsFromPEM(pem)
			transport.TLSClientConfig = &tls.Config{RootCAs: pool}
		}
		var proto string
		responded := make(chan struct{}) // headers arrived (or the request failed)
		finished := make(chan struct{})
		go func() {
			defer close(finished)
			req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, sparse(r)+"config.json", nil)
			resp, err := transport.RoundTrip(req)
			close(responded)
			if err == nil {
				proto = resp.Proto
				buf := make([]byte, 1024)
				for err == nil {
					_, err = resp.Body.Read(buf)
				}
				resp.Body.Close()
			}
		}()
		// Close while the handler is busy: mid-body when headers come first,
		// before the headers for slow-headers.
		if sw == SlowHeaders {
			deadline := time.Now().Add(5 * time.Second)
			for len(r.Requests()) == 0 && time.Now().Before(deadline) {
				time.Sleep(5 * time.Millisecond)
			}
		} else {
			select {
			case <-responded:
			case <-time.After(5 * time.Second):
				t.Fatalf("%s: no response headers", sw)
			}
		}
		closed := make(chan error)
		go func() { closed <- r.Close() }()
		select {
		case err := <-closed:
			if err != nil {
				t.Errorf("%s: Close: %v", sw, err)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: Close did not return", sw)
		}
		select {
		case <-finished:
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: the client still reads after Close", sw)
		}
		if h2 && proto != "HTTP/2.0" {
			t.Errorf("%s: the response came over %q", sw, proto)
		}
		transport.CloseIdleConnections()
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before+2 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before+2 {
		buf := make([]byte, 1<<16)
		t.Errorf("%d goroutines after Close, %d before:\n%s", n, before, buf[:runtime.Stack(buf, true)])
	}
}

func TestStartWithoutTB(t *testing.T) {
	r, err := Start(WithCrates(Crate{Name: "abc", Version: "0.1.0"}))
	if err != nil {
		t.Fatal(err)
	}
	dir := r.Dir()
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Errorf("a second Close: %v", err)
	}
	if _, err := http.Get(sparse(r) + "config.json"); err == nil {
		t.Errorf("the registry still answers after Close")
	}
	if _, err := Start(WithCrates(Crate{Name: "bad name", Version: "0.1.0"})); err == nil {
		t.Errorf("Start accepted a bad crate")
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("Close left %s behind (%v)", dir, err)
	}
}
