package credentials

import (
	"errors"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

func TestKey(t *testing.T) {
	tests := []struct{ in, want string }{
		{"sparse+https://H.Example/x", "sparse+https://h.example/x/"},
		{"sparse+https://h.example/x/", "sparse+https://h.example/x/"},
		{"sparse+https://h.example/x//", "sparse+https://h.example/x/"},
		{"SPARSE+HTTPS://h.example:443/x", "sparse+https://h.example/x/"},
		{"sparse+https://h.example", "sparse+https://h.example/"},
		{"sparse+http://h.example:80/", "sparse+http://h.example/"},
		{"sparse+https://h.example:8443/", "sparse+https://h.example:8443/"},
		{"sparse+https://user:pw@h.example/x/", "sparse+https://h.example/x/"},
		{"https://git.example/Org/Index.git/", "https://git.example/Org/Index.git"},
		{"registry+https://git.example/index", "registry+https://git.example/index"},
		{"ssh://git@git.example:22/index.git", "ssh://git.example:22/index.git"},
		{"sparse+https://h.example/a%2fb/", "sparse+https://h.example/a%2Fb/"},
		{"sparse+https://h.example/x/#frag", "sparse+https://h.example/x/"},
		{"sparse+https://h.example/x/?feed=Main", "sparse+https://h.example/x/?feed=Main"},
		{"  sparse+https://h.example/x  ", "sparse+https://h.example/x/"},
		{"sparse+https://[::1]:8080/i", "sparse+https://[::1]:8080/i/"},
	}
	for _, tt := range tests {
		got, err := Key(tt.in)
		if err != nil {
			t.Errorf("Key(%q): %v", tt.in, err)
			continue
		}
		if got != tt.want {
			t.Errorf("Key(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if again, _ := Key(got); again != got {
			t.Errorf("Key is not idempotent on %q: %q", got, again)
		}
	}
	for _, bad := range []string{"", "x", "/path", "https://", "sparse+", "file:///tmp/index", "mailto:a@b"} {
		if _, err := Key(bad); !errors.Is(err, ErrBadIndexURL) {
			t.Errorf("Key(%q): err = %v, want ErrBadIndexURL", bad, err)
		}
	}
}

func TestBadIndexURLErrorRedacts(t *testing.T) {
	secret := "cgatest_keytest_secret_7f3a9c2e"
	NewToken(secret, SchemeRaw)
	_, err := Key("https://user:" + secret + "@/" + secret)
	if err == nil || strings.Contains(err.Error(), secret) {
		t.Fatalf("error leaks the secret: %v", err)
	}
}

func TestItemKeys(t *testing.T) {
	canonical, err := Key("sparse+https://h.example/Org/a;b~c d/")
	if err != nil {
		t.Fatal(err)
	}
	for _, fold := range []bool{false, true} {
		key := escapeItemKey(canonical, fold)
		if strings.ContainsAny(key, "/;~ ") {
			t.Errorf("escaped key %q holds a character some keyring mangles", key)
		}
		if fold && strings.ContainsAny(regexp.MustCompile(`%[0-9A-F]{2}`).ReplaceAllString(key, ""), "ABCDEFGHIJKLMNOPQRSTUVWXYZ") {
			t.Errorf("case-folded key %q holds an upper-case letter", key)
		}
		if back, ok := unescapeItemKey(key, fold); !ok || back != canonical {
			t.Errorf("unescapeItemKey(%q) = %q, %v", key, back, ok)
		}
	}
	if _, ok := unescapeItemKey("~probe", false); ok {
		t.Error("the probe key reads as a registry")
	}
	if _, ok := unescapeItemKey(".lock", false); ok {
		t.Error("the lock file reads as a registry")
	}
	if h := hashItemKey(canonical); !strings.HasPrefix(h, hashedKeyPrefix) || len(h) != len(hashedKeyPrefix)+64 || strings.Contains(h, "example") {
		t.Errorf("hashed key %q", h)
	}
}

func FuzzKey(f *testing.F) {
	for _, s := range []string{"sparse+https://h/x", "https://u:p@H:443/a%2f/?q#f", "ssh://git@h:22/x.git", "sparse+http://[::1]/", "a://b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		k, err := Key(in)
		if err != nil {
			return
		}
		again, err := Key(k)
		if err != nil || again != k {
			t.Fatalf("Key(%q) = %q, but Key of that = %q, %v", in, k, again, err)
		}
		rest := k
		for _, p := range []string{"sparse+", "registry+", "git+"} {
			rest = strings.TrimPrefix(rest, p)
		}
		if u, err := url.Parse(rest); err != nil || u.User != nil {
			t.Fatalf("Key(%q) = %q keeps userinfo or does not parse", in, k)
		}
		for _, fold := range []bool{false, true} {
			if back, ok := unescapeItemKey(escapeItemKey(k, fold), fold); !ok || back != k {
				t.Fatalf("item key of %q does not round-trip (fold %v): %q", k, fold, back)
			}
		}
	})
}
