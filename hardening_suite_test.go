package main

import (
	"bytes"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/cargo-auth/cargo-auth/credentials"
)

// The suite's own guarantees: every fuzz target runs in CI, and every
// end-to-end script runs under the token-leak guard.

// TestFuzzScriptRunsEveryFuzzTarget runs scripts/fuzz (what CI runs) with a
// stand-in for go that records each `go test -fuzz` instead of fuzzing, and
// checks the runs against the fuzz targets go/parser finds in every test
// file of every package; then makes one target fail and checks that the
// script fails, and still runs the others.
func TestFuzzScriptRunsEveryFuzzTarget(t *testing.T) {
	realGo, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("go is not on PATH: %v", err)
	}
	want := fuzzTargets(t, realGo)
	if len(want) == 0 {
		t.Fatal("no fuzz target found: the test proves nothing")
	}

	bin := t.TempDir()
	log := filepath.Join(bin, "fuzz.log")
	writeTestFile(t, filepath.Join(bin, "go"), []byte(`#!/bin/sh
# Records go test -fuzz runs (failing the one named by FAKE_GO_FAIL), and
# hands everything else to the real go.
if [ "$1" = test ]; then
	echo "$*" >>"$FAKE_GO_LOG"
	case "$*" in *"-fuzz=^$FAKE_GO_FAIL\$"*) [ -n "$FAKE_GO_FAIL" ] && exit 1 ;; esac
	exit 0
fi
exec "$REAL_GO" "$@"
`), 0o755)
	fuzz := func(fail string) (runs []string, err error) {
		os.Remove(log)
		cmd := exec.Command("bash", "scripts/fuzz")
		cmd.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"),
			"REAL_GO="+realGo, "FAKE_GO_LOG="+log, "FAKE_GO_FAIL="+fail, "FUZZTIME=1s")
		out, err := cmd.CombinedOutput()
		if data, readErr := os.ReadFile(log); readErr == nil {
			runs = fuzzRuns(t, string(data))
		}
		if err != nil {
			err = &exec.ExitError{ProcessState: cmd.ProcessState, Stderr: out}
		}
		return runs, err
	}

	runs, err := fuzz("")
	if err != nil {
		t.Fatalf("scripts/fuzz failed with no failing target: %v", err)
	}
	if !slices.Equal(runs, want) {
		t.Fatalf("scripts/fuzz runs\n  %s\nwant every fuzz target\n  %s", strings.Join(runs, "\n  "), strings.Join(want, "\n  "))
	}

	failing := want[0]
	runs, err = fuzz(failing[strings.LastIndex(failing, " ")+1:])
	if err == nil {
		t.Fatalf("scripts/fuzz succeeded although %s failed", failing)
	}
	if !slices.Equal(runs, want) {
		t.Errorf("after %s failed, scripts/fuzz ran\n  %s\nwant every target still run", failing, strings.Join(runs, "\n  "))
	}
}

// fuzzTargets lists "PACKAGE FuzzName" for every fuzz target in the module:
// a top-level func named Fuzz* taking one *testing.F, in a test file.
func fuzzTargets(t *testing.T, goCmd string) []string {
	t.Helper()
	out, err := exec.Command(goCmd, "list", "-f", `{{.ImportPath}}|{{.Dir}}|{{join .TestGoFiles ","}},{{join .XTestGoFiles ","}}`, "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var targets []string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		parts := strings.SplitN(line, "|", 3)
		for _, name := range strings.Split(parts[2], ",") {
			if name == "" {
				continue
			}
			file, err := parser.ParseFile(token.NewFileSet(), filepath.Join(parts[1], name), nil, parser.SkipObjectResolution)
			if err != nil {
				t.Fatal(err)
			}
			for _, decl := range file.Decls {
				fn, ok := decl.(*ast.FuncDecl)
				if !ok || fn.Recv != nil || !strings.HasPrefix(fn.Name.Name, "Fuzz") || len(fn.Type.Params.List) != 1 {
					continue
				}
				if star, ok := fn.Type.Params.List[0].Type.(*ast.StarExpr); ok {
					if sel, ok := star.X.(*ast.SelectorExpr); ok && sel.Sel.Name == "F" {
						targets = append(targets, parts[0]+" "+fn.Name.Name)
					}
				}
			}
		}
	}
	slices.Sort(targets)
	return targets
}

// fuzzRuns reads the stand-in's log into "PACKAGE FuzzName" lines.
func fuzzRuns(t *testing.T, log string) []string {
	t.Helper()
	re := regexp.MustCompile(`^test -run=\^\$ -fuzz=\^(Fuzz\w*)\$ -fuzztime=\S+ (\S+)$`)
	var runs []string
	for _, line := range strings.Split(strings.TrimSpace(log), "\n") {
		m := re.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("scripts/fuzz ran go %s, not a bounded fuzz run of one target", line)
		}
		runs = append(runs, m[2]+" "+m[1])
	}
	slices.Sort(runs)
	return runs
}

