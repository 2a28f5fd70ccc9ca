package auth

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cargo-auth/cargo-auth/credentials"
)

// TestClassifyURLRegistryShapes runs the scanner's heuristics over the
// index URL shapes of registries.md: the clean ones must pass, the
// token-bearing ones must be caught with the right kind, clean URL and
// template.
func TestClassifyURLRegistryShapes(t *testing.T) {
	clean := []string{
		"sparse+https://gitea.example/api/packages/acme/cargo/",
		"https://gitea.example/acme/_cargo-index.git",
		"sparse+https://jfrog.example/artifactory/api/cargo/cargo-local/index/",
		"sparse+https://cargo.cloudsmith.io/acme/private-crates/",
		"https://dl.cloudsmith.io/basic/acme/private-crates/cargo/index.git",
		"sparse+https://acme-123456789012.d.codeartifact.eu-west-1.amazonaws.com/cargo/crates/",
		"sparse+https://pkgs.dev.azure.com/acme/platform/_packaging/rust-feed/Cargo/index/",
		"sparse+https://pkgs.dev.azure.com/acme/_packaging/3f2504e0-4f89-11d3-9a0c-0305e82c3301/Cargo/index/",
		"sparse+https://kellnr.example/api/v1/crates/",
		"sparse+https://index.crates.io/",
		"https://git@github.com/acme/cargo-index.git",
		"ssh://git@git.example/acme/index.git",
		"sparse+https://registry.example/crates/v2024.11/",
		"sparse+https://registry.example/team-platform-infra/release-candidate-12/",
	}
	for _, u := range clean {
		if c := classifyURL(u, nil); c.kind != "" {
			t.Errorf("classifyURL(%q) = %s, want clean", u, c.kind)
		}
	}
	tests := []struct {
		url, kind, secret, clean, template string
	}{
		{"https://dl.cloudsmith.io/Kx9fT2mQ7vLp4sZa/acme/repo/cargo/index.git", leakPathToken, "Kx9fT2mQ7vLp4sZa",
			"https://dl.cloudsmith.io/acme/repo/cargo/index.git", "https://dl.cloudsmith.io/{token}/acme/repo/cargo/index.git"},
		{"sparse+https://127.0.0.1:4443/cgatest_0123456789abcdef0123456789abcdef/index/", leakPathToken, "cgatest_0123456789abcdef0123456789abcdef",
			"sparse+https://127.0.0.1:4443/index/", "sparse+https://127.0.0.1:4443/{token}/index/"},
		{"https://ci-bot:glpat-AbCdEf0123456789xyzW@gitea.example/acme/_cargo-index.git", leakUserinfoPassword, "glpat-AbCdEf0123456789xyzW",
			"https://gitea.example/acme/_cargo-index.git", "https://ci-bot:{token}@gitea.example/acme/_cargo-index.git"},
		{"https://x:short@git.example/index.git", leakUserinfoPassword, "short",
			"https://git.example/index.git", "https://x:{token}@git.example/index.git"},
		{"https://ghp_16C7e42F292c6912E7710c838347Ae178B4a@github.com/acme/index.git", leakUserinfoUser, "ghp_16C7e42F292c6912E7710c838347Ae178B4a",
			"https://github.com/acme/index.git", "https://{token}@github.com/acme/index.git"},
		{"registry+https://dl.example/a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6/org/index.git", leakPathToken, "a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6",
			"registry+https://dl.example/org/index.git", "registry+https://dl.example/{token}/org/index.git"},
		{"sparse+https://h.example/index/?token=abc123", leakQueryToken, "abc123", "sparse+https://h.example/index/", ""},
	}
	for _, tt := range tests {
		c := classifyURL(tt.url, nil)
		if c.kind != tt.kind || c.secret != tt.secret || c.clean != tt.clean || c.template != tt.template {
			t.Errorf("classifyURL(%q) = {%s %q %q %q}, want {%s %q %q %q}", tt.url, c.kind, c.secret, c.clean, c.template,
				tt.kind, tt.secret, tt.clean, tt.template)
		}
	}
}

// TestClassifyURLKnownTokens finds a token the store or environment holds
// even when it looks like an ordinary word, wherever it sits.
func TestClassifyURLKnownTokens(t *testing.T) {
	known := []knownSecret{{value: "acme-token-one", registry: "corp"}}
	tests := []struct{ url, kind string }{
		{"https://dl.example/acme-token-one/org/index.git", leakPathToken},
		{"https://acme-token-one@git.example/index.git", leakUserinfoUser},
		{"https://h.example/x?k=acme-token-one", leakQueryToken},
		{"https://h.example/acme%2Dtoken-one/x", leakPathToken},
		{"https://h.example/acme-token-one.git", leakKnownToken},
	}
	for _, tt := range tests {
		c := classifyURL(tt.url, known)
		if c.kind != tt.kind || c.registry != "corp" {
			t.Errorf("classifyURL(%q) = %s for %q, want %s for corp", tt.url, c.kind, c.registry, tt.kind)
		}
	}
	if c := classifyURL("https://dl.example/acme/org/index.git", known); c.kind != "" {
		t.Errorf("an ordinary URL is %s", c.kind)
	}
}

