package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/cargo-auth/cargo-auth/internal/leakguard"
	"github.com/cargo-auth/cargo-auth/internal/registrytest"
)

// The end-to-end tests run the real main (as the cargo-auth command on PATH,
// so that cargo finds it both as `cargo auth` and as a credential provider)
// and the real cargo, under the token-leak guard.

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"cargo-auth": guardedMain,
	})
}

// guardedMain is main with its output copied to the leak guard's directory.
// The guard skips only output the user asked to contain a token: the
// provider protocol on stdout (read by cargo) and `cargo auth token`.
func guardedMain() {
	dir := os.Getenv("CARGO_AUTH_LEAKGUARD_DIR")
	if dir == "" {
		os.Exit(run(os.Args, os.Stdin, os.Stdout, os.Stderr))
	}
	var stdoutCopy, stderrCopy bytes.Buffer
	stdout := io.Writer(io.MultiWriter(os.Stdout, &stdoutCopy))
	if tokenOnStdoutExpected(os.Args[1:]) {
		stdout = os.Stdout
	}
	code := run(os.Args, os.Stdin, stdout, io.MultiWriter(os.Stderr, &stderrCopy))
	f, err := os.CreateTemp(dir, "cargo-auth-*.out")
	if err == nil {
		// The header names the command for whoever reads a finding; argv is
		// the caller's business, so a token there is not this run's leak.
		args := make([]string, len(os.Args)-1)
		for i, a := range os.Args[1:] {
			if strings.Contains(a, leakguard.TokenPrefix) {
				a = "<argv token>"
			}
			args[i] = a
		}
		fmt.Fprintf(f, "$ cargo-auth %s\n", strings.Join(args, " "))
		f.Write(stdoutCopy.Bytes())
		f.Write(stderrCopy.Bytes())
		f.Close()
	}
	os.Exit(code)
}

func tokenOnStdoutExpected(args []string) bool {
	for i, a := range args {
		if a == "--cargo-plugin" || a == "--show-token" {
			return true
		}
		if !strings.HasPrefix(a, "-") {
			return a == "token" || (a == "auth" && i+1 < len(args) && args[i+1] == "token")
		}
	}
	return false
}

func TestScripts(t *testing.T) {
	testscript.Run(t, scriptParams("testdata/script"))
}

func scriptParams(dir string) testscript.Params {
	return testscript.Params{
		Dir:                dir,
		Setup:              setupScript,
		Cmds:               scriptCommands,
		Condition:          scriptCondition,
		RequireUniqueNames: true,
	}
}

// realHome is the HOME the tests started with: cargo on PATH is a rustup
// proxy that needs the real toolchain directory.
var realHome = os.Getenv("HOME")

func rustupHome() string {
	if h := os.Getenv("RUSTUP_HOME"); h != "" {
		return h
	}
	return filepath.Join(realHome, ".rustup")
}

// setupScript gives every script its own HOME and CARGO_HOME inside $WORK,
// the file keyring backend with a test passphrase, and the leak guard.
func setupScript(env *testscript.Env) error {
	home := filepath.Join(env.WorkDir, "home")
	cargoHome := filepath.Join(home, ".cargo")
	guardDir := filepath.Join(env.WorkDir, ".leakguard")
	for _, d := range []string{cargoHome, guardDir} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return err
		}
	}
	env.Setenv("HOME", home)
	env.Setenv("CARGO_HOME", cargoHome)
	env.Setenv("RUSTUP_HOME", rustupHome())
	env.Setenv("RUSTUP_TOOLCHAIN", os.Getenv("RUSTUP_TOOLCHAIN"))
	env.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
	env.Setenv("XDG_DATA_HOME", filepath.Join(home, ".local", "share"))
	env.Setenv("CARGO_AUTH_BACKEND", "file")
	env.Setenv("CARGO_AUTH_FILE_PASSPHRASE", "test-passphrase")
	// Every script has its own keyring namespace: keyctl, Secret Service
	// and pass outlive $HOME, and a developer's real items live under the
	// default name.
	service := "cargo-auth-test-" + filepath.Base(env.WorkDir)
	env.Setenv("CARGO_AUTH_SERVICE", service)
	env.Defer(func() { removeKeyctlKeyring(service) })
	env.Setenv("CARGO_AUTH_LEAKGUARD_DIR", guardDir)
	env.Setenv("CARGO_TERM_COLOR", "never")
	// Under -race every process sleeps a second at exit, and cargo spawns
	// cargo-auth on every networked command.
	env.Setenv("GORACE", "atexit_sleep_ms=0")
	env.Setenv("NO_COLOR", "")
	for _, k := range []string{"CI", "DBUS_SESSION_BUS_ADDRESS", "PASSWORD_STORE_DIR", "GNUPGHOME", "CARGO_AUTH_TEST_KEYRINGS"} {
		env.Setenv(k, os.Getenv(k))
	}
	env.Values[allowTokenKey{}] = map[string]bool{}
	env.Values[registriesKey{}] = map[string]*registrytest.Registry{}
	env.Defer(func() { checkLeaks(env) })
	return nil
}

