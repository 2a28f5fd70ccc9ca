//go:build linux

package main

import (
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
)

// expectedFile is one file or directory a tour of cargo-auth leaves under
// HOME, with the permission bits it must have. The list is the decision:
// a file cargo-auth starts to create, or a mode that changes, fails
// TestEveryFileCargoAuthCreatesHasItsMode until the list says so.
type expectedFile struct {
	pattern string // slash-separated, relative to HOME; path.Match syntax
	dir     bool
	mode    fs.FileMode
	why     string
}

var expectedFiles = []expectedFile{
	{".cargo", true, 0o755, "CARGO_HOME, made by the test (rustup's mode); cargo-auth leaves it alone"},
	{".cargo/config.toml", false, 0o600, "made 0644 by the test; rewrite-config put a token in it, so it is private now"},
	{".cargo/.config.toml.lock", false, 0o600, "lock of config.toml edits (empty)"},
	{".cargo/credentials.toml", false, 0o600, "made 0644 by the test with a token; import moved the token out and made the file private"},
	{".cargo/.credentials.toml.lock", false, 0o600, "lock of credentials.toml edits (empty)"},
	{".config", true, 0o700, "XDG_CONFIG_HOME, created by cargo-auth for its keyring"},
	{".config/cargo-auth", true, 0o700, "cargo-auth's configuration: the file keyring and rewrite-config's state"},
	{".config/cargo-auth/keyring", true, 0o700, "the file backend's directory"},
	{".config/cargo-auth/keyring/.lock", false, 0o600, "the file backend's lock (empty)"},
	{".config/cargo-auth/keyring/sha256.*", false, 0o600, "one encrypted credential per registry, named by a hash of its index URL"},
	{".config/cargo-auth/rewrite-state.json", false, 0o600, "rewrite-config's record of the files it edited"},
	{".config/cargo-auth/.rewrite-state.json.lock", false, 0o600, "lock of the state (empty)"},
	{".config/cargo-auth/configure-state.json", false, 0o600, "login's record of its edits of cargo's configuration, for logout --unconfigure (no token)"},
	{".config/cargo-auth/.configure-state.json.lock", false, 0o600, "lock of the record (empty)"},
	{".cache", true, 0o700, "XDG_CACHE_HOME, created by cargo-auth for its locks"},
	{".cache/cargo-auth", true, 0o700, "cargo-auth's cache directory"},
	{".cache/cargo-auth/locks", true, 0o700, "token command locks"},
	{".cache/cargo-auth/locks/*.lock", false, 0o600, "one per registry with a token command, named by a hash of its key (empty)"},
}

// TestEveryFileCargoAuthCreatesHasItsMode takes cargo-auth through every
// command that writes (login with the file backend, a token command minting
// again, token, import, rewrite-config, the provider, status, backends,
// logout) under umask 0, so that no mode is saved by a cautious umask, then
// lists every file and directory under HOME (CARGO_HOME and the XDG
// directories are inside it) and checks each against expectedFiles. No file
// that group or others can read may hold a token.
func TestEveryFileCargoAuthCreatesHasItsMode(t *testing.T) {
	defer syscall.Umask(syscall.Umask(0))
	e := newHardeningEnv(t)
	tokens := map[string]string{"a": e.token(), "c": e.token(), "d": e.token()}
	var config strings.Builder
	for _, name := range []string{"a", "b", "c", "d"} {
		fmt.Fprintf(&config, "[registries.%s]\nindex = %q\n\n", name, indexOf(name))
	}
	writeTestFile(t, e.configPath(), []byte(config.String()), 0o644)
	e.allow(e.configPath()) // rewrite-config puts d's token there, by design
	credentialsToml := filepath.Join(e.cargoHome(), "credentials.toml")
	writeTestFile(t, credentialsToml, []byte(fmt.Sprintf("[registries.c]\ntoken = %q\n", tokens["c"])), 0o644)
	mint, minted := writeMintScript(t, e)

	e.run(tokens["a"]+"\n", nil, "login", "a", "--no-verify")
	e.run("", nil, "login", "b", "--no-verify", "--token-command", mint)
	if got := strings.TrimSpace(e.run("", nil, "token", "b")); got != minted {
		t.Fatal("cargo auth token b did not print the token the command minted again")
	}
	e.run("", nil, "import", "c")
	if data := readTestFile(t, credentialsToml); strings.Contains(string(data), tokens["c"]) {
		t.Fatal("import left the token in credentials.toml")
	}
	e.run("", []string{"CARGO_REGISTRIES_D_TOKEN=" + tokens["d"]}, "rewrite-config", "d", "--mode", "path", "--template", "sparse+https://dl.example/{token}/index/", "--no-probe")
	get := `{"v":1,"kind":"get","operation":"read","registry":{"index-url":"` + indexOf("a") + `","name":"a"}}` + "\n"
	if answer := e.run(get, nil, "--cargo-plugin"); !strings.Contains(answer, `"Ok"`) || !strings.Contains(answer, tokens["a"]) {
		t.Fatal("the provider did not answer with a's token")
	}
	e.run("", nil, "status", "--offline")
	e.run("", nil, "backends") // a round trip through every backend that works here
	e.run("", nil, "logout", "a")

	checkTree(t, e.home, expectedFiles)
	assertNoReadableSecret(t, e.home, e.secrets)
}