func TestURLsIn(t *testing.T) {
	got := urlsIn(`index = "sparse+https://a.example/x/" # was 'https://u:p@b.example/y', see <https://c.example>`)
	want := []string{"sparse+https://a.example/x/", "https://u:p@b.example/y", "https://c.example"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("urlsIn = %q, want %q", got, want)
	}
}

// leakTree is a home, CARGO_HOME and project for scanner tests.
type leakTree struct {
	t                        *testing.T
	home, cargoHome, project string
	environ                  []string
}

func newLeakTree(t *testing.T) *leakTree {
	t.Helper()
	home := t.TempDir()
	lt := &leakTree{t: t, home: home, cargoHome: filepath.Join(home, ".cargo"), project: filepath.Join(home, "src", "app")}
	lt.environ = []string{"HOME=" + home, "CARGO_HOME=" + lt.cargoHome, "XDG_CONFIG_HOME=" + filepath.Join(home, ".config")}
	lt.write("src/app/Cargo.toml", "[package]\nname = \"app\"\nversion = \"0.1.0\"\n")
	return lt
}

func (lt *leakTree) write(rel, content string) string {
	lt.t.Helper()
	path := filepath.Join(lt.home, rel)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		lt.t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		lt.t.Fatal(err)
	}
	return path
}

func (lt *leakTree) factory() *Factory {
	return &Factory{
		Environ: func() []string { return lt.environ },
		Getwd:   func() (string, error) { return lt.project, nil },
	}
}

func (lt *leakTree) scan(opts leakScanOptions) []urlLeak {
	lt.t.Helper()
	f := lt.factory()
	cfg, err := f.CargoConfig(opts.ConfigArgs)
	if err != nil {
		lt.t.Fatal(err)
	}
	leaks, err := findURLLeaks(context.Background(), f, cfg, opts)
	if err != nil {
		lt.t.Fatal(err)
	}
	return leaks
}

func leakSummary(leaks []urlLeak) string {
	var lines []string
	for _, l := range leaks {
		lines = append(lines, l.Where+" "+l.Kind+" "+l.Registry+" "+l.Key)
	}
	return strings.Join(lines, "\n")
}

func TestFindURLLeaksEveryPlace(t *testing.T) {
	const pathToken = "Kx9fT2mQ7vLp4sZaQ1w2"
	lt := newLeakTree(t)
	lt.write(".cargo/config.toml", "[registries.clean]\nindex = \"sparse+https://gitea.example/api/packages/acme/cargo/\"\n\n"+
		"[registries.corp]\nindex = \"https://dl.cloudsmith.io/"+pathToken+"/acme/repo/cargo/index.git\"\n")
	lt.write("src/app/.cargo/config.toml", "include = [\"more.toml\"]\n# old: https://bot:hunter2hunter2@git.example/index.git\n")
	lt.write("src/app/.cargo/more.toml", "[source.mirror]\nregistry = \"https://bot:pw-in-include@git.example/index.git\"\n")
	lt.write(".cargo/credentials.toml", "[registries.corp]\ntoken = \"credentials-are-meant-for-tokens\"\n")
	lt.write("src/app/Cargo.lock", "version = 4\n\n[[package]]\nname = \"base\"\nversion = \"0.1.0\"\n"+
		"source = \"registry+https://dl.cloudsmith.io/"+pathToken+"/acme/repo/cargo/index.git\"\n")
	lt.environ = append(lt.environ, "CARGO_REGISTRIES_ENVREG_INDEX=https://u:envpassword1@git.example/env.git")

	got := leakSummary(lt.scan(leakScanOptions{}))
	want := strings.Join([]string{
		".cargo/config.toml:2 userinfo-password  ",
		".cargo/more.toml:2 userinfo-password  source.mirror.registry",
		"~/.cargo/config.toml:5 path-token corp registries.corp.index",
		"environment variable CARGO_REGISTRIES_ENVREG_INDEX userinfo-password envreg registries.envreg.index",
		"Cargo.lock:6 path-token corp ",
	}, "\n")
	if got != want {
		t.Errorf("findings:\n%s\nwant:\n%s", got, want)
	}
	for _, l := range lt.scan(leakScanOptions{}) {
		for _, secret := range []string{pathToken, "hunter2hunter2", "pw-in-include", "envpassword1"} {
			if strings.Contains(l.URL+l.Where, secret) {
				t.Errorf("finding %q shows the token", l.URL)
			}
		}
	}
	if got := leakSummary(lt.scan(leakScanOptions{SkipConfig: true, SkipEnv: true})); got != "Cargo.lock:6 path-token corp " {
		t.Errorf("workspace only: %q", got)
	}
}

