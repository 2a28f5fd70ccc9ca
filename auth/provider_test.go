package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cargo-auth/cargo-auth/credentials"
	"github.com/cargo-auth/cargo-auth/internal/registrytest"
)

// providerRun speaks to runProvider as cargo does: the request lines on
// stdin, the answers (after the hello) decoded from stdout.
func (e *tokensEnv) providerRun(f *Factory, requests ...string) (code int, answers []map[string]any) {
	e.t.Helper()
	f.Stdin = strings.NewReader(strings.Join(requests, "\n") + "\n")
	code = runProvider(context.Background(), f)
	lines := strings.Split(strings.TrimSpace(e.stdout.String()), "\n")
	if lines[0] != `{"v":[1]}` {
		e.t.Fatalf("hello = %q", lines[0])
	}
	for _, line := range lines[1:] {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			e.t.Fatalf("stdout line %q is not JSON: %v", line, err)
		}
		answers = append(answers, m)
	}
	return code, answers
}

func getRequest(indexURL string, args ...string) string {
	req := map[string]any{"v": 1, "registry": map[string]any{"index-url": indexURL, "name": "corp"}, "kind": "get", "operation": "read"}
	if len(args) > 0 {
		req["args"] = args
	}
	data, _ := json.Marshal(req)
	return string(data)
}

func okOf(t *testing.T, answer map[string]any) map[string]any {
	t.Helper()
	ok, _ := answer["Ok"].(map[string]any)
	if ok == nil {
		t.Fatalf("answer %v is not Ok", answer)
	}
	return ok
}

func errKind(answer map[string]any) string {
	e, _ := answer["Err"].(map[string]any)
	kind, _ := e["kind"].(string)
	return kind
}

func TestProviderGetCache(t *testing.T) {
	const index = "sparse+https://corp.example/index/"
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		token   credentials.Token
		cache   string
		expires int64
		kind    string
		stderr  string
	}{
		{name: "no expiry", token: credentials.NewToken("cgatest_session_token", credentials.SchemeRaw), cache: "session"},
		{name: "bearer", token: credentials.NewToken("cgatest_bearer_token", credentials.SchemeBearer), cache: "session"},
		{name: "an hour left", token: credentials.NewToken("cgatest_hour_token", credentials.SchemeRaw).WithExpiry(now.Add(time.Hour)), cache: "expires", expires: now.Add(time.Hour).Unix()},
		{name: "a minute left", token: credentials.NewToken("cgatest_minute_token", credentials.SchemeRaw).WithExpiry(now.Add(time.Minute)), cache: "never"},
		{name: "expired", token: credentials.NewToken("cgatest_expired_token", credentials.SchemeRaw).WithExpiry(now.Add(-time.Second)), kind: "not-found", stderr: "the token for corp expired at"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTokensEnv(t, nil)
			e.now = now
			if err := e.store.Set(context.Background(), credentials.Credential{IndexURL: index, Token: tt.token}); err != nil {
				t.Fatal(err)
			}
			code, answers := e.providerRun(e.factory(), getRequest(index))
			if code != ExitOK || len(answers) != 1 {
				t.Fatalf("exit %d answers %v", code, answers)
			}
			if tt.kind != "" {
				if errKind(answers[0]) != tt.kind || !strings.Contains(e.stderr.String(), tt.stderr) {
					t.Fatalf("answer %v stderr %q", answers[0], e.stderr.String())
				}
				return
			}
			ok := okOf(t, answers[0])
			if ok["token"] != tt.token.Authorization() || ok["cache"] != tt.cache || ok["operation_independent"] != true {
				t.Errorf("answer %v", ok)
			}
			if exp, _ := ok["expiration"].(float64); int64(exp) != tt.expires {
				t.Errorf("expiration %v, want %d", ok["expiration"], tt.expires)
			}
			if e.stderr.Len() != 0 {
				t.Errorf("stderr %q", e.stderr.String())
			}
		})
	}
}

// The provider's get path never loads cargo's configuration nor looks at
// the working directory: that work is for login.
func TestProviderGetDoesNotLoadCargoConfig(t *testing.T) {
	e := newTokensEnv(t, nil)
	const index = "sparse+https://corp.example/index/"
	e.store.Set(context.Background(), credentials.Credential{IndexURL: index, Token: credentials.NewToken("cgatest_fast_path_token", credentials.SchemeRaw)})
	f := e.factory()
	f.Getwd = func() (string, error) { t.Error("get looked at the working directory"); return "", errors.New("no") }
	var backends []string
	f.Store = func(_ context.Context, backend string) (credentials.Store, error) {
		backends = append(backends, backend)
		return e.store, nil
	}
	_, answers := e.providerRun(f, getRequest(index), getRequest(index, "--backend", "keyctl"), getRequest(index, "--backend=keyctl"))
	if len(answers) != 3 || errKind(answers[2]) != "" {
		t.Fatalf("answers %v", answers)
	}
	if strings.Join(backends, ",") != ",keyctl" {
		t.Errorf("stores opened for backends %q, want the default once and keyctl once", backends)
	}
}

