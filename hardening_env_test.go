package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cargo-auth/cargo-auth/credentials"
	"github.com/cargo-auth/cargo-auth/internal/leakguard"
)

// The hardening tests start cargo-auth as separate processes, many times:
// they kill it mid-write, run a dozen at once, and list the files it leaves.
// The binary is the one testscript puts on PATH (this test binary, entering
// guardedMain), so they test the real main without building anything.

// hardeningPassphrase unlocks the file backend of every hardening test.
const hardeningPassphrase = "hardening-passphrase"

// hardeningEnv is a hermetic HOME, CARGO_HOME and XDG directories for
// cargo-auth processes, and the secrets they may hold.
type hardeningEnv struct {
	t    *testing.T
	bin  string
	root string
	home string
	// service is the keyring namespace of the test's processes
	// (CARGO_AUTH_SERVICE): keyctl's keyring outlives HOME, so each test
	// has its own, unlinked at the end.
	service string
	// env is the environment every process gets; extra variables are
	// added per command.
	env []string
	// secrets are the tokens handed to cargo-auth; allowed are the files
	// that may hold one in plaintext (checked when the test ends).
	secrets []string
	allowed map[string]bool
}

func newHardeningEnv(t *testing.T) *hardeningEnv {
	t.Helper()
	bin, err := exec.LookPath("cargo-auth")
	if err != nil {
		t.Fatalf("cargo-auth is not on PATH (testscript.Main puts this test binary there): %v", err)
	}
	root := t.TempDir()
	random := make([]byte, 6)
	rand.Read(random)
	e := &hardeningEnv{t: t, bin: bin, root: root, home: filepath.Join(root, "home"), allowed: map[string]bool{},
		service: "cargo-auth-test-" + hex.EncodeToString(random)}
	t.Cleanup(func() { removeKeyctlKeyring(e.service) })
	guardDir := filepath.Join(root, "leakguard")
	for _, d := range []string{e.cargoHome(), guardDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	e.env = append(hermeticEnviron(),
		"HOME="+e.home,
		"CARGO_HOME="+e.cargoHome(),
		"XDG_CONFIG_HOME="+filepath.Join(e.home, ".config"),
		"XDG_CACHE_HOME="+filepath.Join(e.home, ".cache"),
		"XDG_DATA_HOME="+filepath.Join(e.home, ".local", "share"),
		"RUSTUP_HOME="+rustupHome(),
		"CARGO_AUTH_BACKEND=file",
		credentials.EnvServiceName+"="+e.service,
		"CARGO_AUTH_FILE_PASSPHRASE="+hardeningPassphrase,
		"CARGO_AUTH_NO_PROMPT=1",
		"CARGO_AUTH_LEAKGUARD_DIR="+guardDir,
		"NO_COLOR=1",
		// The race detector sleeps a second before a successful exit:
		// these tests start hundreds of processes.
		"GORACE="+strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0"),
	)
	t.Cleanup(e.checkLeaks)
	return e
}

// hermeticEnviron is the test's environment without what would reach
// outside the test's directories: HOME, CARGO_*, XDG_*, the keyring
// daemons' addresses and the race detector's settings (set again above).
func hermeticEnviron() []string {
	var out []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch {
		case name == "HOME", name == "GORACE", name == "DBUS_SESSION_BUS_ADDRESS", name == "PASSWORD_STORE_DIR",
			name == "GNUPGHOME", name == "DISPLAY", name == "WAYLAND_DISPLAY",
			strings.HasPrefix(name, "CARGO_"), strings.HasPrefix(name, "XDG_"):
			continue
		}
		out = append(out, kv)
	}
	return out
}

func (e *hardeningEnv) cargoHome() string  { return filepath.Join(e.home, ".cargo") }
func (e *hardeningEnv) configPath() string { return filepath.Join(e.cargoHome(), "config.toml") }
func (e *hardeningEnv) appDir() string     { return filepath.Join(e.home, ".config", "cargo-auth") }
func (e *hardeningEnv) keyringDir() string { return filepath.Join(e.appDir(), "keyring") }
func (e *hardeningEnv) statePath() string  { return filepath.Join(e.appDir(), "rewrite-state.json") }

