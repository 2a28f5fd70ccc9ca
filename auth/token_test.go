package auth

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"

	"github.com/cargo-auth/cargo-auth/credentials"
	"github.com/cargo-auth/cargo-auth/internal/registrytest"
)

// parseWith runs the app with one command replaced by a version whose runF
// records the options; it returns the exit code and stderr.
func parseWith(t *testing.T, name string, cmd func(f *Factory) *cli.Command, args ...string) (int, string) {
	t.Helper()
	var stderr strings.Builder
	f := &Factory{Stdin: strings.NewReader(""), Stdout: &strings.Builder{}, Stderr: &stderr, Environ: os.Environ}
	app := NewApp(f)
	for i, c := range app.Commands {
		if c.Name == name {
			app.Commands[i] = cmd(f)
			setUsageErrorHandler(app.Commands[i])
		}
	}
	err := app.RunContext(context.Background(), reorderFlags(app, append([]string{"cargo-auth", name}, args...)))
	return reportError(f, err), stderr.String()
}

func TestTokenLogoutImportBackendsOptions(t *testing.T) {
	var tok *tokenOptions
	tokenCmd := func(f *Factory) *cli.Command {
		return newTokenCommand(f, func(_ context.Context, o *tokenOptions) error { tok = o; return nil })
	}
	if code, _ := parseWith(t, "token", tokenCmd, "corp", "--secret", "--backend", "file"); code != 0 || tok.Registry != "corp" || !tok.Secret || tok.Backend != "file" {
		t.Errorf("token: %d %+v", code, tok)
	}
	if code, _ := parseWith(t, "token", tokenCmd, "--index", "sparse+https://r.example/"); code != 0 || tok.Registry != "sparse+https://r.example/" {
		t.Errorf("token --index: %d %+v", code, tok)
	}
	if code, stderr := parseWith(t, "token", tokenCmd, "a", "b"); code != ExitUsage || !strings.Contains(stderr, "at most one registry") {
		t.Errorf("token a b: %d %q", code, stderr)
	}

	var out *logoutOptions
	logoutCmd := func(f *Factory) *cli.Command {
		return newLogoutCommand(f, func(_ context.Context, o *logoutOptions) error { out = o; return nil })
	}
	if code, _ := parseWith(t, "logout", logoutCmd, "corp", "--unconfigure"); code != 0 || out.Registry != "corp" || !out.Unconfigure {
		t.Errorf("logout: %d %+v", code, out)
	}

	var imp *importOptions
	importCmd := func(f *Factory) *cli.Command {
		return newImportCommand(f, func(_ context.Context, o *importOptions) error { imp = o; return nil })
	}
	if code, _ := parseWith(t, "import", importCmd, "corp", "other", "--dry-run", "--keep", "--replace", "--no-configure"); code != 0 ||
		!slices.Equal(imp.Registries, []string{"corp", "other"}) || !imp.DryRun || !imp.Keep || !imp.Replace || !imp.NoConfigure {
		t.Errorf("import: %d %+v", code, imp)
	}

	var back *backendsOptions
	backendsCmd := func(f *Factory) *cli.Command {
		return newBackendsCommand(f, func(_ context.Context, o *backendsOptions) error { back = o; return nil })
	}
	if code, _ := parseWith(t, "backends", backendsCmd, "--json"); code != 0 || !back.JSON {
		t.Errorf("backends: %d %+v", code, back)
	}
	if code, _ := parseWith(t, "backends", backendsCmd, "x"); code != ExitUsage {
		t.Errorf("backends x: %d", code)
	}
}

func TestTokenRun(t *testing.T) {
	reg := registrytest.New(t)
	e := newTokensEnv(t, reg)
	run := func(opts tokenOptions) int {
		opts.Factory = e.factory()
		if opts.Registry == "" {
			opts.Registry = "corp"
		}
		return reportError(opts.Factory, tokenRun(context.Background(), &opts))
	}
	if code := run(tokenOptions{}); code != ExitError || !strings.Contains(e.stderr.String(), "no token stored for corp in memory") {
		t.Errorf("no token: %d %q", code, e.stderr.String())
	}
	if code := run(tokenOptions{Registry: "nosuch"}); code != ExitUsage {
		t.Errorf("unknown registry: %d", code)
	}
	e.store.Set(context.Background(), credentials.Credential{IndexURL: reg.IndexURL(), Token: credentials.NewBasic("me", "cgatest_basic_password")})
	if code := run(tokenOptions{}); code != 0 || e.stdout.String() != credentials.NewBasic("me", "cgatest_basic_password").Authorization()+"\n" {
		t.Errorf("token: %d %q", code, e.stdout.String())
	}
	if code := run(tokenOptions{Secret: true}); code != 0 || e.stdout.String() != "cgatest_basic_password\n" {
		t.Errorf("token --secret: %d %q", code, e.stdout.String())
	}
}