// TestEveryScriptRunsUnderTheLeakGuard checks what makes the leak guard
// cover the whole end-to-end suite: scriptParams sets it up for every
// script, every testscript run of this package goes through scriptParams,
// every script lives where TestScripts runs them, and no script turns the
// guard off or moves HOME out of its work directory.
func TestEveryScriptRunsUnderTheLeakGuard(t *testing.T) {
	params := scriptParams("testdata/script")
	if reflect.ValueOf(params.Setup).Pointer() != reflect.ValueOf(setupScript).Pointer() {
		t.Fatal("scriptParams does not set up scripts with setupScript (which starts the leak guard)")
	}

	// Every testscript.Run or RunT in this package's tests takes its
	// parameters from scriptParams.
	files, _ := filepath.Glob("*_test.go")
	for _, name := range files {
		file, err := parser.ParseFile(token.NewFileSet(), name, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok || !slices.Contains([]string{"Run", "RunT"}, sel.Sel.Name) {
				return true
			}
			if pkg, ok := sel.X.(*ast.Ident); !ok || pkg.Name != "testscript" {
				return true
			}
			arg, ok := call.Args[len(call.Args)-1].(*ast.CallExpr)
			if fn, isIdent := arg.Fun.(*ast.Ident); !ok || !isIdent || fn.Name != "scriptParams" {
				t.Errorf("%s: testscript.%s without scriptParams: its scripts escape the leak guard", name, sel.Sel.Name)
			}
			return true
		})
	}

	// Every script of this package is where TestScripts looks.
	var stray []string
	filepath.WalkDir("testdata", func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".txtar") && filepath.Dir(path) != filepath.Join("testdata", "script") {
			stray = append(stray, path)
		}
		return nil
	})
	if len(stray) > 0 {
		t.Errorf("scripts outside testdata/script are never run: %q", stray)
	}

	// No script turns the guard off, or gives cargo-auth a HOME, CARGO_HOME
	// or XDG directory outside its work directory.
	scripts, _ := filepath.Glob("testdata/script/*.txtar")
	if len(scripts) == 0 {
		t.Fatal("no scripts found")
	}
	for _, script := range scripts {
		data, err := os.ReadFile(script)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(txtarComment(data)), "\n") {
			if problem := guardEscape(line); problem != "" {
				t.Errorf("%s: %q %s", filepath.Base(script), strings.TrimSpace(line), problem)
			}
		}
	}
}

// txtarComment is a script's commands: what comes before its first file.
func txtarComment(data []byte) []byte {
	if bytes.HasPrefix(data, []byte("-- ")) {
		return nil
	}
	comment, _, _ := bytes.Cut(data, []byte("\n-- "))
	return comment
}

// guardedVariables are the variables setupScript points into the script's
// work directory, or its own keyring namespace.
var guardedVariables = []string{"CARGO_AUTH_LEAKGUARD_DIR", "HOME", "CARGO_HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", credentials.EnvServiceName}

// guardEscape says what is wrong with a script line that unsets the leak
// guard, or points one of guardedVariables outside $WORK; "" when nothing.
func guardEscape(line string) string {
	fields := strings.Fields(line)
	for len(fields) > 0 && (strings.HasPrefix(fields[0], "[") || fields[0] == "!") {
		fields = fields[1:] // conditions and negation
	}
	if len(fields) < 2 || (fields[0] != "env" && fields[0] != "unenv") {
		return ""
	}
	for _, arg := range fields[1:] {
		name, value, set := strings.Cut(arg, "=")
		switch {
		case !slices.Contains(guardedVariables, name):
		case name == "CARGO_AUTH_LEAKGUARD_DIR":
			return "turns off the leak guard"
		case fields[0] == "unenv":
			return "unsets " + name + ": cargo-auth would fall back to the user's own"
		case name == credentials.EnvServiceName:
			if !set || !strings.HasPrefix(value, "cargo-auth-test-") {
				return "leaves the script's own keyring namespace (keyctl, Secret Service and pass outlive $WORK)"
			}
		case set && !strings.HasPrefix(value, "$WORK") && !strings.HasPrefix(value, "$HOME") && !strings.HasPrefix(value, "${WORK}"):
			return "points cargo-auth outside the guarded work directory"
		}
	}
	return ""
}

func TestGuardEscape(t *testing.T) {
	tests := []struct {
		line   string
		escape bool
	}{
		{"env CARGO_AUTH_LEAKGUARD_DIR=", true},
		{"env CARGO_AUTH_LEAKGUARD_DIR=$WORK/elsewhere", true},
		{"[linux] env HOME=/root", true},
		{"! env CARGO_HOME=/tmp/cargo", true},
		{"unenv XDG_CONFIG_HOME", true},
		{"env HOME=$WORK/other-home", false},
		{"env CARGO_HOME=$HOME/.cargo2", false},
		{"env CARGO_REGISTRIES_CORP_INDEX=$CORP_INDEX", false},
		{"exec cargo-auth login corp", false},
		{"stdout 'env HOME=/root'", false},
		{"env CARGO_AUTH_SERVICE=cargo-auth", true},
		{"unenv CARGO_AUTH_SERVICE", true},
		{"env CARGO_AUTH_SERVICE=cargo-auth-test-other", false},
	}
	for _, tt := range tests {
		if got := guardEscape(tt.line) != ""; got != tt.escape {
			t.Errorf("guardEscape(%q) = %v, want %v", tt.line, got, tt.escape)
		}
	}
}
