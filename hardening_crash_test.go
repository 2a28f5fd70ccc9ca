//go:build linux

package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cargo-auth/cargo-auth/internal/leakguard"
)

// Crash safety: cargo-auth killed (SIGKILL) at any moment of a write leaves
// every file whole, either as it was or as the command would have left it,
// and the next run picks up from there. Each test drives a cycle of two
// commands that undo each other, kills most runs at random moments or just
// after a write started, and checks the files after every kill. The
// configuration is large (crashConfigSize) so that its write takes long
// enough to be interrupted; every kind of write must be interrupted at
// least crashMinMidWrite times, which the test proves by counting the
// temporary files killed writers left behind.

const (
	crashConfigSize  = 512 << 10
	crashMinMidWrite = 3
	crashMinRuns     = 24
	crashMaxRuns     = 240
)

// TestCrashDuringLoginAndLogoutLeavesWholeFiles kills `cargo auth login
// --no-verify` (which stores the token in the file backend, then edits
// $CARGO_HOME/config.toml) and `cargo auth logout --unconfigure` (which
// removes it and undoes the edit). The configuration is private and holds
// another registry's plaintext token, as a hand-written one may: no copy of
// it may ever be readable by others, not even a killed writer's temporary
// file.
func TestCrashDuringLoginAndLogoutLeavesWholeFiles(t *testing.T) {
	e := newHardeningEnv(t)
	const index = "sparse+https://corp.example/index/"
	legacy := e.token()
	initial := bigConfig(crashConfigSize, [][2]string{{"corp", index}},
		fmt.Sprintf("# cargo:token reads this one; the file is private for it\n[registries.legacy]\nindex = \"sparse+https://legacy.example/index/\"\ntoken = %q\n\n", legacy))
	writeTestFile(t, e.configPath(), initial, 0o600)
	e.allow(e.configPath())
	store := e.openFileStore()

	// The two states the cycle moves between: logged in (loggedIn), and
	// logged out again (loggedOut: cargo:token, added by login, stays).
	start := time.Now()
	e.run("", nil, bigLogin(e, "corp")...)
	loginTime := time.Since(start)
	loggedIn := readTestFile(t, e.configPath())
	start = time.Now()
	e.run("", nil, "logout", "corp", "--unconfigure")
	logoutTime := time.Since(start)
	loggedOut := readTestFile(t, e.configPath())
	if bytes.Equal(loggedIn, initial) || bytes.Equal(loggedIn, loggedOut) {
		t.Fatal("login and logout --unconfigure did not edit the configuration: the test proves nothing")
	}
	if got := storedToken(t, store, index); got != "" {
		t.Fatal("logout left the token in the store")
	}

	configTemps := tempKind{name: "config.toml", dir: e.cargoHome(), prefix: ".config.toml.tmp-", inPlace: "config.toml", jitter: time.Millisecond}
	storeTemps := tempKind{name: "keyring item", dir: e.keyringDir(), prefix: "~tmp~", inPlace: "sha256."}
	tally := newCrashTally(configTemps, storeTemps)
	watch := watchCreates(t, e.cargoHome(), e.keyringDir())
	for run := 1; run <= crashMaxRuns && (run <= crashMinRuns || !tally.enough(crashMinMidWrite)); run++ {
		config := readTestFile(t, e.configPath())
		old := storedToken(t, store, index)
		var plan killPlan
		var allowed []string
		var cmd = e.command("", nil, "logout", "corp", "--unconfigure")
		if bytes.Equal(config, loggedOut) {
			args := bigLogin(e, "corp")
			cmd = e.command("", nil, args...)
			plan = randomPlan(loginTime, []tempKind{configTemps, storeTemps, storeTemps})
			allowed = []string{old, e.secrets[len(e.secrets)-1]}
		} else {
			plan = randomPlan(logoutTime, []tempKind{configTemps})
			allowed = []string{old, ""}
		}
		before := tally.snapshot(t)
		killed := runAndKill(t, cmd, plan, watch)
		tally.observe(t, run, killed, before)

		if got := readTestFile(t, e.configPath()); !bytes.Equal(got, loggedIn) && !bytes.Equal(got, loggedOut) {
			t.Fatalf("run %d (%s): config.toml is neither the old nor the new version (%d bytes)", run, cmd.Args[1], len(got))
		}
		if got := storedToken(t, store, index); got != allowed[0] && got != allowed[1] {
			t.Fatalf("run %d (%s): the store holds neither the old credential nor the new one", run, cmd.Args[1])
		}
		assertNoReadableSecret(t, e.home, e.secrets)
		assertWholeFiles(t, run, e.cargoHome(), e.appDir())
	}
	t.Logf("%s", tally)
	if !tally.enough(crashMinMidWrite) {
		t.Fatalf("fewer than %d kills landed mid-write for some file (%s): the test proved too little", crashMinMidWrite, tally)
	}

	// Clean runs afterwards find everything usable and tidy up after the
	// killed ones.
	if bytes.Equal(readTestFile(t, e.configPath()), loggedIn) {
		e.run("", nil, "logout", "corp", "--unconfigure")
	}
	e.run("", nil, bigLogin(e, "corp")...)
	final := e.secrets[len(e.secrets)-1]
	if got := readTestFile(t, e.configPath()); !bytes.Equal(got, loggedIn) {
		t.Fatal("a clean login after the kills did not give the expected configuration")
	}
	if storedToken(t, store, index) != final {
		t.Fatal("a clean login after the kills did not store the token")
	}
	for _, k := range tally.kinds {
		if left := k.temps(t); len(left) > 0 {
			t.Errorf("temporary files of %s left after a clean write: %q", k.name, left)
		}
	}
	if info, err := os.Stat(e.configPath()); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("config.toml mode after the kills: %v, %v; want 0600 kept", info.Mode().Perm(), err)
	}
}