func TestLogoutRun(t *testing.T) {
	reg := registrytest.New(t)
	e := newTokensEnv(t, reg)
	e.store.Set(context.Background(), credentials.Credential{IndexURL: reg.IndexURL(), Token: credentials.NewToken(reg.Token(), credentials.SchemeRaw)})
	run := func(opts logoutOptions) int {
		opts.Factory = e.factory()
		opts.Registry = "corp"
		return e.outcome(logoutRun(context.Background(), &opts))
	}
	if code := run(logoutOptions{}); code != 0 || !strings.Contains(e.stdout.String(), "removed the token for corp from memory") {
		t.Errorf("logout: %d %q", code, e.stdout.String())
	}
	if _, err := e.stored(); !errors.Is(err, credentials.ErrNotFound) {
		t.Errorf("still stored: %v", err)
	}
	if code := run(logoutOptions{}); code != 0 || !strings.Contains(e.stdout.String(), "no token stored for corp") {
		t.Errorf("second logout: %d %q", code, e.stdout.String())
	}
}

func TestImportRun(t *testing.T) {
	reg := registrytest.New(t)
	e := newTokensEnv(t, reg)
	creds := e.writeFile(".cargo/credentials.toml", "# mine\n[registries.corp]\ntoken = \""+reg.Token()+"\"\n\n[registries.gone]\ntoken = \"cgatest_registry_without_index\"\n")
	run := func(opts importOptions) int {
		opts.Factory = e.factory()
		return e.outcome(importRun(context.Background(), &opts))
	}
	if code := run(importOptions{DryRun: true}); code != 0 {
		t.Fatalf("dry run: %d %s", code, e.stderr.String())
	}
	if _, err := e.stored(); !errors.Is(err, credentials.ErrNotFound) {
		t.Fatal("the dry run stored something")
	}
	if code := run(importOptions{}); code != 0 {
		t.Fatalf("import: %d\n%s%s", code, e.stdout.String(), e.stderr.String())
	}
	if !strings.Contains(e.stdout.String(), "- gone: ") || !strings.Contains(e.stdout.String(), "has no index URL") {
		t.Errorf("stdout %q", e.stdout.String())
	}
	if cred, err := e.stored(); err != nil || cred.Token.Reveal() != reg.Token() {
		t.Fatalf("stored %v", err)
	}
	data, _ := os.ReadFile(creds)
	if strings.Contains(string(data), reg.Token()) || !strings.Contains(string(data), "cgatest_registry_without_index") || !strings.HasPrefix(string(data), "# mine\n") {
		t.Errorf("credentials.toml after import:\n%s", data)
	}
	if got := e.chain(); !slices.Equal(got, []string{"cargo-auth", "cargo:token"}) {
		t.Errorf("chain %q", got)
	}
	if _, err := os.Stat(filepath.Join(e.dir, ".cargo", "config.toml")); err != nil {
		t.Error(err)
	}
}

func TestBackendsRun(t *testing.T) {
	e := newTokensEnv(t, nil).setenv("CARGO_AUTH_BACKEND=keyctl")
	f := e.factory()
	f.Backends = func(context.Context) []credentials.BackendStatus {
		return []credentials.BackendStatus{
			{Name: "secret-service", Reason: "secret-service: no D-Bus session bus"},
			{Name: "keyctl", Works: true},
			{Name: "file", Works: true},
		}
	}
	f.Store = func(_ context.Context, backend string) (credentials.Store, error) {
		if backend != "keyctl" && backend != "" {
			t.Errorf("opened %q", backend)
		}
		return fakeBackendStore{credentials.NewMemoryStore(), "keyctl"}, nil
	}
	if err := backendsRun(context.Background(), &backendsOptions{Factory: f}); err != nil {
		t.Fatal(err)
	}
	want := "✗ secret-service  secret-service: no D-Bus session bus\n" +
		"✓ keyctl          works (used: set by CARGO_AUTH_BACKEND)\n" +
		"✗ file            file: no passphrase: set CARGO_AUTH_FILE_PASSPHRASE (there is no terminal to ask on)\n"
	if e.stdout.String() != want {
		t.Errorf("stdout:\n%s\nwant:\n%s", e.stdout.String(), want)
	}
	f.Backends = func(context.Context) []credentials.BackendStatus {
		return []credentials.BackendStatus{{Name: "keyctl", Reason: "keyctl: denied"}}
	}
	if err := backendsRun(context.Background(), &backendsOptions{Factory: f, JSON: true}); exitCodeOf(err) != ExitError {
		t.Errorf("no backend works: %v", err)
	}
}

type fakeBackendStore struct {
	*credentials.MemoryStore
	name string
}

func (s fakeBackendStore) Backend() string { return s.name }
