package tomledit

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestUpdateFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), ".cargo", "config.toml")
	addProvider := func(d *Document) error {
		return d.Set(StringArray("cargo:token"), "registries", "corp", "credential-provider")
	}
	// A missing file is an empty document; an edit that changes nothing
	// creates nothing.
	if err := UpdateFile(path, 0o600, func(*Document) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("a no-op update created the file (%v)", err)
	}
	if err := UpdateFile(path, 0o600, addProvider); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := "[registries.corp]\ncredential-provider = [\"cargo:token\"]\n"; string(got) != want {
		t.Errorf("file = %q, want %q", got, want)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm()&0o077 != 0 {
		t.Errorf("new file mode %v, want private", info.Mode().Perm())
	}
}

func TestUpdateFileLeavesMalformedFilesAlone(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.toml")
	const bad = "[registries.corp]\nindex = \n"
	if err := os.WriteFile(path, []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	called := false
	err := UpdateFile(path, 0o600, func(*Document) error { called = true; return nil })
	var pe *ParseError
	if !errors.As(err, &pe) || pe.Line != 2 || !strings.HasPrefix(err.Error(), path+":2:") {
		t.Errorf("error = %v, want a ParseError at %s:2", err, path)
	}
	if called {
		t.Error("edit was called on a malformed file")
	}
	if got, _ := os.ReadFile(path); string(got) != bad {
		t.Errorf("malformed file changed: %q", got)
	}
	// A refused edit leaves the file alone too.
	const inline = "registries = { corp = { index = 'x' } }\n"
	if err := os.WriteFile(path, []byte(inline), 0o644); err != nil {
		t.Fatal(err)
	}
	err = UpdateFile(path, 0o600, func(d *Document) error {
		return d.Set(String("cargo:token"), "registries", "corp", "credential-provider")
	})
	if !errors.Is(err, ErrRefused) {
		t.Errorf("error = %v, want a refusal", err)
	}
	if got, _ := os.ReadFile(path); string(got) != inline {
		t.Errorf("refused edit changed the file: %q", got)
	}
}
