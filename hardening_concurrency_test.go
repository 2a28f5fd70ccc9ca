//go:build linux

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cargo-auth/cargo-auth/credentials"
	"github.com/cargo-auth/cargo-auth/internal/leakguard"
	"github.com/pelletier/go-toml/v2"
)

// Concurrency: a dozen cargo-auth processes writing the same config.toml,
// the same store and the same rewrite-config state at once lose no entry.
// Every process of a round is started first and blocks reading its token on
// stdin; the tokens are then written to all of them, so that they run their
// read-modify-write cycles at the same time. Each round's result is compared
// with the same commands run one after the other.

const concurrentProcesses = 12

// concurrentRegistries are the registries of the concurrency tests; each has
// its own credential-provider, which login --replace-provider removes, so
// that every login makes its own edit of config.toml.
func concurrentRegistries() (names []string, config []byte) {
	var regs [][2]string
	for i := range concurrentProcesses {
		name := fmt.Sprintf("reg%d", i)
		names = append(names, name)
		regs = append(regs, [2]string{name, fmt.Sprintf("sparse+https://%s.example/index/", name)})
	}
	config = bigConfig(0, regs, "")
	// Give every registry its own provider, after its index line.
	for _, name := range names {
		line := fmt.Sprintf("index = %q # where it lives\n", "sparse+https://"+name+".example/index/")
		config = bytes.Replace(config, []byte(line), []byte(line+"credential-provider = \"cargo:token\" # its own, until login\n"), 1)
	}
	return names, config
}

func indexOf(name string) string { return "sparse+https://" + name + ".example/index/" }

// concurrentRun is one process of a round: its arguments, and the line
// written to its stdin once every process of the round has started.
type concurrentRun struct {
	args  []string
	stdin string
}

// runConcurrently starts every run, then feeds their stdin, and waits for
// all of them; each must succeed.
func (e *hardeningEnv) runConcurrently(extraEnv []string, runs []concurrentRun) {
	e.t.Helper()
	type proc struct {
		cmd            *exec.Cmd
		stdin          io.WriteCloser
		stdout, stderr bytes.Buffer
	}
	procs := make([]*proc, len(runs))
	for i, r := range runs {
		p := &proc{cmd: e.command("", extraEnv, r.args...)}
		p.cmd.Stdin = nil
		var err error
		if p.stdin, err = p.cmd.StdinPipe(); err != nil {
			e.t.Fatal(err)
		}
		p.cmd.Stdout, p.cmd.Stderr = &p.stdout, &p.stderr
		if err := p.cmd.Start(); err != nil {
			e.t.Fatal(err)
		}
		procs[i] = p
	}
	for i, p := range procs {
		io.WriteString(p.stdin, runs[i].stdin)
		p.stdin.Close()
	}
	var failed []string
	for _, p := range procs {
		err := p.cmd.Wait()
		if what, leak := leakguard.Find(p.stdout.String()+p.stderr.String(), e.secrets); leak {
			e.t.Errorf("cargo-auth %s printed %s", strings.Join(p.cmd.Args[1:3], " "), what)
		}
		if err != nil {
			failed = append(failed, fmt.Sprintf("cargo-auth %s: %v\n%s%s", strings.Join(p.cmd.Args[1:], " "), err, p.stdout.String(), p.stderr.String()))
		}
	}
	if len(failed) > 0 {
		e.t.Fatalf("%d of %d concurrent runs failed:\n%s", len(failed), len(runs), strings.Join(failed, "\n"))
	}
}

// runSequentially runs the same commands one after the other: the result
// the concurrent round must match.
func (e *hardeningEnv) runSequentially(extraEnv []string, runs []concurrentRun) {
	e.t.Helper()
	for _, r := range runs {
		e.run(r.stdin, extraEnv, r.args...)
	}
}

