package auth

import (
	"context"
	"crypto/sha256"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// The client features verify relies on: a per-request limit, truncation
// without an error, streamed hashing, and errors that keep their cause.
func TestClientVerifyFeatures(t *testing.T) {
	payload := strings.Repeat("crate bytes ", 20000) // 240 kB
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/big":
			w.Write([]byte(payload))
		case "/slow":
			time.Sleep(2 * time.Second)
		case "/loop":
			http.Redirect(w, r, "/loop", http.StatusFound)
		}
	}))
	defer srv.Close()
	c := testClient(t, clientOptions{Timeout: 500 * time.Millisecond})
	ctx := context.Background()

	resp, err := c.do(ctx, request{URL: srv.URL + "/big", MaxBody: 1000, Truncate: true})
	if err != nil || !resp.Truncated || len(resp.Body) != 1000 {
		t.Errorf("truncate: err %v, truncated %v, %d bytes", err, resp != nil && resp.Truncated, len(resp.Body))
	}
	if _, err := c.do(ctx, request{URL: srv.URL + "/big", MaxBody: 1000}); !errors.Is(err, errBodyTooLarge) {
		t.Errorf("per-request limit: err = %v", err)
	}
	resp, err = c.do(ctx, request{URL: srv.URL + "/big", Hash: true, MaxBody: 1 << 20})
	want := sha256.Sum256([]byte(payload))
	if err != nil || string(resp.SHA256) != string(want[:]) || resp.Size != int64(len(payload)) || len(resp.Body) != hashPrefix {
		t.Errorf("hash: err %v, size %d, kept %d bytes", err, resp.Size, len(resp.Body))
	}
	if _, err := c.do(ctx, request{URL: srv.URL + "/big", Hash: true, MaxBody: 1000}); !errors.Is(err, errBodyTooLarge) {
		t.Errorf("hash over the limit: err = %v", err)
	}
	if _, err := c.get(ctx, srv.URL+"/slow", ""); !errors.Is(err, errTimedOut) || !strings.HasSuffix(err.Error(), ": timed out") {
		t.Errorf("timeout: err = %v", err)
	}
	if _, err := c.get(ctx, srv.URL+"/loop", ""); !errors.Is(err, errTooManyRedirects) {
		t.Errorf("redirect loop: err = %v", err)
	}
	if _, err := c.get(ctx, "http://127.0.0.1:1/", ""); err == nil || errors.Is(err, errTimedOut) {
		t.Errorf("connection refused: err = %v", err)
	}
}

// The rate limiter spaces the start of requests: n requests at r per
// second take at least (n-1)/r.
func TestRateLimiterSpacesRequests(t *testing.T) {
	l := newRateLimiter(200)
	start := time.Now()
	for range 5 {
		if err := l.wait(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if elapsed := time.Since(start); elapsed < 4*5*time.Millisecond {
		t.Errorf("5 requests at 200/s took %v, want at least 20ms", elapsed)
	}
	if newRateLimiter(0) != nil || newRateLimiter(0).wait(context.Background()) != nil {
		t.Error("no limit must never wait")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	slow := newRateLimiter(0.001)
	slow.wait(ctx) // the first request goes at once
	if err := slow.wait(ctx); err == nil {
		t.Error("a cancelled wait returned no error")
	}
}
