package auth

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func testClient(t *testing.T, opts clientOptions) *registryClient {
	t.Helper()
	c, err := newRegistryClient(&Factory{}, opts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestClientDropsTokenOnCrossOriginRedirect(t *testing.T) {
	var gotAuth []string
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotAuth = append(gotAuth, r.Header.Get("Authorization"))
	}))
	defer other.Close()
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/elsewhere", http.StatusFound)
	}))
	defer origin.Close()

	resp, err := testClient(t, clientOptions{}).get(context.Background(), origin.URL+"/dl", "secret-token-1234")
	if err != nil {
		t.Fatal(err)
	}
	if len(gotAuth) != 1 || gotAuth[0] != "" {
		t.Errorf("other origin received Authorization %q, want none", gotAuth)
	}
	if len(resp.Redirects) != 1 {
		t.Errorf("recorded %d redirects, want 1", len(resp.Redirects))
	}
}

func TestClientKeepsTokenOnSameOriginRedirect(t *testing.T) {
	var gotAuth string
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/a" {
			http.Redirect(w, r, "/b", http.StatusFound)
			return
		}
		gotAuth = r.Header.Get("Authorization")
	}))
	defer srv.Close()
	if _, err := testClient(t, clientOptions{}).get(context.Background(), srv.URL+"/a", "tok"); err != nil {
		t.Fatal(err)
	}
	if gotAuth != "tok" {
		t.Errorf("same-origin redirect target got Authorization %q, want tok", gotAuth)
	}
}

func TestClientBoundsHostileRegistries(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/huge":
			chunk := []byte(strings.Repeat("x", 64<<10))
			for i := 0; i < 1000; i++ {
				if _, err := w.Write(chunk); err != nil {
					return
				}
			}
		case "/slow":
			w.WriteHeader(200)
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
			case <-time.After(10 * time.Second):
			}
		case "/loop":
			http.Redirect(w, r, "/loop", http.StatusFound)
		}
	}))
	defer srv.Close()
	c := testClient(t, clientOptions{Timeout: 300 * time.Millisecond, MaxBody: 1 << 20})

	if _, err := c.get(context.Background(), srv.URL+"/huge", ""); !errors.Is(err, errBodyTooLarge) {
		t.Errorf("huge body: err = %v, want errBodyTooLarge", err)
	}
	start := time.Now()
	if _, err := c.get(context.Background(), srv.URL+"/slow", ""); err == nil || !strings.Contains(err.Error(), "timed out") {
		t.Errorf("slow body: err = %v, want a timeout", err)
	}
	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Errorf("slow body took %v, the timeout did not bound it", elapsed)
	}
	if _, err := c.get(context.Background(), srv.URL+"/loop", ""); err == nil || !strings.Contains(err.Error(), "redirects") {
		t.Errorf("redirect loop: err = %v, want a redirect limit error", err)
	}
}

func TestClientRefusesTokenOverPlainHTTP(t *testing.T) {
	c := testClient(t, clientOptions{})
	_, err := c.get(context.Background(), "http://registry.example/config.json", "secret-token-1234")
	if err == nil || !strings.Contains(err.Error(), "refusing to send a token over http") {
		t.Fatalf("err = %v, want a refusal", err)
	}
	if strings.Contains(err.Error(), "secret-token-1234") {
		t.Errorf("error leaks the token: %v", err)
	}
}

func TestClientErrorsAreRedacted(t *testing.T) {
	c := testClient(t, clientOptions{Timeout: time.Second})
	_, err := c.get(context.Background(), "http://user:pa55w0rdSecretXYZ@127.0.0.1:1/index/", "")
	if err == nil {
		t.Fatal("want a connection error")
	}
	if strings.Contains(err.Error(), "pa55w0rdSecretXYZ") {
		t.Errorf("error leaks userinfo: %v", err)
	}
}
