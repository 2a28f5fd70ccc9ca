package main

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// recordingT is a testscript.T that records failures instead of failing.
type recordingT struct {
	mu     sync.Mutex
	failed bool
	logs   []string
}

func (r *recordingT) Skip(args ...any) { panic("skip not expected") }
func (r *recordingT) Fatal(args ...any) {
	r.mu.Lock()
	r.failed = true
	r.mu.Unlock()
	panic(fatalSentinel{})
}
func (r *recordingT) Parallel() {}
func (r *recordingT) Log(args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, a := range args {
		if s, ok := a.(string); ok {
			r.logs = append(r.logs, s)
		}
	}
}
func (r *recordingT) FailNow() { r.Fatal() }
func (r *recordingT) Run(name string, f func(testscript.T)) {
	func() {
		defer func() {
			if v := recover(); v != nil {
				if _, ok := v.(fatalSentinel); !ok {
					panic(v)
				}
			}
		}()
		f(r)
	}()
}
func (r *recordingT) Verbose() bool { return false }

type fatalSentinel struct{}

// TestLeakGuardFailsLeakingScripts proves the guard can fail: a script that
// writes a test token to an undeclared file, or prints one from cargo-auth,
// must fail; the same script with the file declared must pass.
func TestLeakGuardFailsLeakingScripts(t *testing.T) {
	cases := map[string]struct {
		script   string
		wantFail bool
	}{
		"file":              {"exec sh -c 'echo cgatest_0123456789abcdef > leaked.txt'\n", true},
		"declared file":     {"exec sh -c 'echo cgatest_0123456789abcdef > kept.txt'\nallow-token kept.txt\n", false},
		"cargo-auth output": {"! exec cargo-auth cgatest_0123456789abcdef\n! stderr cgatest_\nstderr 'unknown command \"cgat…cdef\"'\n", false},
		"clean":             {"exec cargo-auth --version\n", false},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "s.txtar"), []byte(c.script), 0o600); err != nil {
				t.Fatal(err)
			}
			rt := &recordingT{}
			testscript.RunT(rt, scriptParams(dir))
			if rt.failed != c.wantFail {
				t.Errorf("script failed = %v, want %v; log:\n%s", rt.failed, c.wantFail, strings.Join(rt.logs, "\n"))
			}
		})
	}
}
