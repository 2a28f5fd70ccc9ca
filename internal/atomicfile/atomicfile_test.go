package atomicfile

import (
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// temps lists the temporary files WriteFile may leave in dir.
func temps(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp-") {
			out = append(out, e.Name())
		}
	}
	return out
}

func TestWriteFileCreatesWithPermAndPrivateDirs(t *testing.T) {
	tests := []struct {
		perm, wantDir fs.FileMode
	}{
		{0o600, 0o700},
		{0o644, 0o755},
	}
	for _, tt := range tests {
		root := t.TempDir()
		path := filepath.Join(root, "a", "b", "credentials.toml")
		if err := WriteFile(path, []byte("x"), tt.perm); err != nil {
			t.Fatal(err)
		}
		if got := readFile(t, path); got != "x" {
			t.Errorf("content = %q", got)
		}
		info, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if got := info.Mode().Perm(); got != tt.perm&^umask(t) {
			t.Errorf("file mode = %v, want %v", got, tt.perm)
		}
		for _, dir := range []string{filepath.Join(root, "a"), filepath.Join(root, "a", "b")} {
			info, err := os.Stat(dir)
			if err != nil {
				t.Fatal(err)
			}
			if got := info.Mode().Perm(); got != tt.wantDir&^umask(t) {
				t.Errorf("perm %v: directory mode = %v, want %v", tt.perm, got, tt.wantDir)
			}
		}
	}
}

// umask reads the process umask from a file created with 0777.
func umask(t *testing.T) fs.FileMode {
	t.Helper()
	path := filepath.Join(t.TempDir(), "umask")
	if err := os.WriteFile(path, nil, 0o777); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return 0o777 &^ info.Mode().Perm()
}

func TestWriteFileKeepsTheExistingMode(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(path, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o640); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(path, []byte("new"), 0o600); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := info.Mode().Perm(); got != 0o640 {
		t.Errorf("mode = %v, want 0640 kept", got)
	}
	if got := readFile(t, path); got != "new" {
		t.Errorf("content = %q", got)
	}
}

func TestWriteFileFollowsSymlinks(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "dotfiles", "config.toml")
	if err := os.MkdirAll(filepath.Dir(real), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(real, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	// link2 -> link1 -> dotfiles/config.toml, both relative.
	link1 := filepath.Join(dir, "link1")
	link2 := filepath.Join(dir, "cargo", "config.toml")
	if err := os.Symlink("dotfiles/config.toml", link1); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(link2), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../link1", link2); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(link2, []byte("new"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, link := range []string{link1, link2} {
		if info, err := os.Lstat(link); err != nil || info.Mode()&fs.ModeSymlink == 0 {
			t.Errorf("%s is no longer a symlink (%v)", link, err)
		}
	}
	if got := readFile(t, real); got != "new" {
		t.Errorf("target content = %q", got)
	}
	if got := temps(t, filepath.Dir(real)); len(got) != 0 {
		t.Errorf("temporary files left: %q", got)
	}
	lockPath, err := LockPath(link2)
	if err != nil || lockPath != filepath.Join(dir, "dotfiles", ".config.toml.lock") {
		t.Errorf("LockPath = %q, %v; want next to the target", lockPath, err)
	}
}

func TestWriteFileThroughDanglingSymlinkCreatesTarget(t *testing.T) {
	dir := t.TempDir()
	link := filepath.Join(dir, "config.toml")
	if err := os.Symlink("store/real.toml", link); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(link, []byte("new"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, filepath.Join(dir, "store", "real.toml")); got != "new" {
		t.Errorf("target content = %q", got)
	}
}

func TestWriteFileSymlinkLoop(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	if err := os.Symlink("b", a); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("a", b); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(a, []byte("x"), 0o600); err == nil || !strings.Contains(err.Error(), "symbolic links") {
		t.Errorf("error = %v, want a symlink loop error", err)
	}
}

func TestWriteFileRefusesADirectory(t *testing.T) {
	dir := t.TempDir()
	if err := WriteFile(dir, []byte("x"), 0o600); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("error = %v", err)
	}
}

func TestWriteFileFailureLeavesOldFileAndNoTemp(t *testing.T) {
	injected := errors.New("injected failure")
	fail := func(string) error { return injected }
	steps := map[string]func(){
		"write":  func() { hooks.write = fail },
		"sync":   func() { hooks.sync = fail },
		"close":  func() { hooks.close = fail },
		"rename": func() { hooks.rename = fail },
	}
	for name, arm := range steps {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "config.toml")
			if err := os.WriteFile(path, []byte("old"), 0o600); err != nil {
				t.Fatal(err)
			}
			arm()
			defer func() { hooks.write, hooks.sync, hooks.close, hooks.rename = nil, nil, nil, nil }()
			err := WriteFile(path, []byte("new"), 0o600)
			if !errors.Is(err, injected) || !strings.Contains(err.Error(), path) {
				t.Errorf("error = %v, want the injected failure naming %s", err, path)
			}
			if got := readFile(t, path); got != "old" {
				t.Errorf("content = %q, want old", got)
			}
			if got := temps(t, dir); len(got) != 0 {
				t.Errorf("temporary files left: %q", got)
			}
		})
	}
}

func TestWriteFileRemovesTempsOfDeadWritersOnly(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "config.toml")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	deadPID := cmd.Process.Pid
	dead := ".config.toml.tmp-" + strconv.Itoa(deadPID) + "-abc"
	alive := ".config.toml.tmp-" + strconv.Itoa(os.Getppid()) + "-def"
	other := ".other.toml.tmp-" + strconv.Itoa(deadPID) + "-abc"
	for _, name := range []string{dead, alive, other} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("partial"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := WriteFile(path, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	got := temps(t, dir)
	want := []string{alive, other}
	if strings.Join(got, ",") != strings.Join(sortedCopy(want), ",") {
		t.Errorf("temporary files = %q, want %q", got, want)
	}
}

func sortedCopy(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}