func TestFindURLLeaksCleanTreeIsQuiet(t *testing.T) {
	lt := newLeakTree(t)
	lt.write(".cargo/config.toml", "[registries.gitea]\nindex = \"sparse+https://gitea.example/api/packages/acme/cargo/\"\n"+
		"[registries.jfrog]\nindex = \"sparse+https://jfrog.example/artifactory/api/cargo/cargo-local/index/\"\n"+
		"[registries.azure]\nindex = \"sparse+https://pkgs.dev.azure.com/acme/_packaging/3f2504e0-4f89-11d3-9a0c-0305e82c3301/Cargo/index/\"\n"+
		"[registry]\nglobal-credential-providers = [\"cargo:token\"]\n")
	lt.write("src/app/Cargo.lock", "version = 4\n\n[[package]]\nname = \"base\"\nversion = \"0.1.0\"\n"+
		"source = \"sparse+https://gitea.example/api/packages/acme/cargo/\"\n"+
		"checksum = \"5feb6f1e5d0d8b4f9b5bb1f5c3a1c0f29d2d0b41d5e6c1b7b1c8c8c3a6e1f2a3\"\n")
	lt.environ = append(lt.environ, "CARGO_REGISTRIES_GITEA_TOKEN=Bearer gitea-token-1234567890")
	if leaks := lt.scan(leakScanOptions{}); len(leaks) != 0 {
		t.Errorf("clean tree: %s", leakSummary(leaks))
	}
}

// TestFindURLLeaksKnownTokens: a stored or environment token is found even
// when it looks like a word, and a plaintext `token` key is reported.
func TestFindURLLeaksKnownTokens(t *testing.T) {
	lt := newLeakTree(t)
	lt.write(".cargo/config.toml", "[registries.corp]\nindex = \"sparse+https://corp.example/index/\"\n"+
		"[source.corp-authed]\nregistry = \"https://corp.example/plain-word-token/index/\"\n")
	lt.write("src/app/.cargo/config.toml", "[registries.other]\nindex = \"sparse+https://other.example/\"\ntoken = \"secret-in-project\"\n"+
		"# pasted: env-word-token\n")
	lt.environ = append(lt.environ, "CARGO_REGISTRIES_OTHER_TOKEN=env-word-token")
	store := credentials.NewMemoryStore()
	if err := store.Set(context.Background(), credentials.Credential{IndexURL: "sparse+https://corp.example/index/",
		Token: credentials.NewToken("plain-word-token", credentials.SchemeRaw)}); err != nil {
		t.Fatal(err)
	}
	without := leakSummary(lt.scan(leakScanOptions{}))
	if strings.Contains(without, "source.corp-authed") {
		t.Errorf("an ordinary-looking path was flagged without knowing the token:\n%s", without)
	}
	got := leakSummary(lt.scan(leakScanOptions{Store: store}))
	want := strings.Join([]string{
		".cargo/config.toml:3 plaintext-token other registries.other.token",
		".cargo/config.toml:4 known-token other ",
		"~/.cargo/config.toml:4 path-token corp source.corp-authed.registry",
	}, "\n")
	if got != want {
		t.Errorf("findings:\n%s\nwant:\n%s", got, want)
	}
	for _, l := range lt.scan(leakScanOptions{Store: store}) {
		if strings.Contains(l.URL, "plain-word-token") || strings.Contains(l.URL, "env-word-token") {
			t.Errorf("a known token shows in %q", l.URL)
		}
	}
}

func TestDisplayPath(t *testing.T) {
	tests := []struct{ home, cwd, p, want string }{
		{"/home/u", "/home/u/src/app", "/home/u/src/app/.cargo/config.toml", ".cargo/config.toml"},
		{"/home/u", "/home/u/src/app", "/home/u/.cargo/config.toml", "~/.cargo/config.toml"},
		{"/w/home", "/w", "/w/home/.cargo/config.toml", "~/.cargo/config.toml"},
		{"/w/home", "/w", "/w/project/Cargo.lock", "project/Cargo.lock"},
		{"/home/u", "/srv", "/etc/cargo/config.toml", "/etc/cargo/config.toml"},
	}
	for _, tt := range tests {
		if got := displayPath(tt.home, tt.cwd, tt.p); got != tt.want {
			t.Errorf("displayPath(%q, %q, %q) = %q, want %q", tt.home, tt.cwd, tt.p, got, tt.want)
		}
	}
}

func TestFindWorkspace(t *testing.T) {
	lt := newLeakTree(t)
	lt.write("ws/Cargo.toml", "[workspace]\nmembers = [\"crates/*\"]\n")
	lt.write("ws/crates/a/Cargo.toml", "[package]\nname = \"a\"\n")
	lt.write("ws/crates/a/src/lib.rs", "")
	lt.write("other/Cargo.toml", "[package]\nname = \"o\"\nworkspace = \"../ws\"\n")
	tests := []struct{ dir, root string }{
		{"ws/crates/a/src", "ws"},
		{"ws", "ws"},
		{"src/app", "src/app"},
		{"other", "ws"},
	}
	for _, tt := range tests {
		w, err := findWorkspace(filepath.Join(lt.home, tt.dir))
		if err != nil || w.Root != filepath.Join(lt.home, tt.root) {
			t.Errorf("findWorkspace(%s) = %q, %v; want %s", tt.dir, w.Root, err, tt.root)
		}
	}
	if _, err := findWorkspace(t.TempDir()); err != errNoWorkspace {
		t.Errorf("no manifest: err = %v", err)
	}
}
