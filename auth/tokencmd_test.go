package auth

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cargo-auth/cargo-auth/credentials"
)

func TestParseTokenOutput(t *testing.T) {
	now := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	tests := []struct {
		name, out, token string
		expires          time.Time
		err              string
	}{
		{name: "a line", out: "cgatest_plain_line_token\n", token: "cgatest_plain_line_token"},
		{name: "a header", out: "Bearer abc.def\n", token: "Bearer abc.def"},
		{name: "ours", out: `{"token":"t0ken-value","expires_at":"2026-03-04T06:00:00Z"}`, token: "t0ken-value", expires: time.Date(2026, 3, 4, 6, 0, 0, 0, time.UTC)},
		{name: "unix seconds", out: `{"token":"t0ken-value","expires_at":1900000000}`, token: "t0ken-value", expires: time.Unix(1900000000, 0)},
		{name: "expires_in", out: `{"token":"t0ken-value","expires_in":3600}`, token: "t0ken-value", expires: now.Add(time.Hour)},
		{name: "aws json", out: `{"authorizationToken":"aws-t0ken-value","expiration":"2026-03-04T17:06:07+00:00"}`, token: "aws-t0ken-value", expires: time.Date(2026, 3, 4, 17, 6, 7, 0, time.UTC)},
		{name: "azure json", out: `{"accessToken":"az-t0ken-value","expires_on":1772608000,"expiresOn":"2026-03-04 07:06:40.000000"}`, token: "az-t0ken-value", expires: time.Date(2026, 3, 4, 7, 6, 40, 0, time.Local)},
		{name: "milliseconds", out: `{"token":"t0ken-value","expires_at":1900000000000}`, token: "t0ken-value", expires: time.Unix(1900000000, 0)},
		{name: "empty", out: "\n\n", err: "printed nothing"},
		{name: "two lines", out: "cgatest_one_line_token\nsecond\n", err: "more than one line"},
		{name: "json without token", out: `{"access":"cgatest_hidden_in_json"}`, err: `want a "token" field`},
		{name: "not json", out: `{cgatest_broken_json`, err: "not a JSON object"},
		{name: "bad expiry", out: `{"token":"cgatest_bad_expiry_token","expires_at":"soon"}`, err: `"expires_at" is not a time`},
		{name: "negative expires_in", out: `{"token":"cgatest_neg_expiry_token","expires_in":-5}`, err: "positive number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			token, expires, err := parseTokenOutput([]byte(tt.out), now)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				if strings.Contains(err.Error(), "cgatest_") {
					t.Errorf("the error quotes the output: %v", err)
				}
				return
			}
			if err != nil || token != tt.token || !expires.Equal(tt.expires) {
				t.Errorf("got %q %v %v, want %q %v", token, expires, err, tt.token, tt.expires)
			}
		})
	}
}

