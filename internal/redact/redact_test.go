package redact

import (
	"strings"
	"testing"
)

func TestURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"sparse+https://corp.example/index/", "sparse+https://corp.example/index/"},
		{"https://user:s3cretpassword@git.example/index.git", "https://user:***@git.example/index.git"},
		{"https://Kx9fT2mQ7vLp4sZa@dl.example/org/repo/cargo/index.git", "https://***@dl.example/org/repo/cargo/index.git"},
		{"https://dl.cloudsmith.io/Kx9fT2mQ7vLp4sZa/acme/repo/cargo/index.git", "https://dl.cloudsmith.io/***/acme/repo/cargo/index.git"},
		{"sparse+https://gitea.example/api/packages/acme/cargo/", "sparse+https://gitea.example/api/packages/acme/cargo/"},
		{"sparse+https://jfrog.example/artifactory/api/cargo/cargo-local/index/", "sparse+https://jfrog.example/artifactory/api/cargo/cargo-local/index/"},
		{"https://h.example/x?token=abc&page=2", "https://h.example/x?page=2&token=***"},
		{"sparse+https://pkgs.dev.azure.com/org/proj/_packaging/feed/Cargo/index/", "sparse+https://pkgs.dev.azure.com/org/proj/_packaging/feed/Cargo/index/"},
		{"sparse+https://pkgs.dev.azure.com/org/_packaging/3f2504e0-4f89-11d3-9a0c-0305e82c3301/Cargo/index/", "sparse+https://pkgs.dev.azure.com/org/_packaging/3f2504e0-4f89-11d3-9a0c-0305e82c3301/Cargo/index/"},
	}
	for _, tt := range tests {
		if got := URL(tt.in); got != tt.want {
			t.Errorf("URL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestURLUnparsableNeverLeaks(t *testing.T) {
	in := "https://user:pa ss%zz@host/%"
	got := URL(in)
	if strings.Contains(got, "pa ss") || strings.Contains(got, "user") {
		t.Errorf("URL(%q) = %q, leaks the userinfo", in, got)
	}
}

func TestLooksLikeToken(t *testing.T) {
	tokens := []string{
		"cioAbCdEfGhIjKlMnOpQrStUvWxYz0123456789",
		"ghp_16C7e42F292c6912E7710c838347Ae178B4a",
		"glpat-xxxxYYYY1234zzzz5678",
		"eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjF9.c2lnbmF0dXJl1234",
		"Kx9fT2mQ7vLp4sZa",
		"a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6",
	}
	for _, s := range tokens {
		if !LooksLikeToken(s) {
			t.Errorf("LooksLikeToken(%q) = false, want true", s)
		}
	}
	ordinary := []string{
		"api", "packages", "acme", "cargo", "_cargo-index.git", "index", "v1", "1.2.3",
		"cargo-local", "artifactory", "my-company-private-registry", "crates", "_packaging",
		"serde_derive-1.0.219", "sparse-registry-2024", "release-candidate-12",
		"3f2504e0-4f89-11d3-9a0c-0305e82c3301", "7B8E8D1A-4F89-41D3-9A0C-0305E82C3301",
	}
	for _, s := range ordinary {
		if LooksLikeToken(s) {
			t.Errorf("LooksLikeToken(%q) = true, want false", s)
		}
	}
}

func TestKnownAndText(t *testing.T) {
	Register("tok-very-secret-value")
	in := `error fetching "https://x.example/a?b=1": server echoed tok-very-secret-value and tok-very-secret-value`
	got := Text(in)
	if strings.Contains(got, "tok-very-secret-value") {
		t.Fatalf("Text leaked a registered secret: %q", got)
	}
	if !strings.Contains(got, "https://x.example/a?b=1") {
		t.Errorf("Text changed an ordinary URL: %q", got)
	}
	if got := Text("see https://u:pw1234567@h.example/i, then retry"); got != "see https://u:***@h.example/i, then retry" {
		t.Errorf("Text = %q", got)
	}
}

func TestMask(t *testing.T) {
	if got := Mask("abcd0123456789wxyz"); got != "abcd…wxyz" {
		t.Errorf("Mask(long) = %q", got)
	}
	if got := Mask("short"); strings.Contains(got, "s") {
		t.Errorf("Mask(short) = %q shows part of a short secret", got)
	}
}

func FuzzURLNeverShowsPassword(f *testing.F) {
	f.Add("https://user:password1@host/path", "password1")
	f.Add("sparse+https://u:p@h/", "p")
	f.Fuzz(func(t *testing.T, base, password string) {
		if len(password) < 6 || strings.ContainsAny(password, "@/?#:") {
			return
		}
		raw := "https://user:" + password + "@" + base
		got := URL(raw)
		// The password may show up where the base itself has it, or makes
		// it once escaped ("\xc0" + "00000" gives "%C000000").
		fromBase := strings.Contains(base, password) || strings.Contains(URL("https://user:x@"+base), password)
		if strings.Contains(got, password) && !fromBase {
			t.Fatalf("URL(%q) = %q shows the password", raw, got)
		}
	})
}

// A registered URL that contains a registered token must redact the same
// way every time: the token first, so the URL around it stays readable.
func TestKnownIsDeterministic(t *testing.T) {
	token := "zq8Kx2Lm9Pw4Rt7Y"
	tokenURL := "https://127.0.0.1:4000/" + token + "/index.git"
	Register(tokenURL, token)
	for i := 0; i < 50; i++ {
		if got := Known(`source = "registry+` + tokenURL + `"`); got != `source = "registry+https://127.0.0.1:4000/***/index.git"` {
			t.Fatalf("run %d: Known = %q", i, got)
		}
	}
}
