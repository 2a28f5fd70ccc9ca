package auth

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cargo-auth/cargo-auth/internal/leakguard"
	"github.com/cargo-auth/cargo-auth/internal/registrytest"
)

// verifyEnv is a test's view of the machine: a HOME, the registry defined
// for cargo under the name "corp", and anything else the test adds.
type verifyEnv struct {
	t       *testing.T
	reg     *registrytest.Registry
	environ []string
	dir     string
	stdin   string
}

func newVerifyEnv(t *testing.T, reg *registrytest.Registry) *verifyEnv {
	t.Helper()
	dir := t.TempDir()
	env := &verifyEnv{t: t, reg: reg, dir: dir, environ: []string{
		"HOME=" + dir,
		"CARGO_HOME=" + filepath.Join(dir, ".cargo"),
		"PATH=/usr/local/bin:/usr/bin:/bin",
		"NO_COLOR=1",
	}}
	if reg != nil {
		env.environ = append(env.environ, reg.Env("corp")...)
	}
	return env
}

// withToken gives cargo the registry's token the CI way, through
// CARGO_REGISTRIES_CORP_TOKEN.
func (e *verifyEnv) withToken() *verifyEnv {
	e.environ = append(e.environ, "CARGO_REGISTRIES_CORP_TOKEN="+e.reg.Token())
	return e
}

// verifyOutcome is one run of verifyRun.
type verifyOutcome struct {
	code   int
	stdout string
	stderr string
	report verifyReport
}

func (o verifyOutcome) check(t *testing.T, id string) checkResult {
	t.Helper()
	for _, c := range o.report.Checks {
		if c.ID == id {
			return c
		}
	}
	t.Fatalf("no check %s in the report:\n%s", id, o.stdout)
	return checkResult{}
}

// statuses maps check ids to their status.
func (o verifyOutcome) statuses() map[string]string {
	m := map[string]string{}
	for _, c := range o.report.Checks {
		m[c.ID] = c.Status
	}
	return m
}

// failing lists the ids of checks with the given status.
func (o verifyOutcome) with(status string) []string {
	var ids []string
	for _, c := range o.report.Checks {
		if c.Status == status {
			ids = append(ids, c.ID)
		}
	}
	return ids
}

// run calls verifyRun with JSON output unless opts says otherwise, and
// fails the test when a token reaches stdout or stderr.
func (e *verifyEnv) run(opts verifyOptions) verifyOutcome {
	e.t.Helper()
	var stdout, stderr bytes.Buffer
	environ := append([]string(nil), e.environ...)
	f := &Factory{
		Stdin:            strings.NewReader(e.stdin),
		Stdout:           &stdout,
		Stderr:           &stderr,
		Environ:          func() []string { return environ },
		Getwd:            func() (string, error) { return e.dir, nil },
		Now:              time.Now,
		StdoutIsTerminal: func() bool { return false },
		StderrIsTerminal: func() bool { return false },
	}
	if opts.Factory != nil {
		f.Store, f.StderrIsTerminal = opts.Factory.Store, opts.Factory.StderrIsTerminal
	}
	opts.Factory = f
	if opts.Format == "" {
		opts.Format = formatJSON
	}
	if opts.Jobs == 0 {
		opts.Jobs = 4
	}
	if opts.Timeout == 0 {
		opts.Timeout = 10 * time.Second
	}
	if opts.Registry == "" && e.reg != nil {
		opts.Registry = "corp"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	err := verifyRun(ctx, &opts)
	out := verifyOutcome{code: reportError(&Factory{Stderr: &stderr}, err), stdout: stdout.String(), stderr: stderr.String()}
	var secrets []string
	if e.reg != nil {
		secrets = e.reg.Tokens()
	}
	if what, leak := leakguard.Find(out.stdout+out.stderr, secrets); leak {
		e.t.Fatalf("verify printed %s:\n%s\n%s", what, out.stdout, out.stderr)
	}
	if opts.Format == formatJSON && out.stdout != "" {
		if err := json.Unmarshal([]byte(out.stdout), &out.report); err != nil {
			e.t.Fatalf("stdout is not the JSON report: %v\n%s\nstderr:\n%s", err, out.stdout, out.stderr)
		}
	}
	return out
}

// crates is a handful of crates for a test registry.
func testCrates() registrytest.Option {
	return registrytest.WithCrates(
		registrytest.Crate{Name: "base", Version: "0.1.0"},
		registrytest.Crate{Name: "base", Version: "0.2.0"},
		registrytest.Crate{Name: "app-lib", Version: "1.0.0", Deps: []registrytest.Dep{{Name: "base", Req: "^0.2"}}},
		registrytest.Crate{Name: "Mixed_Case", Version: "0.3.1"},
	)
}

var _ = io.Discard

func contains(s, sub string) bool { return strings.Contains(s, sub) }
