package auth

import (
	"context"
	"errors"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cargo-auth/cargo-auth/credentials"
	"github.com/cargo-auth/cargo-auth/internal/registrytest"
)

// parseCommand runs a command's flag parsing and returns what runF saw.
func parseLogin(t *testing.T, environ []string, args ...string) (*loginOptions, int, string) {
	t.Helper()
	var got *loginOptions
	var stderr strings.Builder
	f := &Factory{Stdin: strings.NewReader(""), Stdout: &strings.Builder{}, Stderr: &stderr, Environ: func() []string { return environ }}
	app := NewApp(f)
	for i, c := range app.Commands {
		if c.Name == "login" {
			app.Commands[i] = newLoginCommand(f, func(_ context.Context, o *loginOptions) error { got = o; return nil })
			setUsageErrorHandler(app.Commands[i])
		}
	}
	err := app.RunContext(context.Background(), reorderFlags(app, append([]string{"cargo-auth", "login"}, args...)))
	return got, reportError(f, err), stderr.String()
}

func TestLoginOptions(t *testing.T) {
	tests := []struct {
		name    string
		environ []string
		args    []string
		check   func(*testing.T, *loginOptions)
		code    int
		stderr  string
	}{
		{name: "defaults", args: []string{"corp"}, check: func(t *testing.T, o *loginOptions) {
			if o.Registry != "corp" || o.NoVerify || o.NoConfigure || o.PinBackend || o.Backend != "" || len(o.TokenCommand) != 0 {
				t.Errorf("%+v", o)
			}
		}},
		{name: "flags after the name", args: []string{"corp", "--no-verify", "--no-configure", "--scheme", "bearer", "--replace-provider"}, check: func(t *testing.T, o *loginOptions) {
			if !o.NoVerify || !o.NoConfigure || o.Scheme != "bearer" || !o.ReplaceProvider {
				t.Errorf("%+v", o)
			}
		}},
		{name: "index", args: []string{"--index", "sparse+https://r.example/index/"}, check: func(t *testing.T, o *loginOptions) {
			if o.Registry != "sparse+https://r.example/index/" {
				t.Errorf("Registry = %q", o.Registry)
			}
		}},
		{name: "index and name", args: []string{"corp", "--index", "sparse+https://r.example/index/"}, code: ExitUsage, stderr: "not both"},
		{name: "two names", args: []string{"a", "b"}, code: ExitUsage, stderr: "at most one registry"},
		{name: "token command split like a shell", args: []string{"corp", "--token-command", `aws codeartifact get-authorization-token --domain 'my domain' --query authorizationToken --output text`}, check: func(t *testing.T, o *loginOptions) {
			want := []string{"aws", "codeartifact", "get-authorization-token", "--domain", "my domain", "--query", "authorizationToken", "--output", "text"}
			if !slices.Equal(o.TokenCommand, want) {
				t.Errorf("TokenCommand = %q", o.TokenCommand)
			}
		}},
		{name: "token command word by word", args: []string{"corp", "--token-command", "/opt/my tools/mint", "--token-command", "a b"}, check: func(t *testing.T, o *loginOptions) {
			if !slices.Equal(o.TokenCommand, []string{"/opt/my tools/mint", "a b"}) {
				t.Errorf("TokenCommand = %q", o.TokenCommand)
			}
		}},
		{name: "token command with a pipe", args: []string{"corp", "--token-command", "mint | tr -d x"}, code: ExitUsage, stderr: "without a shell"},
		{name: "token ttl", args: []string{"corp", "--token-command", "mint", "--token-ttl", "90m"}, check: func(t *testing.T, o *loginOptions) {
			if o.TokenTTL != 90*time.Minute {
				t.Errorf("TokenTTL = %v", o.TokenTTL)
			}
		}},
		{name: "backend flag is pinned", args: []string{"corp", "--backend", "file"}, check: func(t *testing.T, o *loginOptions) {
			if o.Backend != "file" || !o.PinBackend {
				t.Errorf("Backend %q pin %v", o.Backend, o.PinBackend)
			}
		}},
		{name: "backend from the environment is not pinned", environ: []string{"CARGO_AUTH_BACKEND=file"}, args: []string{"corp"}, check: func(t *testing.T, o *loginOptions) {
			if o.Backend != "file" || o.PinBackend {
				t.Errorf("Backend %q pin %v", o.Backend, o.PinBackend)
			}
		}},
		{name: "no token flag", args: []string{"corp", "--token", "cgatest_abcdefghijklmnopqrstuvwxyz012345"}, code: ExitUsage, stderr: "unknown flag --token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, kv := range tt.environ {
				k, v, _ := strings.Cut(kv, "=")
				t.Setenv(k, v)
			}
			got, code, stderr := parseLogin(t, tt.environ, tt.args...)
			if code != tt.code || !strings.Contains(stderr, tt.stderr) {
				t.Fatalf("code %d stderr %q, want %d and %q", code, stderr, tt.code, tt.stderr)
			}
			if strings.Contains(stderr, "cgatest_") {
				t.Errorf("stderr echoes the token: %q", stderr)
			}
			if tt.check != nil {
				if got == nil {
					t.Fatal("runF not called")
				}
				tt.check(t, got)
			}
		})
	}
}