// TestCrashDuringRewriteConfigLeavesWholeFiles kills `cargo auth
// rewrite-config NAME --mode path` (which records the edit in its state
// file, then writes a token-bearing source replacement into
// $CARGO_HOME/config.toml) and `rewrite-config --restore` (which writes the
// original back, then forgets the record). After every kill each file is
// whole, and at the end --restore still gives back the original bytes.
func TestCrashDuringRewriteConfigLeavesWholeFiles(t *testing.T) {
	e := newHardeningEnv(t)
	tok := e.token()
	tokenEnv := []string{"CARGO_REGISTRIES_CORP_TOKEN=" + tok}
	rewrite := []string{"rewrite-config", "corp", "--mode", "path", "--template", "sparse+https://dl.corp.example/{token}/index/", "--no-probe"}
	restore := []string{"rewrite-config", "--restore"}
	original := bigConfig(crashConfigSize, [][2]string{{"corp", "sparse+https://corp.example/index/"}}, "")
	writeTestFile(t, e.configPath(), original, 0o644)
	e.allow(e.configPath())

	start := time.Now()
	e.run("", tokenEnv, rewrite...)
	rewriteTime := time.Since(start)
	rewritten := readTestFile(t, e.configPath())
	if !bytes.Contains(rewritten, []byte(tok)) {
		t.Fatal("rewrite-config did not put the token in the configuration: the test proves nothing")
	}
	state := readTestFile(t, e.statePath())
	start = time.Now()
	e.run("", nil, restore...)
	restoreTime := time.Since(start)
	if got := readTestFile(t, e.configPath()); !bytes.Equal(got, original) {
		t.Fatal("--restore did not give back the original")
	}
	assertNoFile(t, e.statePath())
	want := rewriteRecord{path: e.configPath(), original: sha256Hex(original), written: sha256Hex(rewritten)}
	if err := want.check(state); err != nil {
		t.Fatalf("the state of a clean run: %v", err)
	}

	configTemps := tempKind{name: "config.toml", dir: e.cargoHome(), prefix: ".config.toml.tmp-", inPlace: "config.toml", jitter: time.Millisecond}
	stateTemps := tempKind{name: "rewrite-state.json", dir: e.appDir(), prefix: ".rewrite-state.json.tmp-", inPlace: "rewrite-state.json", jitter: time.Millisecond}
	tally := newCrashTally(configTemps, stateTemps)
	watch := watchCreates(t, e.cargoHome(), e.appDir())
	for run := 1; run <= crashMaxRuns && (run <= crashMinRuns || !tally.enough(crashMinMidWrite)); run++ {
		config := readTestFile(t, e.configPath())
		oldState, _ := os.ReadFile(e.statePath())
		// --restore writes the configuration, then removes the state.
		cmd := e.command("", tokenEnv, restore...)
		plan := randomPlan(restoreTime, []tempKind{configTemps})
		if bytes.Equal(config, original) {
			cmd = e.command("", tokenEnv, rewrite...)
			plan = randomPlan(rewriteTime, []tempKind{configTemps, stateTemps, stateTemps})
		}
		before := tally.snapshot(t)
		killed := runAndKill(t, cmd, plan, watch)
		tally.observe(t, run, killed, before)

		if got := readTestFile(t, e.configPath()); !bytes.Equal(got, original) && !bytes.Equal(got, rewritten) {
			t.Fatalf("run %d (%s): config.toml is neither the old nor the new version (%d bytes)", run, cmd.Args[1:], len(got))
		}
		got, err := os.ReadFile(e.statePath())
		switch {
		case errors.Is(err, fs.ErrNotExist), err == nil && bytes.Equal(got, oldState):
		case err != nil:
			t.Fatal(err)
		default:
			if err := want.check(got); err != nil {
				t.Fatalf("run %d (%s): rewrite-state.json is neither the old nor the new version: %v", run, cmd.Args[1:], err)
			}
		}
		assertNoReadableSecret(t, e.home, e.secrets)
		assertWholeFiles(t, run, e.cargoHome(), e.appDir())
	}
	t.Logf("%s", tally)
	if !tally.enough(crashMinMidWrite) {
		t.Fatalf("fewer than %d kills landed mid-write for some file (%s): the test proved too little", crashMinMidWrite, tally)
	}

	// Whatever the last kill left, a clean rewrite and a clean restore give
	// the original back byte for byte and leave nothing behind.
	if bytes.Equal(readTestFile(t, e.configPath()), rewritten) {
		e.run("", nil, restore...)
	}
	e.run("", tokenEnv, rewrite...)
	if got := readTestFile(t, e.configPath()); !bytes.Equal(got, rewritten) {
		t.Fatal("a clean rewrite after the kills did not give the expected configuration")
	}
	e.run("", nil, restore...)
	if got := readTestFile(t, e.configPath()); !bytes.Equal(got, original) {
		t.Fatal("a clean --restore after the kills did not give back the original bytes")
	}
	assertNoFile(t, e.statePath())
	for _, k := range tally.kinds {
		if left := k.temps(t); len(left) > 0 {
			t.Errorf("temporary files of %s left after clean writes: %q", k.name, left)
		}
	}
}

