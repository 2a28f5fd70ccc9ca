package cargoconfig

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeFiles writes files (paths relative to a fresh root, @ROOT@ expanded
// in contents) and returns the root.
func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for rel, body := range files {
		p := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(strings.ReplaceAll(body, "@ROOT@", root)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// loadAt loads the configuration seen from root/cwd with HOME root/home.
func loadAt(t *testing.T, root, cwd string, env []string, args ...string) (*Config, error) {
	t.Helper()
	dir := filepath.Join(root, cwd)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for i, kv := range env {
		env[i] = strings.ReplaceAll(kv, "@ROOT@", root)
	}
	return Load(LoadOptions{Cwd: dir, Environ: env, ConfigArgs: args, Home: filepath.Join(root, "home")})
}

func mustLoad(t *testing.T, root, cwd string, env []string, args ...string) *Config {
	t.Helper()
	c, err := loadAt(t, root, cwd, env, args...)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return c
}

func getStr(t *testing.T, c *Config, key string) StringValue {
	t.Helper()
	v, ok, err := c.getString(keyOf(key))
	if err != nil || !ok {
		t.Fatalf("%s: ok=%v err=%v", key, ok, err)
	}
	return v
}

func listValues(t *testing.T, c *Config, key string) []string {
	t.Helper()
	l, _, err := c.getList(keyOf(key))
	if err != nil {
		t.Fatalf("%s: %v", key, err)
	}
	out := make([]string, len(l))
	for i, v := range l {
		out[i] = v.Value
	}
	return out
}

func TestDiscovery(t *testing.T) {
	// Cargo reads .cargo/config{,.toml} in the cwd and every ancestor, then
	// $CARGO_HOME/config.toml; deeper files win, arrays are joined outermost
	// first.
	root := writeFiles(t, map[string]string{
		"home/.cargo/config.toml": "[x]\nv = \"home\"\nl = [\"home\"]\n",
		"w/.cargo/config.toml":    "[x]\nv = \"w\"\nl = [\"w\"]\n",
		"w/a/.cargo/config.toml":  "[x]\nv = \"a\"\nl = [\"a\"]\n",
	})
	c := mustLoad(t, root, "w/a/b", nil)
	if got := getStr(t, c, "x.v"); got.Value != "a" || got.Origin.Line != 2 {
		t.Errorf("x.v = %+v, want a from line 2", got)
	}
	if got, want := strings.Join(listValues(t, c, "x.l"), ","), "home,w,a"; got != want {
		t.Errorf("x.l = %s, want %s", got, want)
	}
	if got := len(c.Files()); got != 3 {
		t.Errorf("files = %v", c.Files())
	}
}

func TestLegacyFileWins(t *testing.T) {
	// Cargo prefers `.cargo/config` over `.cargo/config.toml` in the same
	// directory and warns that both exist.
	root := writeFiles(t, map[string]string{
		"w/.cargo/config":      "[x]\nv = \"legacy\"\n",
		"w/.cargo/config.toml": "[x]\nv = \"toml\"\n",
		"v/.cargo/config":      "[x]\nv = \"only legacy\"\n",
	})
	c := mustLoad(t, root, "w", nil)
	if got := getStr(t, c, "x.v").Value; got != "legacy" {
		t.Errorf("x.v = %q, want legacy", got)
	}
	if ws := c.Warnings(); len(ws) != 1 || ws[0].Kind != WarnLegacyShadows {
		t.Errorf("warnings = %v", ws)
	}
	c = mustLoad(t, root, "v", nil)
	if ws := c.Warnings(); len(ws) != 1 || ws[0].Kind != WarnLegacyFile {
		t.Errorf("warnings = %v", ws)
	}
}

func TestCargoHomeAmongAncestorsReadOnce(t *testing.T) {
	// When CARGO_HOME is an ancestor's .cargo (even written with a trailing
	// slash), cargo does not read its config.toml a second time.
	root := writeFiles(t, map[string]string{"w/.cargo/config.toml": "l = [\"w\"]\n"})
	for _, home := range []string{"@ROOT@/w/.cargo", "@ROOT@/w/.cargo/", "@ROOT@/w/a/../.cargo"} {
		c := mustLoad(t, root, "w/a", []string{"CARGO_HOME=" + home})
		if got := listValues(t, c, "l"); len(got) != 1 {
			t.Errorf("CARGO_HOME=%s: l = %v, want one entry", home, got)
		}
	}
}

func TestIncludes(t *testing.T) {
	// Included files are merged before the including file (which wins),
	// left to right, nested includes first; paths are relative to the
	// including file; optional missing files are skipped.
	root := writeFiles(t, map[string]string{
		"w/.cargo/config.toml": `include = [{ path = "sub/a.toml" }, { path = "missing.toml", optional = true }, "sub/b.toml"]
[x]
v = "main"
l = ["main"]
`,
		"w/.cargo/sub/a.toml": "include = [\"c.toml\"]\n[x]\nv = \"a\"\nl = [\"a\"]\n",
		"w/.cargo/sub/b.toml": "[x]\nv = \"b\"\nl = [\"b\"]\n",
		"w/.cargo/sub/c.toml": "[x]\nc = \"c\"\nl = [\"c\"]\n",
	})
	c := mustLoad(t, root, "w", nil)
	if got := getStr(t, c, "x.v").Value; got != "main" {
		t.Errorf("x.v = %q", got)
	}
	if got := getStr(t, c, "x.c").Origin.Path; !strings.HasSuffix(got, "sub/c.toml") {
		t.Errorf("x.c from %s", got)
	}
	if got, want := strings.Join(listValues(t, c, "x.l"), ","), "c,a,b,main"; got != want {
		t.Errorf("x.l = %s, want %s", got, want)
	}
	if _, err := c.getCV(keyOf("include")); err != nil {
		t.Fatal(err)
	}
	if v, _ := c.getCV(keyOf("include")); v != nil {
		t.Errorf("include key kept: %v", v)
	}
}

func TestIncludeErrors(t *testing.T) {
	tests := []struct {
		name, config string
		files        map[string]string
		want         string
	}{
		// Cargo 1.95 refuses a bare string (older books showed one).
		{"string", `include = "a.toml"`, nil, "expected a list of strings or a list of tables, but found string at `include`"},
		{"integer", `include = 3`, nil, "but found integer at `include`"},
		{"not toml", `include = ["a.txt"]`, nil, "expected a config include path ending with `.toml`"},
		// The extension check comes first, even for optional entries.
		{"optional not toml", `include = [{ path = "a.txt", optional = true }]`, nil, "ending with `.toml`"},
		{"missing", `include = ["nope.toml"]`, nil, "failed to read configuration file"},
		{"no path", `include = [{ optional = true }]`, nil, "missing field `path` at `include[0]`"},
		{"bad optional", `include = [{ path = "a.toml", optional = "yes" }]`, nil, "expected a boolean, but found string at `include[0].optional`"},
		{"self", `include = ["config.toml"]`, nil, "config `include` cycle detected"},
		// Cargo keeps one set of loaded paths for a discovered file, so the
		// same file reached twice is a "cycle" even without a loop.
		{"diamond", `include = ["a.toml", "b.toml"]`, map[string]string{
			"w/.cargo/a.toml": `include = ["c.toml"]`, "w/.cargo/b.toml": `include = ["c.toml"]`, "w/.cargo/c.toml": "",
		}, "config `include` cycle detected with path"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := map[string]string{"w/.cargo/config.toml": tt.config + "\n"}
			for k, v := range tt.files {
				files[k] = v + "\n"
			}
			_, err := loadAt(t, writeFiles(t, files), "w", nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestMalformedTOMLNamesPosition(t *testing.T) {
	root := writeFiles(t, map[string]string{"w/.cargo/config.toml": "[registries.corp]\nindex = \"https://x\"\ntoken = \n"})
	_, err := loadAt(t, root, "w", nil)
	var se *SyntaxError
	if !errors.As(err, &se) {
		t.Fatalf("err = %v, want a SyntaxError", err)
	}
	if se.Line != 3 || !strings.HasSuffix(se.Path, "w/.cargo/config.toml") {
		t.Errorf("error at %s:%d:%d, want line 3", se.Path, se.Line, se.Column)
	}
	if !strings.Contains(err.Error(), ":3:") {
		t.Errorf("message %q lacks :3:", err)
	}
	// Floats and dates are not configuration values for cargo.
	root = writeFiles(t, map[string]string{"w/.cargo/config.toml": "[x]\nf = 1.5\n"})
	if _, err := loadAt(t, root, "w", nil); err == nil || !strings.Contains(err.Error(), "unsupported TOML configuration type `float`") {
		t.Errorf("float: %v", err)
	}
}

func TestMergeTypeMismatch(t *testing.T) {
	// A string in one file and an array in another cannot be merged.
	root := writeFiles(t, map[string]string{
		"home/.cargo/config.toml": "[registries.a]\ncredential-provider = [\"x\"]\n",
		"w/.cargo/config.toml":    "[registries.a]\ncredential-provider = \"y\"\n",
	})
	if _, err := loadAt(t, root, "w", nil); err == nil || !strings.Contains(err.Error(), "expected string, but found array") {
		t.Errorf("err = %v", err)
	}
}

func TestNonMergeableArraysWarn(t *testing.T) {
	// Two arrays of a non-mergeable key: the deeper one is kept (cargo's
	// intent) and a warning says cargo 1.95 sometimes joins them.
	root := writeFiles(t, map[string]string{
		"home/.cargo/config.toml": "[registries.a]\nindex = \"https://a/\"\ncredential-provider = [\"/outer\"]\n",
		"w/.cargo/config.toml":    "[registries.a]\ncredential-provider = [\"/inner\", \"arg\"]\n",
	})
	c := mustLoad(t, root, "w", nil)
	p, err := c.Providers("a", false)
	if err != nil || len(p) != 1 || strings.Join(p[0].Argv, " ") != "/inner arg" {
		t.Fatalf("providers = %v, %v", p, err)
	}
	found := false
	for _, w := range c.Warnings() {
		found = found || w.Kind == WarnUnstableMerge
	}
	if !found {
		t.Errorf("no WarnUnstableMerge in %v", c.Warnings())
	}
}

func TestCredentials(t *testing.T) {
	// credentials.toml wins over config files; a legacy top-level token is
	// crates.io's unless credentials has a [registry] table.
	root := writeFiles(t, map[string]string{
		"home/.cargo/credentials.toml": "token = \"legacy-tok\"\n[registries.corp]\ntoken = \"cred-tok\"\n",
		"w/.cargo/config.toml":         "[registries.corp]\nindex = \"https://corp/\"\ntoken = \"cfg-tok\"\n",
	})
	c := mustLoad(t, root, "w", nil)
	tok, ok, err := c.Token("corp")
	if err != nil || !ok || tok.Token.Reveal() != "cred-tok" || !strings.HasSuffix(tok.Origin.Path, "credentials.toml") {
		t.Errorf("corp token = %v from %v (%v, %v)", tok.Token.Reveal(), tok.Origin, ok, err)
	}
	if tok, ok, _ := c.Token(CratesIO); !ok || tok.Token.Reveal() != "legacy-tok" {
		t.Errorf("crates-io token = %v", ok)
	}
	r, _ := c.Registry("corp")
	if len(r.Tokens) != 2 || r.Tokens[0].Token.Reveal() != "cred-tok" || r.Tokens[1].Token.Reveal() != "cfg-tok" {
		t.Errorf("tokens = %v", r.Tokens)
	}
	// The environment beats both.
	c = mustLoad(t, root, "w", []string{"CARGO_REGISTRIES_CORP_TOKEN=env-tok"})
	if tok, _, _ := c.Token("corp"); tok.Token.Reveal() != "env-tok" || tok.Origin.String() != "environment variable CARGO_REGISTRIES_CORP_TOKEN" {
		t.Errorf("token = %v from %v", tok.Token.Reveal(), tok.Origin)
	}

	root = writeFiles(t, map[string]string{"home/.cargo/credentials": "token = \"legacy\"\n[registry]\ndefault = \"x\"\n"})
	c = mustLoad(t, root, "w", nil)
	if _, ok, _ := c.Token(CratesIO); ok {
		t.Errorf("legacy token kept despite [registry] table")
	}
	if ws := c.Warnings(); len(ws) == 0 || ws[0].Kind != WarnLegacyFile {
		t.Errorf("warnings = %v", ws)
	}
}

func TestSecretNeverPrints(t *testing.T) {
	s := newSecret("tok-very-secret-value")
	for _, got := range []string{s.String(), s.GoString(), fmtAll(s)} {
		if strings.Contains(got, "very-secret") {
			t.Errorf("secret printed: %s", got)
		}
	}
}

// BenchmarkLoad measures Load on a project with a home configuration,
// credentials and an include: status and login call it on every run.
func BenchmarkLoad(b *testing.B) {
	root := b.TempDir()
	files := map[string]string{
		"home/.cargo/config.toml":      "[registries.corp]\nindex = \"sparse+https://corp.example/index/\"\n[registry]\nglobal-credential-providers = [\"cargo:token\"]\n",
		"home/.cargo/credentials.toml": "[registries.corp]\ntoken = \"tok-1\"\n",
		"p/.cargo/config.toml":         "include = [\"more.toml\"]\n[registries.alt]\nindex = \"https://alt.example/index\"\n",
		"p/.cargo/more.toml":           "[source.crates-io]\nreplace-with = \"corp\"\n",
	}
	for rel, body := range files {
		p := filepath.Join(root, rel)
		_ = os.MkdirAll(filepath.Dir(p), 0o755)
		_ = os.WriteFile(p, []byte(body), 0o644)
	}
	opts := LoadOptions{Cwd: filepath.Join(root, "p"), Home: filepath.Join(root, "home"), Environ: []string{"CARGO_REGISTRIES_CORP_TOKEN=x"}}
	b.ReportAllocs()
	for b.Loop() {
		c, err := Load(opts)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := c.Providers("corp", true); err != nil {
			b.Fatal(err)
		}
	}
}

func TestBrokenCredentialsFailOnlyTokenLookups(t *testing.T) {
	// Like cargo, a broken credentials.toml does not stop the configuration
	// from loading (`cargo config get` works); it fails what needs tokens.
	root := writeFiles(t, map[string]string{
		"home/.cargo/credentials.toml": "[registries.corp]\ncredential-provider = \"x\"\n",
		"w/.cargo/config.toml":         "[registries.corp]\nindex = \"https://corp/\"\ncredential-provider = [\"y\"]\n",
	})
	c := mustLoad(t, root, "w", nil)
	if c.CredentialsError() == nil {
		t.Fatal("no credentials error")
	}
	if _, err := c.RegistryIndex("corp"); err != nil {
		t.Errorf("RegistryIndex: %v", err)
	}
	if _, err := c.Providers("corp", false); err == nil || !strings.Contains(err.Error(), "expected array, but found string") {
		t.Errorf("Providers: %v", err)
	}
}