func TestSplitCommandLine(t *testing.T) {
	tests := []struct {
		in   string
		want []string
		err  string
	}{
		{in: "aws codeartifact get-authorization-token --output text", want: []string{"aws", "codeartifact", "get-authorization-token", "--output", "text"}},
		{in: `mint 'a b' "c d" e\ f ''`, want: []string{"mint", "a b", "c d", "e f", ""}},
		{in: `mint "say \"hi\" \n"`, want: []string{"mint", `say "hi" \n`}},
		{in: `mint 'it''s'`, want: []string{"mint", "its"}},
		{in: `mint '$HOME|x>y'`, want: []string{"mint", "$HOME|x>y"}},
		{in: "  \t ", want: nil},
		{in: "mint $HOME", err: "without a shell"},
		{in: `mint "$HOME"`, err: "no variables"},
		{in: "mint | cut", err: "without a shell"},
		{in: "mint > file", err: "without a shell"},
		{in: "mint *.json", err: "not expanded"},
		{in: "~/bin/mint", err: "~ is not expanded"},
		{in: "mint 'open", err: "unterminated"},
		{in: `mint \`, err: "unterminated"},
	}
	for _, tt := range tests {
		got, err := splitCommandLine(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%q: err = %v, want %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("%q: got %q %v, want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestRefreshDue(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	cmd := []string{"mint"}
	tok := func(exp time.Time) credentials.Token {
		return credentials.NewToken("t0ken-value", credentials.SchemeRaw).WithExpiry(exp)
	}
	tests := []struct {
		name string
		cred credentials.Credential
		want bool
	}{
		{"no command", credentials.Credential{Token: tok(now.Add(-time.Hour))}, false},
		{"no token yet", credentials.Credential{TokenCommand: cmd}, true},
		{"12h token, 6 minutes left", credentials.Credential{TokenCommand: cmd, Updated: now.Add(-12 * time.Hour), Token: tok(now.Add(6 * time.Minute))}, false},
		{"12h token, 4 minutes left", credentials.Credential{TokenCommand: cmd, Updated: now.Add(-12 * time.Hour), Token: tok(now.Add(4 * time.Minute))}, true},
		{"4s token, 3s left", credentials.Credential{TokenCommand: cmd, Updated: now.Add(-time.Second), Token: tok(now.Add(3 * time.Second))}, false},
		{"4s token, 1s left", credentials.Credential{TokenCommand: cmd, Updated: now.Add(-3 * time.Second), Token: tok(now.Add(time.Second))}, true},
		{"expired", credentials.Credential{TokenCommand: cmd, Updated: now.Add(-time.Hour), Token: tok(now.Add(-time.Second))}, true},
	}
	for _, tt := range tests {
		if got := refreshDue(tt.cred, now); got != tt.want {
			t.Errorf("%s: refreshDue = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// mintScript writes an executable shell script and returns its path.
func mintScript(t *testing.T, dir, body string) string {
	t.Helper()
	path := filepath.Join(dir, "mint.sh")
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestMintToken(t *testing.T) {
	jwt := "eyJhbGciOiJub25lIn0.eyJleHAiOjE5MDAwMDAwMDB9.sig" // exp 1900000000
	tests := []struct {
		name    string
		body    string
		spec    mintSpec
		timeout string
		token   string
		expires func(start time.Time) time.Time
		err     string
		stderr  string
	}{
		{name: "plain line, default lifetime", body: "echo cgatest_minted_plain_token", token: "cgatest_minted_plain_token",
			expires: func(s time.Time) time.Time { return s.Add(defaultMintedLifetime) }},
		{name: "scheme applied", body: "echo cgatest_minted_plain_token", spec: mintSpec{Scheme: credentials.SchemeBearer}, token: "Bearer cgatest_minted_plain_token",
			expires: func(s time.Time) time.Time { return s.Add(defaultMintedLifetime) }},
		{name: "jwt exp", body: "echo " + jwt, token: jwt, expires: func(time.Time) time.Time { return time.Unix(1900000000, 0) }},
		{name: "ttl caps", body: "echo " + jwt, spec: mintSpec{TTL: time.Minute}, token: jwt, expires: func(s time.Time) time.Time { return s.Add(time.Minute) }},
		{name: "stderr passes through", body: "echo 'mint: hello' >&2; echo cgatest_minted_plain_token", token: "cgatest_minted_plain_token", stderr: "mint: hello",
			expires: func(s time.Time) time.Time { return s.Add(defaultMintedLifetime) }},
		{name: "fails", body: "echo cgatest_never_shown_token; exit 3", err: "token command mint.sh failed (exit status 3)"},
		{name: "times out", body: "sleep 5; echo cgatest_late_token", timeout: "200ms", err: "token command mint.sh timed out after 200ms"},
		{name: "stdin is closed", body: "read x && echo got-input || echo cgatest_stdin_closed_token", token: "cgatest_stdin_closed_token",
			expires: func(s time.Time) time.Time { return s.Add(defaultMintedLifetime) }},
		{name: "not found", spec: mintSpec{Argv: []string{"/nonexistent/mint"}}, err: "token command mint"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTokensEnv(t, nil)
			if tt.timeout != "" {
				e.setenv(envTokenCommandTimeout + "=" + tt.timeout)
			}
			spec := tt.spec
			if spec.Argv == nil {
				spec.Argv = []string{mintScript(t, e.dir, tt.body+"\n")}
			}
			f := e.factory()
			f.Stdin = strings.NewReader("cargo's protocol line\n")
			start := time.Now()
			tok, err := mintToken(context.Background(), f, spec)
			if took := time.Since(start); took > 4*time.Second {
				t.Errorf("took %v", took)
			}
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) || strings.Contains(err.Error(), "cgatest_") {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tok.Authorization() != tt.token {
				t.Errorf("token %q, want %q", tok.Authorization(), tt.token)
			}
			want := tt.expires(start)
			if d := tok.Expires().Sub(want); d < -time.Second || d > time.Second {
				t.Errorf("expires %v, want about %v", tok.Expires(), want)
			}
			if !strings.Contains(e.stderr.String(), tt.stderr) || strings.Contains(e.stderr.String(), "cgatest_") {
				t.Errorf("stderr %q", e.stderr.String())
			}
		})
	}
}

// Concurrent refreshes of one expired token run its command once.
func TestFreshCredentialMintsOnceUnderConcurrency(t *testing.T) {
	e := newTokensEnv(t, nil)
	counter := filepath.Join(e.dir, "mints")
	mint := mintScript(t, e.dir, "echo x >> "+counter+"\nsleep 0.3\necho cgatest_concurrent_minted_token\n")
	const index = "sparse+https://short.example/index/"
	expired := credentials.Credential{IndexURL: index, TokenCommand: []string{mint}, Updated: time.Now().Add(-time.Hour),
		Token: credentials.NewToken("cgatest_old_expired_token", credentials.SchemeRaw).WithExpiry(time.Now().Add(-time.Minute))}
	if err := e.store.Set(context.Background(), expired); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	results := make([]string, 8)
	for i := range results {
		wg.Add(1)
		// factory() resets the env's shared buffers: build each one before
		// its goroutine starts.
		f := e.factory()
		f.Stderr, f.Stdout = &strings.Builder{}, &strings.Builder{}
		go func() {
			defer wg.Done()
			cred, err := freshCredential(context.Background(), f, e.store, expired)
			if err != nil {
				t.Error(err)
				return
			}
			results[i] = cred.Token.Reveal()
		}()
	}
	wg.Wait()
	data, _ := os.ReadFile(counter)
	if n := strings.Count(string(data), "x"); n != 1 {
		t.Errorf("the token command ran %d times, want once", n)
	}
	for i, r := range results {
		if r != "cgatest_concurrent_minted_token" {
			t.Errorf("caller %d got %q", i, r)
		}
	}
}

// A failing command with a still valid cached token keeps the build going.
func TestFreshCredentialFallsBackToTheCachedToken(t *testing.T) {
	e := newTokensEnv(t, nil)
	mint := mintScript(t, e.dir, "echo 'mint: offline' >&2; exit 1\n")
	cred := credentials.Credential{IndexURL: "sparse+https://short.example/index/", TokenCommand: []string{mint}, Updated: time.Now().Add(-time.Hour),
		Token: credentials.NewToken("cgatest_cached_still_valid", credentials.SchemeRaw).WithExpiry(time.Now().Add(time.Minute))}
	f := e.factory()
	got, err := freshCredential(context.Background(), f, e.store, cred)
	if err != nil || got.Token.Reveal() != "cgatest_cached_still_valid" {
		t.Fatalf("got %v, %v", got.Token, err)
	}
	if !strings.Contains(e.stderr.String(), "warning: token command mint.sh failed (exit status 1); its messages, if any, are above; using the cached token") {
		t.Errorf("stderr %q", e.stderr.String())
	}
	cred.Token = cred.Token.WithExpiry(time.Now().Add(-time.Second))
	if _, err := freshCredential(context.Background(), e.factory(), e.store, cred); err == nil {
		t.Error("an expired token was served after the command failed")
	}
}
