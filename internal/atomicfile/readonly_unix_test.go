//go:build unix

package atomicfile

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestWriteFileReadOnlyDirectory checks the error and that nothing changed.
// Root writes anywhere, so as root the write runs in a helper process with
// the uid of nobody.
func TestWriteFileReadOnlyDirectory(t *testing.T) {
	base, err := os.MkdirTemp("", "atomicfile-ro-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.Chmod(filepath.Join(base, "ro"), 0o755); _ = os.RemoveAll(base) })
	dir := filepath.Join(base, "ro")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	var msg string
	if os.Geteuid() == 0 {
		msg = writeAsNobody(t, base, path)
	} else {
		if err := os.Chmod(dir, 0o555); err != nil {
			t.Fatal(err)
		}
		if err := WriteFile(path, []byte("new"), 0o600); err != nil {
			msg = err.Error()
		}
	}
	if !strings.Contains(msg, "permission denied") || !strings.Contains(msg, path) {
		t.Errorf("error = %q, want permission denied naming %s", msg, path)
	}
	if got := readFile(t, path); got != "old" {
		t.Errorf("content = %q, want old", got)
	}
	if got := temps(t, dir); len(got) != 0 {
		t.Errorf("temporary files left: %q", got)
	}
}

// writeAsNobody runs WriteFile(path) in a copy of the test binary as uid
// 65534 and returns its error message.
func writeAsNobody(t *testing.T, base, path string) string {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(base, "atomicfile.test")
	data, err := os.ReadFile(self)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(base, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := helperCommand(bin, "write", path)
	asNobody(cmd)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("helper as nobody: %v\n%s", err, out.String())
	}
	return strings.TrimSpace(out.String())
}