func TestLoginValidate(t *testing.T) {
	tests := []struct {
		opts loginOptions
		want string
	}{
		{loginOptions{Scheme: "digest"}, "unknown token scheme"},
		{loginOptions{TokenFile: "f", TokenCommand: []string{"x"}}, "cannot be combined"},
		{loginOptions{TokenTTL: time.Hour}, "--token-ttl applies"},
		{loginOptions{Username: "me", Scheme: "bearer"}, "--username applies to --scheme basic"},
		{loginOptions{Registry: "https://u:cgatest_0123456789abcdefABCDEF@r.example/index/"}, "carries a credential"},
	}
	for _, tt := range tests {
		_, err := tt.opts.validate()
		if err == nil || !strings.Contains(err.Error(), tt.want) || exitCodeOf(err) != ExitUsage {
			t.Errorf("%+v: err = %v, want a usage error with %q", tt.opts, err, tt.want)
		}
		if err != nil && strings.Contains(err.Error(), "cgatest_") {
			t.Errorf("error echoes the token: %v", err)
		}
	}
	if s, err := (&loginOptions{Username: "me"}).validate(); err != nil || s != credentials.SchemeBasic {
		t.Errorf("--username alone: %v %v, want basic", s, err)
	}
}

func TestLoginStoresChecksAndConfigures(t *testing.T) {
	reg := registrytest.New(t, registrytest.WithTLS())
	e := newTokensEnv(t, reg)
	e.stdin = reg.Token() + "\n"
	if code := e.login(loginOptions{}); code != ExitOK {
		t.Fatalf("exit %d\n%s%s", code, e.stdout.String(), e.stderr.String())
	}
	cred, err := e.stored()
	if err != nil || cred.Token.Authorization() != reg.Token() || cred.Registry != "corp" {
		t.Fatalf("stored %+v, %v", cred, err)
	}
	if got := e.chain(); !slices.Equal(got, []string{"cargo-auth", "cargo:token"}) {
		t.Errorf("chain = %q", got)
	}
	first := e.cargoConfig()
	e.stdin = reg.Token() + "\n"
	if code := e.login(loginOptions{}); code != ExitOK || e.cargoConfig() != first || !strings.Contains(e.stdout.String(), "already asks") {
		t.Errorf("second login: exit %d, config changed %v\n%s", code, e.cargoConfig() != first, e.stdout.String())
	}
}