func TestProviderUnavailableKeyringFallsThroughWithOneLine(t *testing.T) {
	e := newTokensEnv(t, nil)
	f := e.factory()
	f.Store = func(context.Context, string) (credentials.Store, error) {
		return nil, fmt.Errorf("secret-service: no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS unset); run inside a desktop session: %w", credentials.ErrUnavailable)
	}
	_, answers := e.providerRun(f, getRequest("sparse+https://a.example/"), getRequest("sparse+https://b.example/"))
	for _, a := range answers {
		if errKind(a) != "not-found" {
			t.Errorf("answer %v, want not-found", a)
		}
	}
	want := "cargo-auth: no keyring for corp (secret-service: no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS unset)); cargo tries its next credential provider (cargo auth backends says more)\n"
	if e.stderr.String() != want {
		t.Errorf("stderr %q, want exactly %q", e.stderr.String(), want)
	}
}

func TestProviderLoginAndLogout(t *testing.T) {
	reg := registrytest.New(t, registrytest.WithTLS(), registrytest.WithSchemes(registrytest.SchemeBearer))
	e := newTokensEnv(t, reg)
	token := reg.Token()
	login := func(token *string, args ...string) map[string]any {
		req := map[string]any{"v": 1, "registry": map[string]any{"index-url": reg.IndexURL(), "name": "corp"}, "kind": "login", "args": args}
		if token != nil {
			req["token"] = *token
		}
		data, _ := json.Marshal(req)
		_, answers := e.providerRun(e.factory(), string(data))
		return answers[0]
	}
	// Checked against the registry, which wants Bearer.
	if a := login(&token); errKind(a) != "" {
		t.Fatalf("login: %v %s", a, e.stderr.String())
	}
	if !strings.Contains(e.stderr.String(), "refused the token as raw but accepted it as Bearer") {
		t.Errorf("stderr %q", e.stderr.String())
	}
	if cred, err := e.stored(); err != nil || cred.Token.Authorization() != "Bearer "+token {
		t.Fatalf("stored %v %v", cred.Token, err)
	}
	// A bad token is refused and the good one stays.
	bad := "cgatest_not_what_the_registry_issued"
	a := login(&bad)
	if errKind(a) != "other" || !strings.Contains(fmt.Sprint(a), "corp rejected the token") || strings.Contains(fmt.Sprint(a), bad) {
		t.Errorf("bad login answered %v", a)
	}
	if cred, _ := e.stored(); cred.Token.Reveal() != token {
		t.Error("a refused login replaced the stored token")
	}
	// --no-verify stores as given; no token and no terminal is an error.
	if a := login(&bad, "--no-verify", "--scheme", "bearer"); errKind(a) != "" {
		t.Fatalf("login --no-verify: %v", a)
	}
	if cred, _ := e.stored(); cred.Token.Authorization() != "Bearer "+bad {
		t.Errorf("stored %v", cred.Token.Scheme())
	}
	if a := login(nil); errKind(a) != "other" || !strings.Contains(fmt.Sprint(a), "no token given and no terminal") {
		t.Errorf("login without a token: %v", a)
	}
	logout := `{"v":1,"registry":{"index-url":"` + reg.IndexURL() + `"},"kind":"logout"}`
	if _, answers := e.providerRun(e.factory(), logout, logout); okOf(t, answers[0])["kind"] != "logout" || errKind(answers[1]) != "not-found" {
		t.Errorf("logout twice: %v", answers)
	}
}

func TestParseProviderArgs(t *testing.T) {
	tests := []struct {
		args []string
		want providerArgs
		err  string
	}{
		{nil, providerArgs{}, ""},
		{[]string{"--backend", "file"}, providerArgs{Backend: "file"}, ""},
		{[]string{"--backend=pass", "--scheme=basic", "--username", "me", "--no-verify"}, providerArgs{Backend: "pass", Scheme: "basic", Username: "me", NoVerify: true}, ""},
		{[]string{"--backend"}, providerArgs{}, "needs a value"},
		{[]string{"--scheme", "digest"}, providerArgs{}, "unknown token scheme"},
		{[]string{"cgatest_token_passed_as_arg_0123456789"}, providerArgs{}, "unknown provider argument"},
	}
	for _, tt := range tests {
		got, err := parseProviderArgs(tt.args)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) || strings.Contains(err.Error(), "cgatest_") {
				t.Errorf("%q: err = %v, want %q", tt.args, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%q: got %+v %v", tt.args, got, err)
		}
	}
}

// crates.io's token is found under either name of its index.
func TestProviderCratesIOEitherIndexName(t *testing.T) {
	e := newTokensEnv(t, nil)
	e.store.Set(context.Background(), credentials.Credential{IndexURL: "https://github.com/rust-lang/crates.io-index", Token: credentials.NewToken("cgatest_crates_io_token", credentials.SchemeRaw)})
	_, answers := e.providerRun(e.factory(), getRequest("sparse+https://index.crates.io/"), getRequest("sparse+https://other.example/"))
	if okOf(t, answers[0])["token"] != "cgatest_crates_io_token" || errKind(answers[1]) != "not-found" {
		t.Errorf("answers %v", answers)
	}
}

func TestProviderNoBackendWorksSaysSo(t *testing.T) {
	e := newTokensEnv(t, nil)
	f := e.factory()
	f.Store = func(context.Context, string) (credentials.Store, error) {
		return nil, fmt.Errorf("no keyring backend works here: secret-service: no bus; pass: no store; keyctl: denied; file: no passphrase: %w", credentials.ErrUnavailable)
	}
	e.providerRun(f, getRequest("sparse+https://a.example/"))
	if want := "cargo-auth: no keyring for corp (no keyring backend works here); cargo tries its next credential provider (cargo auth backends says more)\n"; e.stderr.String() != want {
		t.Errorf("stderr %q, want %q", e.stderr.String(), want)
	}
}
