package auth

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cargo-auth/cargo-auth/cargoconfig"
	"github.com/cargo-auth/cargo-auth/credentials"
	"github.com/cargo-auth/cargo-auth/internal/leakguard"
	"github.com/cargo-auth/cargo-auth/internal/registrytest"
)

// tokensEnv is a machine for the tokens commands' tests: a HOME and
// CARGO_HOME in a temporary directory, a MemoryStore (or a real one), and
// optionally a test registry defined for cargo as "corp".
type tokensEnv struct {
	t       *testing.T
	dir     string
	reg     *registrytest.Registry
	store   credentials.Store
	environ []string
	stdin   string
	now     time.Time
	stdout  bytes.Buffer
	stderr  bytes.Buffer
}

func newTokensEnv(t *testing.T, reg *registrytest.Registry) *tokensEnv {
	t.Helper()
	dir := t.TempDir()
	e := &tokensEnv{t: t, dir: dir, reg: reg, store: credentials.NewMemoryStore(), environ: []string{
		"HOME=" + dir,
		"CARGO_HOME=" + filepath.Join(dir, ".cargo"),
		"XDG_CACHE_HOME=" + filepath.Join(dir, ".cache"),
		"PATH=" + os.Getenv("PATH"),
		"NO_COLOR=1",
	}}
	if reg != nil {
		e.environ = append(e.environ, reg.Env("corp")...)
	}
	return e
}

// setenv sets variables, replacing earlier values.
func (e *tokensEnv) setenv(kv ...string) *tokensEnv {
	for _, pair := range kv {
		key, _, _ := strings.Cut(pair, "=")
		e.environ = slices.DeleteFunc(e.environ, func(old string) bool { return strings.HasPrefix(old, key+"=") })
		e.environ = append(e.environ, pair)
	}
	return e
}

// writeFile writes a file under the test's directory and returns its path.
func (e *tokensEnv) writeFile(rel, content string) string {
	e.t.Helper()
	path := filepath.Join(e.dir, rel)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		e.t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		e.t.Fatal(err)
	}
	return path
}

// cargoConfig is $CARGO_HOME/config.toml's content ("" when missing).
func (e *tokensEnv) cargoConfig() string {
	data, _ := os.ReadFile(filepath.Join(e.dir, ".cargo", "config.toml"))
	return string(data)
}

func (e *tokensEnv) factory() *Factory {
	e.stdout.Reset()
	e.stderr.Reset()
	environ := append([]string(nil), e.environ...)
	return &Factory{
		Stdin:            strings.NewReader(e.stdin),
		Stdout:           &e.stdout,
		Stderr:           &e.stderr,
		Environ:          func() []string { return environ },
		Getwd:            func() (string, error) { return e.dir, nil },
		Now:              e.clock,
		StdoutIsTerminal: func() bool { return false },
		StderrIsTerminal: func() bool { return false },
		Store: func(context.Context, string) (credentials.Store, error) {
			return e.store, nil
		},
	}
}

func (e *tokensEnv) clock() time.Time {
	if e.now.IsZero() {
		return time.Now()
	}
	return e.now
}

// outcome runs fn through reportError and returns the exit code, failing
// the test when a registry token reached stdout or stderr.
func (e *tokensEnv) outcome(err error) int {
	e.t.Helper()
	code := reportError(&Factory{Stderr: &e.stderr}, err)
	var secrets []string
	if e.reg != nil {
		secrets = e.reg.Tokens()
	}
	if what, leak := leakguard.Find(e.stdout.String()+e.stderr.String(), secrets); leak {
		e.t.Fatalf("printed %s:\nstdout:\n%s\nstderr:\n%s", what, e.stdout.String(), e.stderr.String())
	}
	return code
}

func (e *tokensEnv) login(opts loginOptions) int {
	e.t.Helper()
	opts.Factory = e.factory()
	if opts.Registry == "" && e.reg != nil {
		opts.Registry = "corp"
	}
	return e.outcome(loginRun(context.Background(), &opts))
}

// stored is the credential stored for the test registry.
func (e *tokensEnv) stored() (credentials.Credential, error) {
	return e.store.Get(context.Background(), e.reg.IndexURL())
}

// chain is the provider chain cargo would use for corp now.
func (e *tokensEnv) chain() []string {
	e.t.Helper()
	cfg, err := e.factory().CargoConfig(nil)
	if err != nil {
		e.t.Fatal(err)
	}
	providers, err := cfg.Providers("corp", true)
	if err != nil {
		e.t.Fatal(err)
	}
	return providerWords(providers)
}

func providerWords(providers []cargoconfig.Provider) []string {
	var out []string
	for _, p := range providers {
		out = append(out, strings.Join(p.Argv, " "))
	}
	return out
}
