package auth

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cargo-auth/cargo-auth/credentials"
)

// roundTripFunc is an http.RoundTripper made of a function.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestStatusNeverSendsTheTokenOverPlainHTTP(t *testing.T) {
	e := newStatusEnv(t)
	e.config(`[registries.corp]
index = "sparse+http://corp.example/index/"
[registry]
global-credential-providers = ["cargo:token"]`)
	e.setenv("CARGO_REGISTRIES_CORP_TOKEN=" + e.secret("cgatest_plainhttp0123456789"))
	var sawToken bool
	transport := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		if r.Header.Get("Authorization") != "" {
			sawToken = true
		}
		return &http.Response{StatusCode: 401, Header: http.Header{}, Body: io.NopCloser(strings.NewReader("{}")), Request: r}, nil
	})
	out := e.runWith(statusOptions{JSON: true}, func(f *Factory) { f.HTTPTransport = func() http.RoundTripper { return transport } })
	r := out.registry(t, "corp")
	if sawToken {
		t.Fatal("the token went over plain http")
	}
	wantProblems(t, r, probHTTPIndex)
	if r.Live == nil || r.Live.Result != "skipped" || !strings.Contains(r.Live.Message, "refusing to send a token over http") {
		t.Errorf("live %+v", r.Live)
	}
}

func TestStatusColourOnlyOnATerminalWithoutNoColor(t *testing.T) {
	e := newStatusEnv(t)
	e.config(`[registries.corp]
index = "` + corpIndex + `"`)
	var env []string
	for _, kv := range e.environ {
		if !strings.HasPrefix(kv, "NO_COLOR=") {
			env = append(env, kv)
		}
	}
	e.environ = env
	terminal := func(f *Factory) { f.StdoutIsTerminal = func() bool { return true } }
	if out := e.runWith(statusOptions{Offline: true}, terminal); !strings.Contains(out.stdout, "\x1b[31m✗") {
		t.Errorf("no colour on a terminal:\n%q", out.stdout)
	}
	e.setenv("NO_COLOR=")
	if out := e.runWith(statusOptions{Offline: true}, terminal); strings.Contains(out.stdout, "\x1b[") {
		t.Errorf("colour with NO_COLOR set:\n%q", out.stdout)
	}
}

// runWith is run with a change to the factory.
func (e *statusEnv) runWith(opts statusOptions, change func(*Factory)) statusOutcome {
	e.t.Helper()
	var stdout, stderr bytes.Buffer
	environ := append([]string(nil), e.environ...)
	f := &Factory{
		Stdout:           &stdout,
		Stderr:           &stderr,
		Environ:          func() []string { return environ },
		Getwd:            func() (string, error) { return e.project, nil },
		Now:              func() time.Time { return e.now },
		StdoutIsTerminal: func() bool { return false },
		StderrIsTerminal: func() bool { return false },
		Store: func(ctx context.Context, backend string) (credentials.Store, error) {
			return e.store, nil
		},
	}
	change(f)
	opts.Factory = f
	return e.runFactory(opts, &stdout, &stderr)
}
