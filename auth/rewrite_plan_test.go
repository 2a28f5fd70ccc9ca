package auth

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/cargo-auth/cargo-auth/credentials"
)

func TestEscapeToken(t *testing.T) {
	tests := map[string]string{
		"Kx9fT2mQ7vLp4sZa":          "Kx9fT2mQ7vLp4sZa",
		"a-b_c.d~e":                 "a-b_c.d~e",
		"p@ss:w/rd":                 "p%40ss%3Aw%2Frd",
		"100%+x y#z?q=1&r":          "100%25%2Bx%20y%23z%3Fq%3D1%26r",
		"ünï":                       "%C3%BCn%C3%AF",
		"eyJhbGciOiJIUzI1NiJ9.e30.": "eyJhbGciOiJIUzI1NiJ9.e30.",
	}
	for in, want := range tests {
		if got := escapeToken(in); got != want {
			t.Errorf("escapeToken(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestValidateTemplate(t *testing.T) {
	good := []struct{ template, mode string }{
		{"sparse+https://dl.example.com/{token}/acme/repo/cargo/", modePath},
		{"https://dl.cloudsmith.io/{token}/acme/repo/cargo/index.git", modePath},
		{"sparse+http://127.0.0.1:8080/{token}/index/", modePath},
		{"https://ci-bot:{token}@gitea.example/acme/_cargo-index.git", modeUserinfo},
		{"https://{token}@github.com/acme/index.git", modeUserinfo},
	}
	for _, g := range good {
		if err := validateTemplate(g.template, g.mode); err != nil {
			t.Errorf("validateTemplate(%q, %s) = %v", g.template, g.mode, err)
		}
	}
	bad := []struct{ template, mode, want string }{
		{"", modePath, "needs a --template"},
		{"sparse+https://dl.example.com/acme/", modePath, "not 0 times"},
		{"sparse+https://dl.example.com/{token}/{token}/", modePath, "not 2 times"},
		{"sparse+http://dl.example.com/{token}/", modePath, "https"},
		{"ftp://dl.example.com/{token}/", modePath, "https"},
		{"{token}", modePath, "not an absolute URL"},
		{"https://{token}.example.com/x/", modePath, "in its path"},
		{"https://dl.example.com/x?t={token}", modePath, "in its path"},
		{"https://u:{token}@dl.example.com/x/", modePath, "in its path"},
		{"https://dl.example.com/{token}/x/", modeUserinfo, "in its userinfo"},
		{"https://dl.example.com/{token}/Kx9fT2mQ7vLp4sZaQ1w2/", modePath, "already holds a credential"},
		{"https://u:{token}@dl.example.com/Kx9fT2mQ7vLp4sZaQ1w2/", modeUserinfo, "already holds a credential"},
	}
	for _, b := range bad {
		err := validateTemplate(b.template, b.mode)
		if err == nil || !strings.Contains(err.Error(), b.want) {
			t.Errorf("validateTemplate(%q, %s) = %v, want an error with %q", b.template, b.mode, err, b.want)
		}
		if err != nil && strings.Contains(err.Error(), "Kx9fT2mQ7vLp4sZaQ1w2") {
			t.Errorf("the error shows the credential: %v", err)
		}
	}
}

func TestTokenURL(t *testing.T) {
	tok := credentials.NewToken("p@ss/w:rd", credentials.SchemeRaw)
	tests := []struct {
		plan rewritePlan
		want string
	}{
		{rewritePlan{Mode: modePath, Token: tok, Setting: rewriteSetting{Template: "sparse+https://dl.example/{token}/index/"}},
			"sparse+https://dl.example/p%40ss%2Fw%3Ard/index/"},
		{rewritePlan{Mode: modeUserinfo, Token: tok, CleanURL: "https://git.example/acme/index.git", Setting: rewriteSetting{User: "ci bot"}},
			"https://ci%20bot:p%40ss%2Fw%3Ard@git.example/acme/index.git"},
		{rewritePlan{Mode: modeUserinfo, Token: tok, CleanURL: "https://old@git.example:8443/index.git"},
			"https://cargo-auth:p%40ss%2Fw%3Ard@git.example:8443/index.git"},
		{rewritePlan{Mode: modeUserinfo, Token: credentials.NewBasic("PAT", "secret1"), CleanURL: "https://git.example/index.git"},
			"https://PAT:secret1@git.example/index.git"},
		{rewritePlan{Mode: modeUserinfo, Token: tok, Setting: rewriteSetting{Template: "https://{token}@github.com/acme/index.git"}},
			"https://p%40ss%2Fw%3Ard@github.com/acme/index.git"},
	}
	for _, tt := range tests {
		got, err := tt.plan.tokenURL()
		if err != nil || got != tt.want {
			t.Errorf("tokenURL(%s) = %q, %v; want %q", tt.plan.Mode, got, err, tt.want)
		}
	}
	plain := rewritePlan{Mode: modeUserinfo, Token: tok, CleanURL: "http://git.example/index.git"}
	if _, err := plain.tokenURL(); err == nil || !strings.Contains(err.Error(), "https") {
		t.Errorf("userinfo over plain http: err = %v", err)
	}
}

func TestRewriteOptionsValidate(t *testing.T) {
	tests := []struct {
		opts rewriteConfigOptions
		want string
	}{
		{rewriteConfigOptions{Check: true, Migrate: true}, "separate actions"},
		{rewriteConfigOptions{TokenStdin: true}, "name exactly one registry"},
		{rewriteConfigOptions{TokenStdin: true, Registries: []string{"a", "b"}}, "name exactly one registry"},
		{rewriteConfigOptions{Check: true, DryRun: true}, "--check only reads"},
		{rewriteConfigOptions{Restore: true, Mode: modeNative, Registries: []string{"a"}}, "--restore takes no"},
		{rewriteConfigOptions{Mode: modeNative}, "name them"},
		{rewriteConfigOptions{Registries: []string{"a"}, Mode: modeNative}, ""},
		{rewriteConfigOptions{Migrate: true, Mode: modePath}, ""},
	}
	for _, tt := range tests {
		err := tt.opts.validate()
		if (err == nil) != (tt.want == "") || err != nil && !strings.Contains(err.Error(), tt.want) {
			t.Errorf("validate(%+v) = %v, want %q", tt.opts, err, tt.want)
		}
		if err != nil && exitCodeOf(err) != ExitUsage {
			t.Errorf("validate(%+v): exit code %d, want %d", tt.opts, exitCodeOf(err), ExitUsage)
		}
	}
}

// TestReplacementConflicts: a project may commit the clean half of the
// replacement; anything else that claims the names or the index is refused.
func TestReplacementConflicts(t *testing.T) {
	tests := []struct{ project, want string }{
		{"", ""},
		{"[source.corp]\nregistry = \"sparse+https://corp.example/index/\"\nreplace-with = \"corp-authed\"\n", ""},
		{"[source.corp]\nregistry = \"sparse+https://elsewhere.example/index/\"\n", "[source.corp] is already defined in ~/src/app/.cargo/config.toml:2"},
		{"[source.corp-authed]\nregistry = \"sparse+https://dl.example/x/index/\"\n", "[source.corp-authed] is already defined"},
		{"[source.vendored]\nregistry = \"sparse+https://corp.example/index\"\nreplace-with = \"vendor\"\n[source.vendor]\ndirectory = \"vendor\"\n",
			"[source.vendored] (~/src/app/.cargo/config.toml:2) already names corp's index"},
	}
	for _, tt := range tests {
		lt := newLeakTree(t)
		lt.write(".cargo/config.toml", "[registries.corp]\nindex = \"sparse+https://corp.example/index/\"\n")
		if tt.project != "" {
			lt.write("src/app/.cargo/config.toml", tt.project)
		}
		cfg, err := lt.factory().CargoConfig(nil)
		if err != nil {
			t.Fatal(err)
		}
		err = checkReplacementConflicts(cfg, filepath.Join(lt.cargoHome, "config.toml"), []*rewritePlan{pathPlan("Kx9fT2mQ7vLp4sZa")})
		if (err == nil) != (tt.want == "") || err != nil && !strings.Contains(err.Error(), tt.want) {
			t.Errorf("project config %q: err = %v, want %q", tt.project, err, tt.want)
		}
	}
}
