package auth

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cargo-auth/cargo-auth/credentials"
	"github.com/cargo-auth/cargo-auth/internal/registrytest"
)

// parseVerify runs the app with args and returns the options verify would
// run with, or the exit code of a usage error.
func parseVerify(t *testing.T, environ []string, args ...string) (*verifyOptions, int, string) {
	t.Helper()
	var stderr bytes.Buffer
	f := &Factory{Stdin: strings.NewReader(""), Stdout: &bytes.Buffer{}, Stderr: &stderr,
		Environ: func() []string { return environ }}
	var got *verifyOptions
	app := NewApp(f)
	for i, c := range app.Commands {
		if c.Name == "verify" {
			app.Commands[i] = newVerifyCommand(f, func(_ context.Context, o *verifyOptions) error { got = o; return nil })
			app.Commands[i].OnUsageError = onUsageError
		}
	}
	err := app.RunContext(context.Background(), reorderFlags(app, append([]string{"cargo-auth", "verify"}, args...)))
	return got, reportError(f, err), stderr.String()
}

func TestVerifyFlagsBecomeOptions(t *testing.T) {
	opts, code, stderr := parseVerify(t, nil, "corp", "--crate", "base", "--crate", "app@1.0.0", "--jobs", "16",
		"--timeout", "5s", "--rps", "50", "--format", "sarif", "--trust-origin", "https://cdn.example.com", "--token-stdin", "--scheme", "bearer")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	want := verifyOptions{Registry: "corp", Crates: []string{"base", "app@1.0.0"}, Jobs: 16, Timeout: 5 * time.Second, RPS: 50,
		Format: formatSARIF, TrustOrigins: []string{"https://cdn.example.com"}, TokenStdin: true, Scheme: "bearer"}
	if opts.Registry != want.Registry || strings.Join(opts.Crates, ",") != strings.Join(want.Crates, ",") || opts.Jobs != want.Jobs ||
		opts.Timeout != want.Timeout || opts.RPS != want.RPS || opts.Format != want.Format || !opts.TokenStdin || opts.Scheme != "bearer" ||
		len(opts.TrustOrigins) != 1 {
		t.Errorf("options = %+v, want %+v", opts, want)
	}
}

func TestVerifyEnvironmentTwins(t *testing.T) {
	// urfave/cli reads flag variables from the process environment.
	for k, v := range map[string]string{"CARGO_AUTH_VERIFY_JOBS": "3", "CARGO_AUTH_VERIFY_TIMEOUT": "2s", "CARGO_AUTH_VERIFY_RPS": "7", "CARGO_AUTH_VERIFY_FORMAT": "junit"} {
		t.Setenv(k, v)
	}
	opts, code, _ := parseVerify(t, nil)
	if code != 0 || opts.Jobs != 3 || opts.Timeout != 2*time.Second || opts.RPS != 7 || opts.Format != formatJUnit {
		t.Errorf("exit %d, options %+v", code, opts)
	}
}

func TestVerifyDefaults(t *testing.T) {
	opts, _, _ := parseVerify(t, nil, "--json")
	if opts.Format != formatJSON {
		t.Errorf("--json gave format %q", opts.Format)
	}
	if opts.Jobs != defaultVerifyJobs || opts.Timeout != defaultVerifyTimeout || opts.RPS != 0 {
		t.Errorf("defaults: jobs %d timeout %v rps %v", opts.Jobs, opts.Timeout, opts.RPS)
	}
}