func TestLoginDetectsScheme(t *testing.T) {
	tests := []struct {
		accepts registrytest.Scheme
		want    credentials.Scheme
		note    string
	}{
		{registrytest.SchemeRaw, credentials.SchemeRaw, ""},
		{registrytest.SchemeBearer, credentials.SchemeBearer, "refused the token as raw but accepted it as Bearer"},
		{registrytest.SchemeBasic, credentials.SchemeBasic, "accepted it as Basic, user PAT"},
	}
	for _, tt := range tests {
		t.Run(string(tt.accepts), func(t *testing.T) {
			reg := registrytest.New(t, registrytest.WithTLS(), registrytest.WithSchemes(tt.accepts))
			e := newTokensEnv(t, reg)
			e.stdin = reg.Token()
			if code := e.login(loginOptions{NoConfigure: true}); code != ExitOK {
				t.Fatalf("exit %d: %s", code, e.stderr.String())
			}
			cred, err := e.stored()
			if err != nil || cred.Token.Scheme() != tt.want || cred.Token.Reveal() != reg.Token() {
				t.Fatalf("stored scheme %v (%v), want %v", cred.Token.Scheme(), err, tt.want)
			}
			if !strings.Contains(e.stderr.String(), tt.note) {
				t.Errorf("stderr %q, want %q", e.stderr.String(), tt.note)
			}
		})
	}
}

func TestLoginRefusalsStoreNothing(t *testing.T) {
	tests := []struct {
		name  string
		opts  []registrytest.Option
		token func(*registrytest.Registry) string
		env   []string
		login loginOptions
		code  int
		want  string
	}{
		{name: "rejected", token: func(*registrytest.Registry) string { return "not-the-token-0123456789" }, code: ExitAuth, want: "corp rejected the token"},
		{name: "forced scheme not retried", opts: []registrytest.Option{registrytest.WithSchemes(registrytest.SchemeBearer)}, login: loginOptions{Scheme: "raw"}, code: ExitAuth, want: "config.json refused it as raw (401)\n"},
		{name: "config 403", opts: []registrytest.Option{registrytest.WithSwitches(registrytest.ConfigForbidden)}, code: ExitError, want: "cargo sends a token only after a 401"},
		{name: "down", env: []string{"CARGO_REGISTRIES_CORP_INDEX=sparse+https://127.0.0.1:1/index/"}, code: ExitError, want: "registry corp is unreachable"},
		{name: "empty stdin", token: func(*registrytest.Registry) string { return "\n" }, code: ExitError, want: "the first line of stdin is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reg := registrytest.New(t, append([]registrytest.Option{registrytest.WithTLS()}, tt.opts...)...)
			e := newTokensEnv(t, reg).setenv(tt.env...)
			e.stdin = reg.Token()
			if tt.token != nil {
				e.stdin = tt.token(reg)
			}
			code := e.login(tt.login)
			if code != tt.code || !strings.Contains(e.stderr.String(), tt.want) {
				t.Fatalf("exit %d, stderr %q; want %d and %q", code, e.stderr.String(), tt.code, tt.want)
			}
			if _, err := e.stored(); !errors.Is(err, credentials.ErrNotFound) {
				t.Errorf("something was stored: %v", err)
			}
			if e.cargoConfig() != "" {
				t.Errorf("cargo's configuration was edited:\n%s", e.cargoConfig())
			}
		})
	}
}

// publicReads are the classes a registry with public reads by design (a
// public Gitea owner, Kellnr's defaults) serves without a token: all but
// the web API.
var publicReads = registrytest.WithAnonymous(registrytest.ClassConfig, registrytest.ClassIndex, registrytest.ClassDownload)

