package atomicfile

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestUpdateMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "credentials.toml")
	var sawExists bool
	err := Update(path, 0o600, func(old []byte, exists bool) ([]byte, error) {
		sawExists = exists || old != nil
		return nil, nil
	})
	if err != nil || sawExists {
		t.Fatalf("Update = %v, exists = %v", err, sawExists)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("returning nil for a missing file created it (%v)", err)
	}
	if err := Update(path, 0o600, func([]byte, bool) ([]byte, error) { return []byte("new"), nil }); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, path); got != "new" {
		t.Errorf("content = %q", got)
	}
}

func TestUpdateWritesOnlyChanges(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(path, []byte("same"), 0o600); err != nil {
		t.Fatal(err)
	}
	before, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := Update(path, 0o600, func(old []byte, exists bool) ([]byte, error) {
		if !exists || string(old) != "same" {
			t.Errorf("fn got %q, %v", old, exists)
		}
		return []byte("same"), nil
	}); err != nil {
		t.Fatal(err)
	}
	after, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if !os.SameFile(before, after) {
		t.Error("an unchanged file was replaced")
	}
	if err := Update(path, 0o600, func([]byte, bool) ([]byte, error) { return []byte("changed"), nil }); err != nil {
		t.Fatal(err)
	}
	if after, _ := os.Stat(path); os.SameFile(before, after) {
		t.Error("a changed file was written in place, not replaced")
	}
}

func TestUpdateErrorLeavesFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(path, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	if err := Update(path, 0o600, func([]byte, bool) ([]byte, error) { return []byte("new"), boom }); !errors.Is(err, boom) {
		t.Errorf("Update = %v, want boom", err)
	}
	if got := readFile(t, path); got != "old" {
		t.Errorf("content = %q", got)
	}
}