// token returns a fresh test token the leak guard knows.
func (e *hardeningEnv) token() string {
	tok := leakguard.NewToken()
	e.secrets = append(e.secrets, tok)
	return tok
}

// allow declares a file that may hold a token in plaintext.
func (e *hardeningEnv) allow(path string) { e.allowed[path] = true }

// command prepares cargo-auth ARGS with stdin and extra environment.
func (e *hardeningEnv) command(stdin string, extraEnv []string, args ...string) *exec.Cmd {
	cmd := exec.Command(e.bin, args...)
	cmd.Dir = e.root
	cmd.Env = append(append([]string(nil), e.env...), extraEnv...)
	cmd.Stdin = strings.NewReader(stdin)
	return cmd
}

// run runs cargo-auth to completion and fails the test when it fails.
func (e *hardeningEnv) run(stdin string, extraEnv []string, args ...string) string {
	e.t.Helper()
	cmd := e.command(stdin, extraEnv, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		e.t.Fatalf("cargo-auth %s: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String()
}

// openFileStore opens the file backend the processes use, in this process.
func (e *hardeningEnv) openFileStore() credentials.Store {
	e.t.Helper()
	store, err := credentials.Open(context.Background(), credentials.Options{
		Backend:        credentials.BackendFile,
		FileDir:        e.keyringDir(),
		FilePassphrase: hardeningPassphrase,
		Timeout:        30 * time.Second,
	})
	if err != nil {
		e.t.Fatalf("opening the file store: %v", err)
	}
	return store
}

// storedToken returns the token stored for indexURL, "" when there is none;
// any other outcome (an item that cannot be read) fails the test.
func storedToken(t *testing.T, store credentials.Store, indexURL string) string {
	t.Helper()
	cred, err := store.Get(context.Background(), indexURL)
	if errors.Is(err, credentials.ErrNotFound) {
		return ""
	}
	if err != nil {
		t.Fatalf("the store cannot read %s: %v", indexURL, err)
	}
	return cred.Token.Reveal()
}

// checkLeaks fails the test when a token handed to cargo-auth is in a file
// that was not declared with allow, or in any output of cargo-auth (copied
// to the leak guard's directory by guardedMain).
func (e *hardeningEnv) checkLeaks() {
	findings, err := leakguard.ScanDir(e.root, e.secrets, func(path string) bool { return e.allowed[path] })
	if err != nil {
		e.t.Errorf("leak guard: %v", err)
	}
	for _, f := range findings {
		rel, _ := filepath.Rel(e.root, f.Path)
		e.t.Errorf("leak guard: %s holds %s", rel, f.What)
	}
}

// bigConfig is a cargo configuration of the given registries (name, index
// URL), a few settings and about size bytes of comments: large enough that
// writing it takes measurable time, so a kill can land in the middle.
func bigConfig(size int, registries [][2]string, extra string) []byte {
	var b strings.Builder
	b.WriteString("# cargo configuration of a busy machine; every comment must survive\n[net]\nretry = 3   # odd spacing stays\n\n")
	for _, r := range registries {
		fmt.Fprintf(&b, "# %s: the team's registry\n[registries.%s]\nindex = %q # where it lives\n\n", r[0], r[0], r[1])
	}
	b.WriteString(extra)
	line := "# " + strings.Repeat("padding so that the file is large and its write takes time ", 2) + "\n"
	for b.Len() < size {
		b.WriteString(line)
	}
	return []byte(b.String())
}

func readTestFile(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func writeTestFile(t *testing.T, path string, data []byte, perm fs.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, perm); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, perm); err != nil {
		t.Fatal(err)
	}
}

func assertNoFile(t *testing.T, path string) {
	t.Helper()
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("%s exists (%v), want it removed", path, err)
	}
}