func TestVerifyUsageErrors(t *testing.T) {
	cases := map[string][]string{
		"two registries":       {"a", "b"},
		"json and format":      {"--json", "--format", "text"},
		"unknown format":       {"--format", "xml"},
		"no jobs":              {"--jobs", "0"},
		"scheme without stdin": {"--scheme", "bearer"},
		"unknown scheme":       {"--token-stdin", "--scheme", "digest"},
		"stdin and file":       {"--token-stdin", "--token-file", "t"},
		"bad crate":            {"--crate", "9lives"},
		"bad version":          {"--crate", "base@latest"},
		"crate and lockfile":   {"--crate", "base", "--crates-from", "Cargo.lock"},
		"bad trust origin":     {"--trust-origin", "cdn.example.com"},
		"unknown flag":         {"--token", "x"},
	}
	for name, args := range cases {
		t.Run(name, func(t *testing.T) {
			env := newVerifyEnv(t, nil)
			var stdout, stderr bytes.Buffer
			f := &Factory{Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr,
				Environ: func() []string { return env.environ }, Getwd: func() (string, error) { return env.dir, nil }}
			code := run(context.Background(), append([]string{"cargo-auth", "verify"}, args...), f)
			if code != ExitUsage {
				t.Errorf("exit code = %d, want %d; stderr %q", code, ExitUsage, stderr.String())
			}
			if !strings.HasPrefix(stderr.String(), "cargo-auth: ") || stdout.Len() != 0 {
				t.Errorf("stdout %q, stderr %q", stdout.String(), stderr.String())
			}
		})
	}
}

// An index URL carrying a token is refused, and the token is not echoed.
func TestVerifyRefusesTokenInURL(t *testing.T) {
	secret := "cgatest_" + strings.Repeat("x9", 12)
	env := newVerifyEnv(t, nil)
	out := env.run(verifyOptions{Registry: "https://user:" + secret + "@registry.example/index.git"})
	if out.code != ExitUsage {
		t.Errorf("exit code = %d, want %d", out.code, ExitUsage)
	}
	if strings.Contains(out.stderr, secret) {
		t.Errorf("stderr leaks the token: %s", out.stderr)
	}
}

func TestVerifyTokenSources(t *testing.T) {
	reg := registrytest.New(t, registrytest.WithTLS(), testCrates())
	crates := []string{"base"}

	t.Run("cargo configuration", func(t *testing.T) {
		out := newVerifyEnv(t, reg).withToken().run(verifyOptions{Crates: crates})
		if tok := out.report.Token; tok.Source != tokenFromConfig || !strings.Contains(tok.Origin, "CARGO_REGISTRIES_CORP_TOKEN") || tok.Form != "raw" {
			t.Errorf("token = %+v, want the environment variable", tok)
		}
		if out.code != 0 {
			t.Errorf("exit %d:\n%s", out.code, out.stdout)
		}
	})
	t.Run("credentials.toml", func(t *testing.T) {
		env := newVerifyEnv(t, reg)
		writeFile(t, filepath.Join(env.dir, ".cargo", "credentials.toml"), "[registries.corp]\ntoken = \""+reg.Token()+"\"\n")
		out := env.run(verifyOptions{Crates: crates})
		if tok := out.report.Token; tok.Source != tokenFromConfig || !strings.Contains(tok.Origin, "credentials.toml") {
			t.Errorf("token = %+v, want credentials.toml", tok)
		}
	})
	t.Run("stdin beats the configuration", func(t *testing.T) {
		env := newVerifyEnv(t, reg).withToken()
		env.stdin = reg.Token() + "\nsecond line ignored\n"
		out := env.run(verifyOptions{Crates: crates, TokenStdin: true})
		if tok := out.report.Token; tok.Source != tokenFromStdin {
			t.Errorf("token = %+v, want stdin", tok)
		}
		if out.code != 0 {
			t.Errorf("exit %d:\n%s", out.code, out.stdout)
		}
	})
	t.Run("token file", func(t *testing.T) {
		env := newVerifyEnv(t, reg)
		path := filepath.Join(env.dir, "token")
		writeFile(t, path, "Bearer "+reg.Token()+"\n")
		out := env.run(verifyOptions{Crates: crates, TokenFile: path})
		if tok := out.report.Token; tok.Source != tokenFromFile || tok.Form != "bearer" || !strings.Contains(tok.Origin, path) {
			t.Errorf("token = %+v, want the file, as Bearer", tok)
		}
		if out.report.Token.SentAs != "raw" {
			t.Errorf("the registry takes raw tokens; sent as %q", out.report.Token.SentAs)
		}
	})
	t.Run("empty stdin is an error", func(t *testing.T) {
		env := newVerifyEnv(t, reg)
		env.stdin = "\n"
		if out := env.run(verifyOptions{TokenStdin: true}); out.code != ExitError || !strings.Contains(out.stderr, "empty") {
			t.Errorf("exit %d, stderr %q", out.code, out.stderr)
		}
	})
	t.Run("store beats the configuration", func(t *testing.T) {
		store := credentials.NewMemoryStore()
		if err := store.Set(context.Background(), credentials.Credential{IndexURL: reg.IndexURL(), Token: credentials.NewToken(reg.Token(), credentials.SchemeRaw)}); err != nil {
			t.Fatal(err)
		}
		env := newVerifyEnv(t, reg)
		out := env.run(verifyOptions{Crates: crates, Factory: &Factory{Store: func(context.Context, string) (credentials.Store, error) { return store, nil }}})
		if tok := out.report.Token; tok.Source != tokenFromStore || !strings.Contains(tok.Origin, "memory") {
			t.Errorf("token = %+v, want the store", tok)
		}
		if out.code != 0 {
			t.Errorf("exit %d:\n%s", out.code, out.stdout)
		}
	})
	t.Run("unavailable store falls through", func(t *testing.T) {
		env := newVerifyEnv(t, reg).withToken()
		broken := func(context.Context, string) (credentials.Store, error) {
			return nil, errors.Join(credentials.ErrUnavailable, errors.New("no session bus"))
		}
		out := env.run(verifyOptions{Crates: crates, Factory: &Factory{Store: broken}})
		if out.report.Token.Source != tokenFromConfig {
			t.Errorf("token = %+v, want cargo's configuration", out.report.Token)
		}
	})
	t.Run("empty store falls through", func(t *testing.T) {
		env := newVerifyEnv(t, reg).withToken()
		empty := credentials.NewMemoryStore()
		out := env.run(verifyOptions{Crates: crates, Factory: &Factory{Store: func(context.Context, string) (credentials.Store, error) { return empty, nil }}})
		if out.report.Token.Source != tokenFromConfig || out.stderr != "" {
			t.Errorf("token = %+v, stderr %q", out.report.Token, out.stderr)
		}
	})
}