func TestConcurrentLoginsAndLogoutsLoseNoEntry(t *testing.T) {
	t.Run("file", func(t *testing.T) {
		testConcurrentLoginsAndLogouts(t, nil, func(e *hardeningEnv) credentials.Store { return e.openFileStore() })
	})
	t.Run("keyctl", func(t *testing.T) {
		testConcurrentLoginsAndLogouts(t, []string{"CARGO_AUTH_BACKEND=keyctl"}, func(e *hardeningEnv) credentials.Store {
			requireKeyctl(t, e)
			store, err := credentials.Open(context.Background(), credentials.Options{Backend: credentials.BackendKeyctl, ServiceName: e.service, Timeout: 30 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			return store
		})
	})
}

// testConcurrentLoginsAndLogouts logs in to twelve registries at once, logs
// out of half of them at once, then of the other half at once with
// --unconfigure, checking the store and config.toml after each round.
func testConcurrentLoginsAndLogouts(t *testing.T, backendEnv []string, openStore func(*hardeningEnv) credentials.Store) {
	names, config := concurrentRegistries()
	e, ref := newHardeningEnv(t), newHardeningEnv(t)
	for _, env := range []*hardeningEnv{e, ref} {
		writeTestFile(t, env.configPath(), config, 0o644)
	}
	store := openStore(e)
	tokens := map[string]string{}
	var logins, logoutsFirst, logoutsRest []concurrentRun
	for i, name := range names {
		tokens[name] = e.token()
		logins = append(logins, concurrentRun{args: []string{"login", name, "--no-verify", "--replace-provider"}, stdin: tokens[name] + "\n"})
		if i < len(names)/2 {
			logoutsFirst = append(logoutsFirst, concurrentRun{args: []string{"logout", name}})
		} else {
			logoutsRest = append(logoutsRest, concurrentRun{args: []string{"logout", name, "--unconfigure"}})
		}
	}
	ref.secrets = e.secrets

	round := func(what string, runs []concurrentRun, wantStored func(name string) string) {
		t.Helper()
		e.runConcurrently(backendEnv, runs)
		ref.runSequentially(nil, runs)
		if got, want := readTestFile(t, e.configPath()), readTestFile(t, ref.configPath()); !bytes.Equal(got, want) {
			t.Fatalf("%s: config.toml after %d concurrent runs differs from the same runs one by one:\n--- concurrent\n%s\n--- one by one\n%s", what, len(runs), got, want)
		}
		var missing []string
		for _, name := range names {
			if got := storedToken(t, store, indexOf(name)); got != wantStored(name) {
				missing = append(missing, name)
			}
		}
		if len(missing) > 0 {
			t.Fatalf("%s: the store is wrong for %v (a concurrent write was lost or undone)", what, missing)
		}
		listed, err := store.List(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		var want []string
		for _, name := range names {
			if wantStored(name) != "" {
				want = append(want, indexOf(name))
			}
		}
		slices.Sort(want)
		if !slices.Equal(listed, want) {
			t.Fatalf("%s: the store lists %q, want %q", what, listed, want)
		}
	}

	round("login", logins, func(name string) string { return tokens[name] })
	chain := providersOf(t, readTestFile(t, e.configPath()))
	if !slices.Equal(chain, []string{"cargo:token", "cargo-auth"}) {
		t.Fatalf("global-credential-providers = %q after the logins, want cargo:token then cargo-auth once", chain)
	}
	if n := bytes.Count(readTestFile(t, e.configPath()), []byte("credential-provider = \"cargo:token\"")); n != 0 {
		t.Fatalf("%d registries kept their own credential-provider: a concurrent edit was lost", n)
	}

	loggedOut := func(name string) bool { return slices.Index(names, name) < len(names)/2 }
	round("logout", logoutsFirst, func(name string) string {
		if loggedOut(name) {
			return ""
		}
		return tokens[name]
	})
	round("logout --unconfigure", logoutsRest, func(string) string { return "" })
	if chain := providersOf(t, readTestFile(t, e.configPath())); slices.Contains(chain, "cargo-auth") {
		t.Fatalf("global-credential-providers = %q: cargo-auth stayed after every token was removed", chain)
	}
}

// providersOf reads registry.global-credential-providers of a config file,
// which must parse.
func providersOf(t *testing.T, config []byte) []string {
	t.Helper()
	var doc struct {
		Registry struct {
			Providers []string `toml:"global-credential-providers"`
		} `toml:"registry"`
	}
	if err := toml.Unmarshal(config, &doc); err != nil {
		t.Fatalf("config.toml does not parse: %v", err)
	}
	return doc.Registry.Providers
}

// requireKeyctl fails the test on CI, and skips it elsewhere, when keyctl
// does not work here.
func requireKeyctl(t *testing.T, e *hardeningEnv) {
	t.Helper()
	store, err := credentials.Open(context.Background(), credentials.Options{Backend: credentials.BackendKeyctl, ServiceName: e.service, Timeout: 10 * time.Second})
	if err == nil {
		_, err = store.List(context.Background())
	}
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("keyctl does not work here: %v", err)
		}
		t.Skipf("keyctl does not work here: %v", err)
	}
}

func TestConcurrentRewriteConfigsLoseNoEntry(t *testing.T) {
	names, config := concurrentRegistries()
	e := newHardeningEnv(t)
	writeTestFile(t, e.configPath(), config, 0o644)
	e.allow(e.configPath())
	tokens := map[string]string{}
	var rewrites, restoresFirst []concurrentRun
	for i, name := range names {
		tokens[name] = e.token()
		rewrites = append(rewrites, concurrentRun{
			args:  []string{"rewrite-config", name, "--mode", "path", "--template", "sparse+https://dl.example/" + name + "/{token}/index/", "--no-probe", "--token-stdin"},
			stdin: tokens[name] + "\n",
		})
		if i < len(names)/2 {
			restoresFirst = append(restoresFirst, concurrentRun{args: []string{"rewrite-config", "--restore", name}})
		}
	}

	e.runConcurrently(nil, rewrites)
	checkReplacements(t, e, names, func(string) bool { return true }, tokens)

	restored := func(name string) bool { return slices.Index(names, name) < len(names)/2 }
	e.runConcurrently(nil, restoresFirst)
	checkReplacements(t, e, names, func(name string) bool { return !restored(name) }, tokens)

	e.run("", nil, "rewrite-config", "--restore")
	if got := readTestFile(t, e.configPath()); !bytes.Equal(got, config) {
		t.Fatalf("--restore after the concurrent runs did not give back the original bytes:\n%s", got)
	}
	assertNoFile(t, e.statePath())
}

// checkReplacements checks that config.toml has the source replacement of
// exactly the registries that want one, with their own token, that the
// registries are all still there, and that rewrite-config's state records
// the same registries.
func checkReplacements(t *testing.T, e *hardeningEnv, names []string, want func(string) bool, tokens map[string]string) {
	t.Helper()
	var doc struct {
		Registries map[string]struct {
			Index string `toml:"index"`
		} `toml:"registries"`
		Source map[string]struct {
			Registry    string `toml:"registry"`
			ReplaceWith string `toml:"replace-with"`
		} `toml:"source"`
	}
	config := readTestFile(t, e.configPath())
	if err := toml.Unmarshal(config, &doc); err != nil {
		t.Fatalf("config.toml does not parse: %v", err)
	}
	var wrong []string
	for _, name := range names {
		if doc.Registries[name].Index != indexOf(name) {
			wrong = append(wrong, name+" (its registry is gone)")
		}
		src, authed := doc.Source[name], doc.Source[name+"-authed"]
		has := src.ReplaceWith == name+"-authed" && src.Registry == indexOf(name) &&
			authed.Registry == "sparse+https://dl.example/"+name+"/"+tokens[name]+"/index/"
		if has != want(name) {
			wrong = append(wrong, fmt.Sprintf("%s (replacement present: %v, want %v)", name, has, want(name)))
		}
	}
	var wantSources int
	for _, name := range names {
		if want(name) {
			wantSources += 2
		}
	}
	if len(doc.Source) != wantSources {
		wrong = append(wrong, fmt.Sprintf("%d [source] tables, want %d", len(doc.Source), wantSources))
	}
	var st struct {
		Files map[string]struct {
			Entries []struct {
				Registry string `json:"registry"`
			} `json:"entries"`
		} `json:"files"`
	}
	if err := json.Unmarshal(readTestFile(t, e.statePath()), &st); err != nil {
		t.Fatalf("rewrite-state.json does not parse: %v", err)
	}
	recorded := map[string]bool{}
	for _, f := range st.Files {
		for _, entry := range f.Entries {
			recorded[entry.Registry] = true
		}
	}
	for _, name := range names {
		if recorded[name] != want(name) {
			wrong = append(wrong, fmt.Sprintf("%s (recorded in the state: %v, want %v)", name, recorded[name], want(name)))
		}
	}
	if len(wrong) > 0 {
		t.Fatalf("after concurrent rewrite-config runs:\n%s", strings.Join(wrong, "\n"))
	}
}