// checkLeaks fails the script when a test token reached any guarded output
// or any file under $WORK that the script did not declare with allow-token.
func checkLeaks(env *testscript.Env) {
	allowed := map[string]bool{}
	if v, ok := env.Values[allowTokenKey{}].(map[string]bool); ok {
		allowed = v
	}
	findings, err := leakguard.ScanDir(env.WorkDir, nil, func(path string) bool {
		if allowed[path] || strings.HasSuffix(path, ".txtar") {
			return true
		}
		for prefix := range allowed {
			if strings.HasSuffix(prefix, string(filepath.Separator)) && strings.HasPrefix(path, prefix) {
				return true
			}
		}
		return false
	})
	if err != nil {
		env.T().Fatal("leak guard: ", err)
	}
	for _, f := range findings {
		rel, _ := filepath.Rel(env.WorkDir, f.Path)
		env.T().Log(fmt.Sprintf("leak guard: %s holds %s", rel, f.What))
	}
	if len(findings) > 0 {
		env.T().Fatal("leak guard: a test token leaked (see above); declare files that must hold it with allow-token")
	}
}

type allowTokenKey struct{}

var scriptCommands = map[string]func(ts *testscript.TestScript, neg bool, args []string){
	"cargo":       cmdCargo,
	"allow-token": cmdAllowToken,
	"fmode":       cmdFileMode,
	"exitcode":    cmdExitCode,
	"registry":    cmdRegistry,
	"allow-tree":  cmdAllowTree,
}

// cmdExitCode runs a command and asserts its exit status: exitcode 2 cargo-auth bogus.
func cmdExitCode(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exitcode N COMMAND [ARGS...]")
	}
	err := ts.Exec(args[1], args[2:]...)
	got := 0
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		got = exitErr.ExitCode()
	} else if err != nil {
		ts.Fatalf("%s: %v", args[1], err)
	}
	if fmt.Sprint(got) != args[0] {
		ts.Fatalf("%s exited with %d, want %s", strings.Join(args[1:], " "), got, args[0])
	}
}

// cmdCargo runs the real cargo and checks its output for leaked tokens.
// A missing cargo fails the script: it is installed on every machine.
//
//	cargo [--token VAR=REGISTRY]... ARGS...
//
// --token puts a started registry's token into the variable VAR for this
// cargo run only, the way a CI runner injects a secret.
func cmdCargo(ts *testscript.TestScript, neg bool, args []string) {
	if _, err := exec.LookPath("cargo"); err != nil {
		ts.Fatalf("cargo is not installed: %v", err)
	}
	for len(args) >= 2 && args[0] == "--token" {
		variable, name, ok := strings.Cut(args[1], "=")
		reg := scriptRegistries(ts)[name]
		if !ok || reg == nil {
			ts.Fatalf("cargo --token VAR=REGISTRY: no registry %q started", name)
		}
		old := ts.Getenv(variable)
		ts.Setenv(variable, reg.Token())
		defer ts.Setenv(variable, old)
		args = args[2:]
	}
	err := ts.Exec("cargo", args...)
	if what, leak := leakguard.Find(ts.ReadFile("stdout")+ts.ReadFile("stderr"), nil); leak {
		ts.Fatalf("leak guard: cargo %s printed %s", args[0], what)
	}
	if err != nil && !neg {
		ts.Fatalf("cargo %s: %v", strings.Join(args, " "), err)
	}
	if err == nil && neg {
		ts.Fatalf("cargo %s unexpectedly succeeded", strings.Join(args, " "))
	}
}

// cmdAllowToken declares files that may hold a test token (a token file the
// script wrote on purpose, a config the script asked to carry one).
func cmdAllowToken(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) == 0 {
		ts.Fatalf("usage: allow-token FILE...")
	}
	allowed, _ := ts.Value(allowTokenKey{}).(map[string]bool)
	for _, a := range args {
		allowed[ts.MkAbs(a)] = true
	}
}

// cmdFileMode asserts a file's permission bits: fmode 0600 FILE.
func cmdFileMode(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: fmode PERM FILE")
	}
	info, err := os.Stat(ts.MkAbs(args[1]))
	ts.Check(err)
	got := fmt.Sprintf("%04o", info.Mode().Perm())
	if (got == args[0]) == neg {
		ts.Fatalf("%s has mode %s, want %s%s", args[1], got, map[bool]string{true: "not ", false: ""}[neg], args[0])
	}
}

func scriptCondition(cond string) (bool, error) {
	switch cond {
	case "ci":
		return os.Getenv("CI") != "", nil
	}
	return false, fmt.Errorf("unknown condition %q", cond)
}