// A registry that wants "Bearer <token>" refuses what cargo sends for a
// raw token; verify says so, says what to store, and audits the rest with
// the form that works. --scheme bearer on stdin is then clean.
func TestVerifyTokenScheme(t *testing.T) {
	reg := registrytest.New(t, registrytest.WithTLS(), testCrates(), registrytest.WithSchemes(registrytest.SchemeBearer))
	out := newVerifyEnv(t, reg).withToken().run(verifyOptions{Crates: namedCrates})
	assertIDs(t, "failing", out.with(statusFail), []string{"config.token", "transport.token-scheme"})
	if c := out.check(t, "transport.token-scheme"); !strings.Contains(c.Message, "Bearer") || !strings.Contains(c.Remediation, "Bearer") {
		t.Errorf("token-scheme = %+v, want it to name Bearer", c)
	}
	if out.report.Token.Form != "raw" || out.report.Token.SentAs != "bearer" {
		t.Errorf("token = %+v, want raw, sent as bearer", out.report.Token)
	}
	for _, scheme := range []string{"bearer", ""} {
		env := newVerifyEnv(t, reg)
		env.stdin = reg.Token() + "\n"
		opts := verifyOptions{Crates: namedCrates, TokenStdin: true, Scheme: scheme}
		if scheme == "" {
			env.stdin = "Bearer " + reg.Token() + "\n"
		}
		out := env.run(opts)
		if out.code != 0 || out.report.Token.Form != "bearer" {
			t.Errorf("stdin with scheme %q: exit %d, token %+v\n%s", scheme, out.code, out.report.Token, out.stdout)
		}
	}
}