// bigLogin returns the arguments of a login that stores a fresh token for
// registry with a credential of about 500 kB: its token command (which
// prints the token from a file) carries padding, so that the store's write
// takes long enough to be interrupted.
func bigLogin(e *hardeningEnv, registry string) []string {
	tokenFile := filepath.Join(e.root, fmt.Sprintf("token-%d", len(e.secrets)))
	writeTestFile(e.t, tokenFile, []byte(e.token()+"\n"), 0o600)
	e.allow(tokenFile)
	args := []string{"login", registry, "--no-verify", "--token-command=sh", "--token-command=-c", `--token-command=cat "$0"`, "--token-command=" + tokenFile}
	for i := range 2 {
		args = append(args, fmt.Sprintf("--token-command=pad%d-%s", i, strings.Repeat("p", 120<<10)))
	}
	return args
}

// rewriteRecord is what rewrite-state.json must say after the rewrite:
// one file, its original and what was written.
type rewriteRecord struct {
	path, original, written string
}

func (r rewriteRecord) check(data []byte) error {
	var st struct {
		Version int `json:"version"`
		Files   map[string]struct {
			OriginalSHA256 string `json:"original_sha256"`
			Written        string `json:"written"`
		} `json:"files"`
	}
	if err := json.Unmarshal(data, &st); err != nil {
		return fmt.Errorf("does not parse (%d bytes): %v", len(data), err)
	}
	rec, ok := st.Files[r.path]
	if st.Version != 1 || len(st.Files) != 1 || !ok {
		return fmt.Errorf("version %d, %d files, the configuration recorded: %v", st.Version, len(st.Files), ok)
	}
	if rec.OriginalSHA256 != r.original || rec.Written != r.written {
		return errors.New("the record names other contents than the original and the rewritten configuration")
	}
	return nil
}

// assertWholeFiles checks what no cycle may leave in dirs, whichever files
// the commands write (those the test knows about and any added later): at
// most one temporary file per file (".NAME.tmp-*", removed by the next
// write of NAME), and every JSON file (cargo-auth's records) parses.
func assertWholeFiles(t *testing.T, run int, dirs ...string) {
	t.Helper()
	for _, dir := range dirs {
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		temps := map[string]int{}
		for _, entry := range entries {
			name := entry.Name()
			if target, _, isTemp := strings.Cut(strings.TrimPrefix(name, "."), ".tmp-"); isTemp && strings.HasPrefix(name, ".") {
				if temps[target]++; temps[target] > 1 {
					t.Fatalf("run %d: temporary files of %s pile up in %s", run, target, dir)
				}
				continue
			}
			if strings.HasSuffix(name, ".json") && !json.Valid(readTestFile(t, filepath.Join(dir, name))) {
				t.Fatalf("run %d: %s does not parse: a write was torn", run, name)
			}
		}
	}
}

// assertNoReadableSecret fails when a file under root that group or others
// may read holds a token.
func assertNoReadableSecret(t *testing.T, root string, secrets []string) {
	t.Helper()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil // removed while walking
			}
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		info, err := d.Info()
		if err != nil || info.Mode().Perm()&0o044 == 0 {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return nil
		}
		if what, leak := leakguard.Find(string(data), secrets); leak {
			rel, _ := filepath.Rel(root, path)
			t.Fatalf("%s has mode %04o and holds %s", rel, info.Mode().Perm(), what)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func sha256Hex(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}