// writeMintScript writes a token command that mints an already expired
// token the first time (at login) and a fresh one after that, so that the
// next use runs it again, under its lock. It returns the script and the
// fresh token.
func writeMintScript(t *testing.T, e *hardeningEnv) (script, fresh string) {
	t.Helper()
	dir := filepath.Join(e.root, "bin")
	script = filepath.Join(dir, "mint.sh")
	expired, fresh := e.token(), e.token()
	for name, tok := range map[string]string{"expired": expired, "fresh": fresh} {
		writeTestFile(t, filepath.Join(dir, name), []byte(tok+"\n"), 0o600)
		e.allow(filepath.Join(dir, name))
	}
	writeTestFile(t, script, []byte(`#!/bin/sh
dir=$(dirname "$0")
if [ -e "$dir/minted" ]; then
	printf '{"token":"%s","expires_in":3600}\n' "$(cat "$dir/fresh")"
else
	: >"$dir/minted"
	printf '{"token":"%s","expires_at":1000}\n' "$(cat "$dir/expired")"
fi
`), 0o700)
	return script, fresh
}

// checkTree lists every file and directory under root and checks it
// against want: each must match one pattern and have its mode, and each
// pattern must match something.
func checkTree(t *testing.T, root string, want []expectedFile) {
	t.Helper()
	used := make([]bool, len(want))
	var problems []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == root {
			return nil
		}
		rel := filepath.ToSlash(strings.TrimPrefix(p, root+string(filepath.Separator)))
		info, err := d.Info()
		if err != nil {
			return err
		}
		i := slices.IndexFunc(want, func(w expectedFile) bool {
			ok, _ := path.Match(w.pattern, rel)
			return ok
		})
		switch {
		case i < 0:
			problems = append(problems, fmt.Sprintf("%s (%s %04o): not in the list; decide its mode and add it to expectedFiles", rel, kindOf(d.IsDir()), info.Mode().Perm()))
		case want[i].dir != d.IsDir():
			problems = append(problems, fmt.Sprintf("%s is a %s, want a %s", rel, kindOf(d.IsDir()), kindOf(want[i].dir)))
		case info.Mode().Perm() != want[i].mode:
			problems = append(problems, fmt.Sprintf("%s has mode %04o, want %04o (%s)", rel, info.Mode().Perm(), want[i].mode, want[i].why))
		}
		if i >= 0 {
			used[i] = true
		}
		if !d.IsDir() && !info.Mode().IsRegular() {
			problems = append(problems, fmt.Sprintf("%s is neither a file nor a directory (%v)", rel, info.Mode()))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, w := range want {
		if !used[i] {
			problems = append(problems, fmt.Sprintf("%s: expected (%s) but not created; update expectedFiles", w.pattern, w.why))
		}
	}
	if len(problems) > 0 {
		t.Fatalf("files under HOME after the tour:\n%s", strings.Join(problems, "\n"))
	}
}

func kindOf(dir bool) string {
	if dir {
		return "directory"
	}
	return "file"
}