// A registry with public reads (config.json served without a token) cannot
// judge the token on config.json: transport.token-scheme is judged on the
// web API instead, where cargo publishes, and points at Bearer when the
// token is stored raw; stored with its scheme, it passes there. Where the
// API needs no token either, the check is skipped and says why.
func TestVerifyTokenSchemeOnPublicReads(t *testing.T) {
	reg := registrytest.New(t, registrytest.WithTLS(), testCrates(), publicReads, registrytest.WithSchemes(registrytest.SchemeBearer))
	out := newVerifyEnv(t, reg).withToken().run(verifyOptions{Crates: namedCrates})
	c := out.check(t, "transport.token-scheme")
	if c.Status != statusFail || !strings.Contains(c.Message, "(raw, 403) but accepts it as `Bearer <token>` on the web API's search") ||
		!strings.Contains(c.Remediation, "Bearer") || !strings.Contains(c.URL, "/api/v1/crates?") {
		t.Errorf("token-scheme = %+v, want a failure naming Bearer on the web API", c)
	}
	if out.report.Token.Form != "raw" || out.report.Token.SentAs != "bearer" {
		t.Errorf("token = %+v, want raw, sent as bearer", out.report.Token)
	}
	if c := out.check(t, "api.search.token"); c.Status != statusPass {
		t.Errorf("api.search.token = %+v, want it judged with the form that works", c)
	}

	env := newVerifyEnv(t, reg)
	env.stdin = "Bearer " + reg.Token() + "\n"
	out = env.run(verifyOptions{Crates: namedCrates, TokenStdin: true})
	if c := out.check(t, "transport.token-scheme"); c.Status != statusPass || !strings.Contains(c.Message, "as cargo sends it (bearer) on the web API's search") {
		t.Errorf("token-scheme with Bearer = %+v", c)
	}

	open := registrytest.New(t, registrytest.WithTLS(), testCrates(), publicReads, registrytest.WithAnonymous(registrytest.ClassAPI))
	out = newVerifyEnv(t, open).withToken().run(verifyOptions{Crates: namedCrates})
	if c := out.check(t, "transport.token-scheme"); c.Status != statusSkip || !strings.Contains(c.Message, "config.json is served without a token, so it cannot judge one, and the web API needs no token either") {
		t.Errorf("token-scheme on an open API = %+v, want skipped", c)
	}
	for _, r := range append(reg.Requests(), open.Requests()...) {
		if r.Method != "GET" && r.Credential.Accepted {
			t.Errorf("verify sent %s %s with an accepted credential", r.Method, r.Path)
		}
	}
}

func TestVerifyBasicScheme(t *testing.T) {
	reg := registrytest.New(t, registrytest.WithTLS(), testCrates(), registrytest.WithSchemes(registrytest.SchemeBasic))
	env := newVerifyEnv(t, reg)
	env.stdin = reg.Token() + "\n"
	out := env.run(verifyOptions{Crates: namedCrates, TokenStdin: true, Scheme: "basic"})
	if out.code != 0 || out.report.Token.Form != "basic" {
		t.Errorf("exit %d, token %+v\n%s", out.code, out.report.Token, out.stdout)
	}
}

func TestVerifyCratesFromLockfile(t *testing.T) {
	reg := registrytest.New(t, registrytest.WithTLS(), testCrates())
	env := newVerifyEnv(t, reg).withToken()
	lock := filepath.Join(env.dir, "Cargo.lock")
	writeFile(t, lock, `version = 4

[[package]]
name = "base"
version = "0.1.0"
source = "`+reg.IndexURL()+`"
checksum = "`+reg.IndexEntries("base")[0].Cksum+`"

[[package]]
name = "serde"
version = "1.0.0"
source = "registry+https://github.com/rust-lang/crates.io-index"

[[package]]
name = "consumer"
version = "0.1.0"
`)
	out := env.run(verifyOptions{CratesFrom: lock})
	if c := out.report.Crates; c.Source != "lockfile" || c.Crates != 1 || c.Versions != 1 {
		t.Errorf("crates = %+v, want base@0.1.0 from the lockfile", c)
	}
	if out.code != 0 {
		t.Errorf("exit %d\n%s", out.code, out.stdout)
	}

	writeFile(t, lock, strings.Replace(readFile(t, lock), reg.IndexEntries("base")[0].Cksum, strings.Repeat("ab", 32), 1))
	out = env.run(verifyOptions{CratesFrom: lock})
	if c := out.check(t, "download.checksum"); c.Status != statusFail || !strings.Contains(c.Details[0].Message, "Cargo.lock") {
		t.Errorf("a lockfile checksum that differs from the index: %+v", c)
	}

	writeFile(t, lock, "version = 4\n")
	if out := env.run(verifyOptions{CratesFrom: lock}); out.code != ExitUsage {
		t.Errorf("a lockfile without the registry's packages: exit %d, want %d", out.code, ExitUsage)
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
