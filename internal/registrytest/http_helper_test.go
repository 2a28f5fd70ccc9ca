package registrytest

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
)

// client is a plain net/http client for the registry: it trusts the test
// CA, never follows redirects, and bounds time and body.
type client struct {
	t    *testing.T
	r    *Registry
	http *http.Client
}

func newClient(t *testing.T, r *Registry) *client {
	t.Helper()
	transport := http.DefaultTransport.(*http.Transport).Clone()
	if r.CAFile() != "" {
		pem, err := os.ReadFile(r.CAFile())
		if err != nil {
			t.Fatal(err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			t.Fatal("the CA file holds no certificate")
		}
		transport.TLSClientConfig = &tls.Config{RootCAs: pool}
	}
	t.Cleanup(transport.CloseIdleConnections)
	return &client{t: t, r: r, http: &http.Client{
		Transport:     transport,
		Timeout:       10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// response is a finished response with its body read (at most 1 MiB).
type response struct {
	status int
	header http.Header
	body   string
}

func (c *client) do(method, url, authorization string, body io.Reader) response {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, url, body)
	if err != nil {
		c.t.Fatal(err)
	}
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, c.r.redact(url), err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		c.t.Fatalf("reading %s: %v", c.r.redact(url), err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: string(b)}
}

func (c *client) get(url, authorization string) response {
	c.t.Helper()
	return c.do(http.MethodGet, url, authorization, nil)
}

// status asserts a GET's status.
func (c *client) expect(url, authorization string, want int) response {
	c.t.Helper()
	got := c.get(url, authorization)
	if got.status != want {
		c.t.Errorf("GET %s with %s: status %d, want %d (body %q)", c.r.redact(url), describeAuth(authorization), got.status, want, c.r.redact(got.body))
	}
	return got
}

// redact removes the registry's tokens from text for failure messages.
func (r *Registry) redact(text string) string {
	return redactAll(text, r.cfg.tokens)
}

func describeAuth(authorization string) string {
	if authorization == "" {
		return "no credential"
	}
	scheme, _, found := strings.Cut(authorization, " ")
	if !found {
		return "a raw credential"
	}
	return "a " + scheme + " credential"
}

// sparse returns the sparse index URL without the "sparse+" prefix.
func sparse(r *Registry) string { return strings.TrimPrefix(r.IndexURL(), "sparse+") }
