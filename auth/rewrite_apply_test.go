package auth

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cargo-auth/cargo-auth/credentials"
	"github.com/cargo-auth/cargo-auth/internal/atomicfile"
)

// rewriteTestEnv is a home directory, an in-memory store and a rewriteEnv
// over them.
func newRewriteTestEnv(t *testing.T) (*rewriteEnv, *credentials.MemoryStore) {
	t.Helper()
	home := t.TempDir()
	store := credentials.NewMemoryStore()
	var stdout, stderr bytes.Buffer
	f := &Factory{
		Stdout: &stdout,
		Stderr: &stderr,
		Environ: func() []string {
			return []string{"HOME=" + home, "XDG_CONFIG_HOME=" + filepath.Join(home, ".config"), "NO_COLOR=1"}
		},
		Getwd: func() (string, error) { return home, nil },
		Now:   time.Now,
		Store: func(context.Context, string) (credentials.Store, error) { return store, nil },

		StdoutIsTerminal: func() bool { return false },
	}
	opts := &rewriteConfigOptions{Factory: f}
	cfg, err := f.CargoConfig(nil)
	if err != nil {
		t.Fatal(err)
	}
	statePath, err := rewriteStatePath(f)
	if err != nil {
		t.Fatal(err)
	}
	return &rewriteEnv{f: f, opts: opts, cfg: cfg, statePath: statePath, tokens: newTokenFinder(f, opts), ui: newUI(f)}, store
}

func pathPlan(token string) *rewritePlan {
	return &rewritePlan{Registry: "corp", Mode: modePath, CleanURL: "sparse+https://corp.example/index/",
		Token: credentials.NewToken(token, credentials.SchemeRaw), TokenURL: "sparse+https://dl.example/" + token + "/index/"}
}

