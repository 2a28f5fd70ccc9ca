package cargoconfig

// Pins: single facts about cargo 1.95 that the cargo book or
// shared/cargo-facts.md state differently (or not at all), each checked
// against the real cargo and against this package.

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// pinCargo runs cargo in root/cwd with HOME root/home and the given extra
// environment, returning its combined output.
func pinCargo(t *testing.T, cargo, root, cwd string, env []string, args ...string) (string, bool) {
	t.Helper()
	rustupHome := rustupHomeDir()
	cmd := exec.Command(cargo, args...)
	cmd.Dir = filepath.Join(root, cwd)
	if err := os.MkdirAll(cmd.Dir, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "RUSTUP_HOME=" + rustupHome, "HOME=" + filepath.Join(root, "home"),
		"CARGO_TERM_COLOR=never", "RUSTC_BOOTSTRAP=1", "CARGOCONFIG_PROVIDER_LOG=" + filepath.Join(root, "provider.log")}, env...)
	out, err := cmd.CombinedOutput()
	return strings.ReplaceAll(string(out), root, "@ROOT@"), err == nil
}

func pinTree(t *testing.T, files map[string]string) string {
	t.Helper()
	root := writeFiles(t, files)
	if err := writeProviders(filepath.Join(root, "bin")); err != nil {
		t.Fatal(err)
	}
	return root
}

// cargo-facts.md says a relative provider path "resolves against the config
// file's directory". Cargo (and the book's "Config-relative paths") joins it
// to the directory above `.cargo`, without cleaning the path.
func TestPinRelativeProviderPath(t *testing.T) {
	cargo := requireCargo(t)
	root := pinTree(t, map[string]string{
		"w/.cargo/config.toml": "[registries.corp]\nindex = \"https://corp.example/index\"\ncredential-provider = \"../bin/p1 arg\"\n",
	})
	out, ok := pinCargo(t, cargo, root, "w/sub", nil, "logout", "-v", "--registry", "corp")
	if !ok || !strings.Contains(out, "Credential @ROOT@/w/../bin/p1 arg logout corp") {
		t.Fatalf("cargo said (ok=%v):\n%s", ok, out)
	}
	c := mustLoad(t, root, "w/sub", nil)
	p, err := c.Providers("corp", false)
	if err != nil || strings.ReplaceAll(argvs(p), root, "@ROOT@") != "@ROOT@/w/../bin/p1 arg" {
		t.Errorf("model: %s, %v", argvs(p), err)
	}
}

// The brief and cargo-facts.md put CARGO_REGISTRY_GLOBAL_CREDENTIAL_PROVIDERS
// "after the file list so tried first". --config entries come after the
// variable's words, so cargo tries them before the variable's.
func TestPinGlobalProvidersOrder(t *testing.T) {
	cargo := requireCargo(t)
	root := pinTree(t, map[string]string{
		"home/.cargo/config.toml": "[registry]\nglobal-credential-providers = [\"@ROOT@/bin/p0 home\"]\n",
		"w/.cargo/config.toml":    "[registries.corp]\nindex = \"https://corp.example/index\"\n[registry]\nglobal-credential-providers = [\"@ROOT@/bin/p1 w\"]\n",
	})
	env := []string{"CARGO_REGISTRY_GLOBAL_CREDENTIAL_PROVIDERS=@ROOT@/bin/p2 @ROOT@/bin/p3"}
	for i := range env {
		env[i] = strings.ReplaceAll(env[i], "@ROOT@", root)
	}
	cli := `registry.global-credential-providers=["` + root + `/bin/p4 cli"]`
	out, ok := pinCargo(t, cargo, root, "w", env, "--config", cli, "logout", "-v", "--registry", "corp")
	var chain []string
	for _, m := range reCredential.FindAllStringSubmatch(out, -1) {
		chain = append(chain, m[1])
	}
	want := "@ROOT@/bin/p4 cli | @ROOT@/bin/p3 | @ROOT@/bin/p2 | @ROOT@/bin/p1 w | @ROOT@/bin/p0 home"
	if !ok || strings.Join(chain, " | ") != want {
		t.Fatalf("cargo chain %q (ok=%v), want %q\n%s", chain, ok, want, out)
	}
	c := mustLoad(t, root, "w", append([]string{}, env...), cli)
	p, err := c.Providers("corp", false)
	if err != nil || strings.ReplaceAll(argvs(p), root, "@ROOT@") != want {
		t.Errorf("model: %s, %v", argvs(p), err)
	}
}

// The book shows `include` as a string or an array; cargo 1.95 accepts only
// an array.
func TestPinIncludeMustBeArray(t *testing.T) {
	cargo := requireCargo(t)
	root := pinTree(t, map[string]string{"w/.cargo/config.toml": "include = \"a.toml\"\n", "w/.cargo/a.toml": "\n"})
	out, ok := pinCargo(t, cargo, root, "w", nil, "-Zunstable-options", "config", "get")
	const want = "expected a list of strings or a list of tables, but found string at `include`"
	if ok || !strings.Contains(out, want) {
		t.Fatalf("cargo (ok=%v):\n%s", ok, out)
	}
	if _, err := loadAt(t, root, "w", nil); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("model: %v", err)
	}
}

