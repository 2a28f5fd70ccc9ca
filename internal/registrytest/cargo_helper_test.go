package registrytest

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cargo-auth/cargo-auth/internal/leakguard"
)

// realHome is HOME as the tests found it: cargo on PATH is a rustup proxy
// that needs the real toolchain directory even when HOME moves.
var realHome = os.Getenv("HOME")

func rustupHome() string {
	if h := os.Getenv("RUSTUP_HOME"); h != "" {
		return h
	}
	return filepath.Join(realHome, ".rustup")
}

// requireTool fails the test when name is missing on CI and skips it loudly
// elsewhere.
func requireTool(t *testing.T, name string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is not installed, and CI must run the end-to-end tests: %v", name, err)
		}
		t.Skipf("SKIPPING END-TO-END TEST: %s is not installed (%v); install it to run this test", name, err)
	}
}

// cargoRun runs the real cargo hermetically: HOME and CARGO_HOME in a temp
// dir, RUSTUP_HOME passed through, crates.io replaced by a directory that
// does not exist (so any attempt to reach it fails fast), and only the
// variables a test adds.
type cargoRun struct {
	t         *testing.T
	home      string
	cargoHome string
	project   string
	env       []string
	stdin     string
}

func newCargo(t *testing.T) *cargoRun {
	t.Helper()
	requireTool(t, "cargo")
	home := t.TempDir()
	c := &cargoRun{
		t:         t,
		home:      home,
		cargoHome: filepath.Join(home, ".cargo"),
		project:   filepath.Join(home, "project"),
	}
	if err := os.MkdirAll(c.cargoHome, 0o700); err != nil {
		t.Fatal(err)
	}
	nowhere := filepath.Join(home, "no-crates-io")
	c.writeFile(filepath.Join(c.cargoHome, "config.toml"),
		"[source.crates-io]\nreplace-with = \"no-crates-io\"\n\n[source.no-crates-io]\ndirectory = "+tomlString(nowhere)+"\n\n[net]\nretry = 0\n")
	c.env = []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + home,
		"CARGO_HOME=" + c.cargoHome,
		"RUSTUP_HOME=" + rustupHome(),
		"CARGO_TERM_COLOR=never",
		"CARGO_TARGET_DIR=" + filepath.Join(home, "target"),
		"GIT_CONFIG_NOSYSTEM=1",
		"GIT_CONFIG_GLOBAL=" + os.DevNull,
		"GIT_TERMINAL_PROMPT=0",
	}
	if tc := os.Getenv("RUSTUP_TOOLCHAIN"); tc != "" {
		c.env = append(c.env, "RUSTUP_TOOLCHAIN="+tc)
	}
	return c
}

// withRegistry points cargo at r under name with cargo:token and the token
// in CARGO_REGISTRIES_<NAME>_TOKEN.
func (c *cargoRun) withRegistry(r *Registry, name, token string) *cargoRun {
	c.env = append(c.env, r.Env(name)...)
	c.env = append(c.env, "CARGO_REGISTRIES_"+EnvName(name)+"_CREDENTIAL_PROVIDER=cargo:token")
	if token != "" {
		c.env = append(c.env, "CARGO_REGISTRIES_"+EnvName(name)+"_TOKEN="+token)
	}
	return c
}

func (c *cargoRun) setenv(kv ...string) *cargoRun {
	c.env = append(c.env, kv...)
	return c
}

func (c *cargoRun) writeFile(path, content string) {
	c.t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		c.t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		c.t.Fatal(err)
	}
}

// writeProject lays out a project in c.project.
func (c *cargoRun) writeProject(p Project) {
	c.t.Helper()
	if err := WriteProject(c.project, p); err != nil {
		c.t.Fatal(err)
	}
}

// run runs cargo in the project directory and returns its combined output.
func (c *cargoRun) run(args ...string) (string, error) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "cargo", args...)
	cmd.Dir = c.project
	if _, err := os.Stat(c.project); err != nil {
		cmd.Dir = c.home
	}
	cmd.Env = c.env
	cmd.Stdin = strings.NewReader(c.stdin)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

// mustRun runs cargo and fails the test when it fails. The output is
// checked for tokens before it is ever printed.
func (c *cargoRun) mustRun(secrets []string, args ...string) string {
	c.t.Helper()
	out, err := c.run(args...)
	if err != nil {
		c.t.Fatalf("cargo %s: %v\n%s", strings.Join(args, " "), err, redactAll(out, secrets))
	}
	return out
}

// mustFail runs cargo, fails the test when it succeeds, and returns the
// output.
func (c *cargoRun) mustFail(secrets []string, args ...string) string {
	c.t.Helper()
	out, err := c.run(args...)
	if err == nil {
		c.t.Fatalf("cargo %s succeeded, want a failure\n%s", strings.Join(args, " "), redactAll(out, secrets))
	}
	return out
}

// testTokenPattern matches any token with the leak guard's prefix.
var testTokenPattern = regexp.MustCompile(regexp.QuoteMeta(leakguard.TokenPrefix) + `[A-Za-z0-9_\-]*`)

// redactAll replaces every secret in text, and anything that looks like a
// test token, so failure messages never carry a token.
func redactAll(text string, secrets []string) string {
	for _, s := range secrets {
		if s != "" {
			text = strings.ReplaceAll(text, s, "<redacted>")
		}
	}
	return testTokenPattern.ReplaceAllString(text, "<redacted>")
}