func writeModeFile(t *testing.T, path, content string, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

func readString(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// TestRewriteRoundTripByteForByte: CRLF line endings, a missing final
// newline and comments survive a rewrite, a second run changes nothing,
// and --restore gives every byte and the mode back.
func TestRewriteRoundTripByteForByte(t *testing.T) {
	env, _ := newRewriteTestEnv(t)
	target := filepath.Join(env.cfg.CargoHome(), "config.toml")
	original := "# keep me\r\n[net]\r\nretry = 3 # and me\r\n\r\n[source.other]\r\nregistry = 'https://other.example/x'"
	writeModeFile(t, target, original, 0o644)

	res, err := writePlans(context.Background(), env, target, []*rewritePlan{pathPlan("Kx9fT2mQ7vLp4sZa")})
	if err != nil || !res.Changed {
		t.Fatalf("writePlans = %+v, %v", res, err)
	}
	got := readString(t, target)
	for _, want := range []string{"# keep me\r\n", "retry = 3 # and me\r\n", "[source.corp-authed]\r\n", "Kx9fT2mQ7vLp4sZa"} {
		if !strings.Contains(got, want) {
			t.Errorf("rewritten file lacks %q:\n%s", want, got)
		}
	}
	if info, _ := os.Stat(target); info.Mode().Perm() != 0o600 {
		t.Errorf("mode %o, want 0600", info.Mode().Perm())
	}
	state := readString(t, env.statePath)
	if strings.Contains(state, "Kx9fT2mQ7vLp4sZa") {
		t.Errorf("the state holds the token:\n%s", state)
	}
	if info, _ := os.Stat(env.statePath); info.Mode().Perm() != 0o600 {
		t.Errorf("state mode %o, want 0600", info.Mode().Perm())
	}

	again, err := writePlans(context.Background(), env, target, []*rewritePlan{pathPlan("Kx9fT2mQ7vLp4sZa")})
	if err != nil || again.Changed {
		t.Errorf("second run changed the file: %+v, %v", again, err)
	}

	r, err := restoreFile(context.Background(), env, mustResolve(t, target))
	if err != nil || r.Action != "restored" {
		t.Fatalf("restore = %+v, %v", r, err)
	}
	if got := readString(t, target); got != original {
		t.Errorf("restored:\n%q\nwant:\n%q", got, original)
	}
	if info, _ := os.Stat(target); info.Mode().Perm() != 0o644 {
		t.Errorf("restored mode %o, want 0644", info.Mode().Perm())
	}
	if _, err := os.Stat(env.statePath); !os.IsNotExist(err) {
		t.Errorf("the state file stays after everything was restored: %v", err)
	}
}

// TestRewriteRotationKeepsOtherRegistries: a run for one registry keeps
// what an earlier run did for another, and a rotated token replaces the
// old one without a trace of it.
func TestRewriteRotationKeepsOtherRegistries(t *testing.T) {
	env, _ := newRewriteTestEnv(t)
	target := filepath.Join(env.cfg.CargoHome(), "config.toml")
	other := pathPlan("Other0Token1Value2")
	other.Registry, other.CleanURL, other.TokenURL = "other", "sparse+https://other.example/index/", "sparse+https://dl.example/Other0Token1Value2/other/"
	if _, err := writePlans(context.Background(), env, target, []*rewritePlan{other}); err != nil {
		t.Fatal(err)
	}
	for _, tok := range []string{"First1Token2Value3", "Second1Token2Value"} {
		if _, err := writePlans(context.Background(), env, target, []*rewritePlan{pathPlan(tok)}); err != nil {
			t.Fatal(err)
		}
	}
	got := readString(t, target)
	if strings.Contains(got, "First1Token2Value3") || !strings.Contains(got, "Second1Token2Value") || !strings.Contains(got, "Other0Token1Value2") {
		t.Errorf("after rotation:\n%s", got)
	}
	if strings.Count(got, "[source.corp-authed]") != 1 {
		t.Errorf("the replacement is there more than once:\n%s", got)
	}
}

// TestRewriteKeepsChangesMadeSince: a file edited after rewrite-config
// wrote it becomes the new original (the edit stays through later runs),
// --restore refuses it, and --restore --force undoes only the entries.
func TestRewriteKeepsChangesMadeSince(t *testing.T) {
	env, _ := newRewriteTestEnv(t)
	target := filepath.Join(env.cfg.CargoHome(), "config.toml")
	writeModeFile(t, target, "[net]\nretry = 3\n", 0o600)
	if _, err := writePlans(context.Background(), env, target, []*rewritePlan{pathPlan("First1Token2Value3")}); err != nil {
		t.Fatal(err)
	}
	edited := readString(t, target) + "\n[build]\njobs = 2\n"
	writeModeFile(t, target, edited, 0o600)
	res, err := writePlans(context.Background(), env, target, []*rewritePlan{pathPlan("Second1Token2Value")})
	if err != nil || !res.Rebased {
		t.Fatalf("writePlans = %+v, %v", res, err)
	}
	if got := readString(t, target); !strings.Contains(got, "jobs = 2") || strings.Contains(got, "First1Token2Value3") {
		t.Errorf("after a rebase:\n%s", got)
	}
	writeModeFile(t, target, readString(t, target)+"\n[alias]\nb = \"build\"\n", 0o600)
	if _, err := restoreFile(context.Background(), env, mustResolve(t, target)); err == nil || !strings.Contains(err.Error(), "changed since") {
		t.Fatalf("restore of a changed file: %v", err)
	}
	env.opts.Force = true
	r, err := restoreFile(context.Background(), env, mustResolve(t, target))
	if err != nil || r.Action != "undone" {
		t.Fatalf("restore --force = %+v, %v", r, err)
	}
	want := "[net]\nretry = 3\n\n[build]\njobs = 2\n\n[alias]\nb = \"build\"\n"
	if got := readString(t, target); got != want {
		t.Errorf("after restore --force:\n%q\nwant:\n%q", got, want)
	}
}

// TestRewriteWaitsForTheLock: a second writer waits for the first, and
// gives up with a clear error, leaving the file as it was.
func TestRewriteWaitsForTheLock(t *testing.T) {
	env, _ := newRewriteTestEnv(t)
	target := filepath.Join(env.cfg.CargoHome(), "config.toml")
	writeModeFile(t, target, "[net]\nretry = 3\n", 0o600)
	unlock, err := atomicfile.Lock(context.Background(), target)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err = writePlans(ctx, env, target, []*rewritePlan{pathPlan("First1Token2Value3")})
	if err == nil || !strings.Contains(err.Error(), "another cargo-auth is editing") {
		t.Errorf("err = %v", err)
	}
	if got := readString(t, target); got != "[net]\nretry = 3\n" {
		t.Errorf("the file changed: %q", got)
	}
}

// TestMarkTokensRoundTrip: a token moved into the store leaves markers in
// the state, in every spelling, and comes back from the store.
func TestMarkTokensRoundTrip(t *testing.T) {
	env, store := newRewriteTestEnv(t)
	secret := "p@ss/w0rd-Token"
	if err := store.Set(context.Background(), credentials.Credential{IndexURL: "sparse+https://corp.example/index/",
		Token: credentials.NewToken(secret, credentials.SchemeRaw)}); err != nil {
		t.Fatal(err)
	}
	original := []byte("index = \"https://u:" + escapeToken(secret) + "@h/x\" # " + secret + "\n")
	marked, markers := markTokens(original, []movedToken{{Secret: secret, IndexURL: "sparse+https://corp.example/index/"}}, nil)
	if bytes.Contains(marked, []byte("w0rd")) || len(markers) != 2 {
		t.Fatalf("marked = %q, markers = %v", marked, markers)
	}
	back, _, err := unmarkTokens(context.Background(), env, marked, markers)
	if err != nil || !bytes.Equal(back, original) {
		t.Errorf("unmarked = %q, %v; want %q", back, err, original)
	}
}

func TestMaskedDiff(t *testing.T) {
	old := []byte("a\nb\nc\n")
	new := []byte("a\nB\nc\nregistry = \"https://dl.example/Secret0Value1/x\"\n")
	got := maskedDiff("f.toml", old, new, []string{"Secret0Value1"})
	want := "--- f.toml\n+++ f.toml\n@@ -2 +2 @@\n-b\n+B\n@@ -3,0 +4 @@\n+registry = \"https://dl.example/***/x\"\n"
	if got != want {
		t.Errorf("maskedDiff:\n%s\nwant:\n%s", got, want)
	}
	if got := maskedDiff("f", nil, []byte("x\n"), nil); !strings.Contains(got, "@@ -0,0 +1 @@\n+x\n") {
		t.Errorf("new file diff:\n%s", got)
	}
}

func TestReplaceWholeURL(t *testing.T) {
	in := `source = "registry+https://h/T/i.git"
dep = "x 0.1.0 (registry+https://h/T/i.git)"
other = "registry+https://h/T/i.git2"
`
	want := `source = "registry+https://h/i.git"
dep = "x 0.1.0 (registry+https://h/i.git)"
other = "registry+https://h/T/i.git2"
`
	if got := string(replaceWholeURL([]byte(in), "registry+https://h/T/i.git", "registry+https://h/i.git")); got != want {
		t.Errorf("replaceWholeURL:\n%s\nwant:\n%s", got, want)
	}
}

func TestLoadRewriteSettings(t *testing.T) {
	home := t.TempDir()
	project := filepath.Join(home, "src", "app")
	cargoHome := filepath.Join(home, ".cargo")
	writeModeFile(t, filepath.Join(cargoHome, rewriteSettingsFile), "[rewrite.corp]\nmode = \"native\"\n[rewrite.home-only]\nmode = \"native\"\n", 0o600)
	writeModeFile(t, filepath.Join(home, "src", ".cargo", rewriteSettingsFile), "[rewrite.corp]\nmode = \"path\"\ntemplate = \"https://dl.example/{token}/x.git\"\n", 0o600)
	got, err := loadRewriteSettings(project, cargoHome, home)
	if err != nil {
		t.Fatal(err)
	}
	if got["corp"].Mode != modePath || got["corp"].Template == "" || got["home-only"].Mode != modeNative {
		t.Errorf("settings = %+v", got)
	}
	if got["corp"].Origin != "~/src/.cargo/cargo-auth.toml:3" {
		t.Errorf("origin = %q", got["corp"].Origin)
	}
	writeModeFile(t, filepath.Join(project, ".cargo", rewriteSettingsFile), "[rewrite.corp]\nmode = 1\n", 0o600)
	if _, err := loadRewriteSettings(project, cargoHome, home); err == nil || !strings.Contains(err.Error(), "cargo-auth.toml:2: [rewrite.corp] mode must be a string") {
		t.Errorf("err = %v", err)
	}
}

func mustResolve(t *testing.T, path string) string {
	t.Helper()
	p, err := atomicfile.Resolve(path)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestMigratedTokenNeverInState: after --migrate moved a token out of the
// target file itself, later runs keep it out of the state (a marker stands
// for it), and --restore still gives the original back from the store.
func TestMigratedTokenNeverInState(t *testing.T) {
	env, store := newRewriteTestEnv(t)
	target := filepath.Join(env.cfg.CargoHome(), "config.toml")
	original := "[registries.corp]\nindex = \"sparse+https://dl.example/Kx9fT2mQ7vLp4sZaQ1w2/index/\" # pasted\n"
	writeModeFile(t, target, original, 0o644)
	cfg, err := env.f.CargoConfig(nil)
	if err != nil {
		t.Fatal(err)
	}
	env.cfg, env.opts.NoProbe, env.opts.Mode = cfg, true, modePath
	if err := rewriteMigrate(context.Background(), env); err != nil {
		t.Fatal(err)
	}
	if cred, err := store.Get(context.Background(), "sparse+https://dl.example/index/"); err != nil || cred.Token.Reveal() != "Kx9fT2mQ7vLp4sZaQ1w2" {
		t.Fatalf("store: %v", err)
	}
	if got := readString(t, target); !strings.Contains(got, "index = \"sparse+https://dl.example/index/\" # pasted") {
		t.Errorf("after migrate:\n%s", got)
	}
	rotated := pathPlan("Rotated1Token2Value")
	rotated.CleanURL = "sparse+https://dl.example/index/"
	if _, err := writePlans(context.Background(), env, target, []*rewritePlan{rotated}); err != nil {
		t.Fatal(err)
	}
	if state := readString(t, env.statePath); strings.Contains(state, "Kx9fT2mQ7vLp4sZaQ1w2") {
		t.Errorf("the state holds the migrated token:\n%s", state)
	}
	if got := readString(t, target); !strings.Contains(got, "index = \"sparse+https://dl.example/index/\"") || strings.Contains(got, "Kx9fT2mQ7vLp4sZaQ1w2") {
		t.Errorf("a later run brought the token back:\n%s", got)
	}
	if _, err := restoreFile(context.Background(), env, mustResolve(t, target)); err != nil {
		t.Fatal(err)
	}
	if got := readString(t, target); got != original {
		t.Errorf("restored:\n%q\nwant:\n%q", got, original)
	}
}

// TestUndoLeavesValuesChangedSince: a key rewrite-config set and someone
// (cargo auth login, an editor) changed since is theirs: undoing keeps it.
func TestUndoLeavesValuesChangedSince(t *testing.T) {
	env, _ := newRewriteTestEnv(t)
	target := filepath.Join(env.cfg.CargoHome(), "config.toml")
	writeModeFile(t, target, "[net]\nretry = 3\n", 0o600)
	native := &rewritePlan{Registry: "corp", Mode: modeNative, CleanURL: "sparse+https://corp.example/index/"}
	if _, err := writePlans(context.Background(), env, target, []*rewritePlan{native, pathPlan("First1Token2Value3")}); err != nil {
		t.Fatal(err)
	}
	changed := strings.Replace(readString(t, target), `"cargo-auth"]`, `"cargo-auth --backend file"]`, 1)
	writeModeFile(t, target, changed, 0o600)
	env.opts.Force = true
	if _, err := restoreFile(context.Background(), env, mustResolve(t, target)); err != nil {
		t.Fatal(err)
	}
	want := "[net]\nretry = 3\n\n[registry]\nglobal-credential-providers = [\"cargo:token\", \"cargo-auth --backend file\"]\n"
	if got := readString(t, target); got != want {
		t.Errorf("after restore --force:\n%q\nwant:\n%q", got, want)
	}
}