// Cargo remembers every file loaded for one discovered file, so the same
// file included twice (from two different files) is reported as a cycle.
func TestPinIncludeDiamondIsACycle(t *testing.T) {
	cargo := requireCargo(t)
	root := pinTree(t, map[string]string{
		"w/.cargo/config.toml": "include = [\"a.toml\", \"b.toml\"]\n",
		"w/.cargo/a.toml":      "include = [\"c.toml\"]\n",
		"w/.cargo/b.toml":      "include = [\"c.toml\"]\n",
		"w/.cargo/c.toml":      "\n",
	})
	out, ok := pinCargo(t, cargo, root, "w", nil, "-Zunstable-options", "config", "get")
	const want = "config `include` cycle detected with path `@ROOT@/w/.cargo/c.toml`"
	if ok || !strings.Contains(out, want) {
		t.Fatalf("cargo (ok=%v):\n%s", ok, out)
	}
	if _, err := loadAt(t, root, "w", nil); err == nil || !strings.Contains(strings.ReplaceAll(err.Error(), root, "@ROOT@"), want) {
		t.Errorf("model: %v", err)
	}
}

// Not in the book: CARGO_REGISTRIES_A_B_INDEX names the registry `a_b`, so a
// registry configured as `a-b` gets the credential settings of `a_b`.
func TestPinEnvIndexRenamesRegistry(t *testing.T) {
	cargo := requireCargo(t)
	root := pinTree(t, map[string]string{"w/.cargo/config.toml": `[registries.a-b]
index = "https://ab.example/index"
credential-provider = "@ROOT@/bin/p1"
[registries.a_b]
index = "https://other.example/index"
credential-provider = "@ROOT@/bin/p2"
`})
	env := []string{"CARGO_REGISTRIES_A_B_INDEX=https://ab.example/index"}
	out, ok := pinCargo(t, cargo, root, "w", env, "logout", "-v", "--registry", "a-b")
	if !ok || !strings.Contains(out, "set to `a_b`") || !strings.Contains(out, "Credential @ROOT@/bin/p2 logout a-b") {
		t.Fatalf("cargo (ok=%v):\n%s", ok, out)
	}
	c := mustLoad(t, root, "w", env)
	if p, err := c.Providers("a-b", false); err != nil || !strings.HasSuffix(argvs(p), "/bin/p2") {
		t.Errorf("model: %s, %v", argvs(p), err)
	}
}

// Cargo 1.95 is meant to let the deeper array of a credential-provider or
// credential-alias replace the outer one, but its merge never pops the key
// path, so the outcome depends on HashMap iteration order and changes from
// run to run. This pin fails when cargo becomes deterministic: then drop
// listClash's warning and the generator's one-array rule.
func TestPinNonMergeableArraysAreNondeterministic(t *testing.T) {
	cargo := requireCargo(t)
	root := pinTree(t, map[string]string{
		"home/.cargo/config.toml": "[registries.x]\nindex = \"https://a/\"\n[registries.y]\ncredential-provider = [\"outer\"]\n[credential-alias]\nal = [\"outer\"]\n",
		"w/.cargo/config.toml":    "[registries.x]\nindex = \"https://b/\"\n[registries.y]\ncredential-provider = [\"inner\"]\n[credential-alias]\nal = [\"inner\"]\n",
	})
	seen := map[string]bool{}
	for i := 0; i < 24 && len(seen) < 2; i++ {
		out, ok := pinCargo(t, cargo, root, "w", nil, "-Zunstable-options", "config", "get", "--format", "json-value", "registries.y.credential-provider")
		if !ok {
			t.Fatalf("cargo:\n%s", out)
		}
		seen[strings.TrimSpace(out)] = true
	}
	if !seen[`["inner"]`] || !seen[`["outer","inner"]`] {
		t.Errorf("cargo gave %v in 24 runs; expected both [\"inner\"] and [\"outer\",\"inner\"]", seen)
	}
	c := mustLoad(t, root, "w", nil)
	if p, _, _ := c.getPathAndArgs(keyOf("registries.y.credential-provider")); strings.Join(p.argv, ",") != "inner" {
		t.Errorf("model keeps %v, want inner", p.argv)
	}
}

// Cargo's replace-with loop check only looks for the source it started
// from: a loop further down the chain (corp -> b -> c -> b) makes cargo spin
// forever. The model reports it as an error instead.
func TestPinReplaceWithLoopHangsCargo(t *testing.T) {
	cargo := requireCargo(t)
	root := pinTree(t, map[string]string{"w/.cargo/config.toml": `[registries.corp]
index = "https://corp.example/index"
[source.corp-src]
registry = "https://corp.example/index"
replace-with = "b"
[source.b]
registry = "https://b.example/"
replace-with = "c"
[source.c]
registry = "https://c.example/"
replace-with = "b"
`})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, cargo, "logout", "--registry", "corp")
	cmd.Dir = filepath.Join(root, "w")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + filepath.Join(root, "home"), "RUSTUP_HOME=" + rustupHomeDir()}
	out, _ := cmd.CombinedOutput()
	if ctx.Err() == nil {
		t.Errorf("cargo returned instead of hanging; update Resolve's loop error to match:\n%s", out)
	}
	c := mustLoad(t, root, "w", nil)
	if _, err := c.ReplacementOf("corp"); err == nil || !strings.Contains(err.Error(), "already in the chain") {
		t.Errorf("model: %v", err)
	}
}

func rustupHomeDir() string {
	if h := os.Getenv("RUSTUP_HOME"); h != "" {
		return h
	}
	h, _ := os.UserHomeDir()
	return filepath.Join(h, ".rustup")
}