// config.json answers without a token and so cannot judge one: login judges
// the token and its form on the web API instead, with GETs only, and says
// so; where the API needs no token either, it says what it could not prove.
func TestLoginPublicReadsJudgedOnTheAPI(t *testing.T) {
	tests := []struct {
		name   string
		opts   []registrytest.Option
		login  loginOptions
		code   int
		scheme credentials.Scheme // stored; "" when nothing is
		stdout string
		stderr string
		// wrongToken logs in with a token the registry never issued.
		wrongToken bool
	}{
		{name: "raw accepted by the API", opts: []registrytest.Option{testCrates()},
			scheme: credentials.SchemeRaw, stdout: "✓ corp accepted the token (raw) on the web API's search: config.json needs no token, so it could not tell"},
		{name: "the API wants Bearer", opts: []registrytest.Option{registrytest.WithSchemes(registrytest.SchemeBearer)},
			scheme: credentials.SchemeBearer, stdout: "✓ corp accepted the token (Bearer) on the web API's search",
			stderr: "corp refused the token as raw but accepted it as Bearer: storing it that way (--scheme bearer)"},
		{name: "forced raw refused by the API", opts: []registrytest.Option{registrytest.WithSchemes(registrytest.SchemeBearer)},
			login: loginOptions{Scheme: "raw"}, code: ExitAuth,
			stderr: "corp rejected the token: token rejected: the web API's search (config.json needs no token) refused it as raw (403)"},
		{name: "a wrong token", wrongToken: true,
			code: ExitAuth, stderr: "refused it as raw (403), Bearer (403), Basic, user PAT (403)"},
		{name: "the API is public too", opts: []registrytest.Option{registrytest.WithAnonymous(registrytest.ClassAPI), testCrates()},
			scheme: credentials.SchemeRaw,
			stderr: "note: corp answers config.json without any token (it is public, or fails to protect it), and its web API needs none either: its search answers 200 without a token, and so does the owners list of Mixed_Case (200): the check proved that the registry is reachable, not that the token works"},
		{name: "the API is public and empty", opts: []registrytest.Option{registrytest.WithAnonymous(registrytest.ClassAPI)},
			scheme: credentials.SchemeRaw, stderr: "its search answers 200 without a token and names no crate whose owners could be asked"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reg := registrytest.New(t, append([]registrytest.Option{registrytest.WithTLS(), publicReads}, tt.opts...)...)
			e := newTokensEnv(t, reg)
			e.stdin = reg.Token()
			if tt.wrongToken {
				e.stdin = "not-a-token-this-registry-issued"
			}
			tt.login.NoConfigure = true
			if code := e.login(tt.login); code != tt.code {
				t.Fatalf("exit %d, want %d: %s", code, tt.code, e.stderr.String())
			}
			if !strings.Contains(e.stdout.String(), tt.stdout) || !strings.Contains(e.stderr.String(), tt.stderr) {
				t.Errorf("stdout %q\nstderr %q\nwant %q and %q", e.stdout.String(), e.stderr.String(), tt.stdout, tt.stderr)
			}
			if tt.stdout == "" && strings.Contains(e.stdout.String(), "accepted the token") {
				t.Errorf("claims the token was accepted: %q", e.stdout.String())
			}
			cred, err := e.stored()
			switch {
			case tt.code != ExitOK && !errors.Is(err, credentials.ErrNotFound):
				t.Errorf("stored after exit %d: %v", tt.code, err)
			case tt.code == ExitOK && (err != nil || cred.Token.Scheme() != tt.scheme):
				t.Errorf("stored %v (%v), want the %s scheme", cred.Token, err, tt.scheme)
			}
			for _, r := range reg.Requests() {
				if r.Method != http.MethodGet {
					t.Errorf("login sent %s %s: the check must not change the registry", r.Method, r.Path)
				}
			}
		})
	}
}

func TestLoginTokenCommandStoresExpiry(t *testing.T) {
	reg := registrytest.New(t, registrytest.WithTLS())
	e := newTokensEnv(t, reg)
	mint := e.writeFile("mint.sh", "#!/bin/sh\nprintf '{\"token\":\"%s\",\"expires_in\":7200}' \""+reg.Token()+"\"\n")
	os.Chmod(mint, 0o755)
	e.now = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	start := time.Now()
	if code := e.login(loginOptions{TokenCommand: []string{mint}, TokenTTL: time.Hour, NoConfigure: true}); code != ExitOK {
		t.Fatalf("exit %d: %s", code, e.stderr.String())
	}
	cred, err := e.stored()
	if err != nil || !slices.Equal(cred.TokenCommand, []string{mint}) || cred.TokenTTL != time.Hour {
		t.Fatalf("stored %+v, %v", cred, err)
	}
	// The TTL (an hour) caps the JSON's two hours.
	if exp := cred.Token.Expires(); exp.Sub(e.now) != time.Hour {
		t.Errorf("expires %v after now, want 1h (start %v)", exp.Sub(e.now), start)
	}
}
