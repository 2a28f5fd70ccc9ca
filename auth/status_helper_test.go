package auth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/cargo-auth/cargo-auth/credentials"
	"github.com/cargo-auth/cargo-auth/internal/leakguard"
)

// statusEnv is a test's machine for status: a HOME with CARGO_HOME, a
// project directory with its .cargo/config.toml, an environment, a memory
// store, and fakes for cargo:libsecret, PATH and git.
type statusEnv struct {
	t       *testing.T
	home    string
	project string
	environ []string
	store   *credentials.MemoryStore
	secrets []string

	libsecret map[string]string // index URL -> token
	noBus     bool
	tracked   map[string]bool
	now       time.Time
}

func newStatusEnv(t *testing.T) *statusEnv {
	t.Helper()
	dir := t.TempDir()
	e := &statusEnv{
		t:         t,
		home:      filepath.Join(dir, "home"),
		project:   filepath.Join(dir, "project"),
		store:     credentials.NewMemoryStore(),
		libsecret: map[string]string{},
		tracked:   map[string]bool{},
		now:       time.Now(),
	}
	e.environ = []string{
		"HOME=" + e.home,
		"CARGO_HOME=" + filepath.Join(e.home, ".cargo"),
		"PATH=/usr/local/bin:/usr/bin:/bin",
		"NO_COLOR=1",
	}
	for _, d := range []string{filepath.Join(e.home, ".cargo"), filepath.Join(e.project, ".cargo")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

// write puts a file under the test directory (relative to its parent).
func (e *statusEnv) write(rel, content string) string {
	e.t.Helper()
	p := filepath.Join(filepath.Dir(e.project), rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		e.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		e.t.Fatal(err)
	}
	return p
}

// config writes the project's .cargo/config.toml.
func (e *statusEnv) config(content string) string {
	return e.write("project/.cargo/config.toml", content)
}

func (e *statusEnv) setenv(kv ...string) *statusEnv {
	e.environ = append(e.environ, kv...)
	return e
}

// secret remembers a token the output must never show.
func (e *statusEnv) secret(tok string) string {
	e.secrets = append(e.secrets, tok)
	return tok
}

// statusOutcome is one run of statusRun.
type statusOutcome struct {
	code   int
	stdout string
	stderr string
	report statusReport
}

// registry finds a registry's block.
func (o statusOutcome) registry(t *testing.T, name string) *statusRegistry {
	t.Helper()
	for _, r := range o.report.Registries {
		if r.Name == name {
			return r
		}
	}
	t.Fatalf("no registry %s in the report:\n%s", name, o.stdout)
	return nil
}

// ids lists a registry's problem ids, sorted.
func ids(r *statusRegistry) []string {
	var out []string
	for _, p := range r.Problems {
		out = append(out, p.ID)
	}
	sort.Strings(out)
	return out
}

// wantProblems checks a registry's problem ids exactly.
func wantProblems(t *testing.T, r *statusRegistry, want ...string) {
	t.Helper()
	sort.Strings(want)
	got := ids(r)
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("registry %s: problems %v, want %v\n%s", r.Name, got, want, describeProblems(r))
	}
}

func describeProblems(r *statusRegistry) string {
	var b strings.Builder
	for _, p := range r.Providers {
		b.WriteString("  provider " + p.Name + ": " + p.Outcome + " (" + p.Detail + ")\n")
	}
	for _, p := range r.Problems {
		b.WriteString("  " + p.ID + ": " + p.Message + "\n")
	}
	return b.String()
}

// run calls statusRun from the project directory with JSON output unless
// opts says otherwise, and fails the test when a token is printed without
// --show-token.
func (e *statusEnv) run(opts statusOptions) statusOutcome {
	e.t.Helper()
	var stdout, stderr bytes.Buffer
	environ := append([]string(nil), e.environ...)
	f := &Factory{
		Stdout:           &stdout,
		Stderr:           &stderr,
		Environ:          func() []string { return environ },
		Getwd:            func() (string, error) { return e.project, nil },
		Now:              func() time.Time { return e.now },
		StdoutIsTerminal: func() bool { return false },
		StderrIsTerminal: func() bool { return false },
		Store: func(ctx context.Context, backend string) (credentials.Store, error) {
			return e.store, nil
		},
	}
	opts.Factory = f
	return e.runFactory(opts, &stdout, &stderr)
}

// runFactory runs statusRun with opts.Factory and the machine's fakes.
func (e *statusEnv) runFactory(opts statusOptions, stdout, stderr *bytes.Buffer) statusOutcome {
	e.t.Helper()
	if opts.Timeout == 0 {
		opts.Timeout = 5 * time.Second
	}
	if opts.goos == "" {
		opts.goos = "linux"
	}
	if opts.libsecretToken == nil {
		opts.libsecretToken = func(ctx context.Context, indexURL string) (credentials.Candidate, error) {
			if e.noBus {
				return credentials.Candidate{}, errors.Join(credentials.ErrUnavailable, errors.New("no D-Bus session bus"))
			}
			for u, tok := range e.libsecret {
				if credentials.MatchIndexURL(u, indexURL) {
					return credentials.Candidate{Kind: credentials.SourceLibsecret, IndexURL: u, Token: credentials.NewToken(tok, credentials.SchemeRaw)}, nil
				}
			}
			return credentials.Candidate{}, credentials.ErrNotFound
		}
	}
	if opts.libsecretLoadable == nil {
		opts.libsecretLoadable = func() bool { return true }
	}
	if opts.lookPath == nil {
		opts.lookPath = func(file string) (string, error) {
			if file == "cargo-auth" {
				return "/usr/local/bin/cargo-auth", nil
			}
			return lookPathIn("/usr/local/bin:/usr/bin:/bin", file)
		}
	}
	if opts.gitTracked == nil {
		opts.gitTracked = func(path string) bool { return e.tracked[path] }
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := statusRun(ctx, &opts)
	out := statusOutcome{code: reportError(&Factory{Stderr: stderr}, err), stdout: stdout.String(), stderr: stderr.String()}
	if !opts.ShowToken {
		if what, leak := leakguard.Find(out.stdout+out.stderr, e.secrets); leak {
			e.t.Fatalf("status printed %s:\n%s\n%s", what, out.stdout, out.stderr)
		}
	}
	if opts.JSON && out.stdout != "" {
		if err := json.Unmarshal([]byte(out.stdout), &out.report); err != nil {
			e.t.Fatalf("stdout is not the JSON report: %v\n%s\nstderr:\n%s", err, out.stdout, out.stderr)
		}
	}
	return out
}

// offline runs status --offline --json.
func (e *statusEnv) offline(names ...string) statusOutcome {
	e.t.Helper()
	return e.run(statusOptions{JSON: true, Offline: true, Registries: names})
}
