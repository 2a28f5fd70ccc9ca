package registrytest

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestIndexPath(t *testing.T) {
	tests := []struct{ name, want, prefix string }{
		{"a", "1/a", "1"},
		{"ab", "2/ab", "2"},
		{"abc", "3/a/abc", "3/a"},
		{"cargo", "ca/rg/cargo", "ca/rg"},
		{"abcd", "ab/cd/abcd", "ab/cd"},
		{"MyCrate", "my/cr/mycrate", "My/Cr"},
		{"A", "1/a", "1"},
		{"Abc", "3/a/abc", "3/A"},
		{"app-core", "ap/p-/app-core", "ap/p-"},
	}
	for _, tt := range tests {
		if got := IndexPath(tt.name); got != tt.want {
			t.Errorf("IndexPath(%q) = %q, want %q", tt.name, got, tt.want)
		}
		if got := Prefix(tt.name); got != tt.prefix {
			t.Errorf("Prefix(%q) = %q, want %q", tt.name, got, tt.prefix)
		}
	}
}

func TestExpandDL(t *testing.T) {
	const sum = "d867001db0e2b6e0496f9fac96930e2d42233ecd3ca0413e0753d4c7695d289c"
	tests := []struct{ template, name, want string }{
		{"https://crates.io/api/v1/crates", "cargo", "https://crates.io/api/v1/crates/cargo/0.1.0/download"},
		{"https://crates.io/api/v1/crates/", "cargo", "https://crates.io/api/v1/crates/cargo/0.1.0/download"},
		{"https://h/{crate}/{version}/download", "cargo", "https://h/cargo/0.1.0/download"},
		{"https://h/{prefix}/{crate}", "MyCrate", "https://h/My/Cr/MyCrate"},
		{"https://h/{lowerprefix}/{crate}", "MyCrate", "https://h/my/cr/MyCrate"},
		{"https://h/{crate}-{version}-{sha256-checksum}.crate", "a", "https://h/a-0.1.0-" + sum + ".crate"},
		{"https://h/{prefix}", "abc", "https://h/3/a"},
	}
	for _, tt := range tests {
		if got := ExpandDL(tt.template, tt.name, "0.1.0", sum); got != tt.want {
			t.Errorf("ExpandDL(%q, %q) = %q, want %q", tt.template, tt.name, got, tt.want)
		}
	}
}

func TestIndexLineFields(t *testing.T) {
	v, err := buildCrate(Crate{
		Name:    "Fancy",
		Version: "1.2.3",
		Links:   "z",
		Deps: []Dep{
			{Name: "base", Req: "^1"},
			{Name: "real-name", Rename: "alias", Optional: true, NoDefaultFeatures: true, Features: []string{"f"}, Kind: "build", Target: "cfg(unix)"},
		},
		Features: map[string][]string{"plain": {"alias/f"}, "modern": {"dep:alias"}, "weak": {"alias?/f"}, "empty": nil},
	}, "sparse+http://127.0.0.1:1/index/")
	if err != nil {
		t.Fatal(err)
	}
	line := string(v.entry.line())
	if strings.Contains(line, "\n") {
		t.Fatalf("index line spans lines: %s", line)
	}
	// Field order follows the book's schema.
	order := []string{`"name":`, `"vers":`, `"deps":`, `"cksum":`, `"features":`, `"yanked":`, `"links":`, `"v":`, `"features2":`}
	deps := strings.Index(line, `"deps":`)
	cksum := strings.Index(line, `"cksum":`)
	top := line[:deps] + strings.Repeat(" ", cksum-deps) + line[cksum:] // blank out the deps array
	last := -1
	for _, key := range order {
		i := strings.Index(top, key)
		if key == `"deps":` {
			i = deps
		}
		if i < 0 || i < last {
			t.Fatalf("key %s missing or out of order in %s", key, line)
		}
		last = i
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(line), &got); err != nil {
		t.Fatal(err)
	}
	if got["name"] != "Fancy" || got["vers"] != "1.2.3" || got["links"] != "z" || got["v"] != 2.0 || got["yanked"] != false {
		t.Errorf("line = %s", line)
	}
	features := got["features"].(map[string]any)
	features2 := got["features2"].(map[string]any)
	if _, ok := features["plain"]; !ok {
		t.Errorf("plain feature not in features: %s", line)
	}
	if _, ok := features["empty"]; !ok {
		t.Errorf("empty feature not in features: %s", line)
	}
	for _, f := range []string{"modern", "weak"} {
		if _, ok := features2[f]; !ok {
			t.Errorf("%s feature not in features2: %s", f, line)
		}
	}
	depList := got["deps"].([]any)
	base := depList[0].(map[string]any)
	if base["name"] != "base" || base["req"] != "^1" || base["kind"] != "normal" || base["registry"] != nil || base["package"] != nil || base["default_features"] != true || base["optional"] != false || base["target"] != nil {
		t.Errorf("dep base = %v", base)
	}
	renamed := depList[1].(map[string]any)
	if renamed["name"] != "alias" || renamed["package"] != "real-name" || renamed["kind"] != "build" || renamed["target"] != "cfg(unix)" || renamed["optional"] != true || renamed["default_features"] != false {
		t.Errorf("renamed dep = %v", renamed)
	}
	if f, ok := renamed["features"].([]any); !ok || len(f) != 1 || f[0] != "f" {
		t.Errorf("renamed dep features = %v", renamed["features"])
	}
}

func TestIndexLineWithoutModernFeatures(t *testing.T) {
	v, err := buildCrate(Crate{Name: "plain", Version: "0.1.0"}, "sparse+http://h/")
	if err != nil {
		t.Fatal(err)
	}
	line := string(v.entry.line())
	for _, want := range []string{`"deps":[]`, `"features":{}`, `"links":null`, `"v":1`, `"yanked":false`} {
		if !strings.Contains(line, want) {
			t.Errorf("line lacks %s: %s", want, line)
		}
	}
	if strings.Contains(line, "features2") {
		t.Errorf("line has features2 without modern features: %s", line)
	}
}

func TestIndexConfigEncoding(t *testing.T) {
	yes := true
	got := string(indexConfig{DL: "https://h/dl", API: "https://h", AuthRequired: &yes}.encode())
	var decoded map[string]any
	if err := json.Unmarshal([]byte(got), &decoded); err != nil {
		t.Fatal(err)
	}
	if decoded["dl"] != "https://h/dl" || decoded["api"] != "https://h" || decoded["auth-required"] != true {
		t.Errorf("config.json = %s", got)
	}
	if omitted := string(indexConfig{DL: "x"}.encode()); strings.Contains(omitted, "auth-required") || strings.Contains(omitted, "api") {
		t.Errorf("config.json without auth-required and api = %s", omitted)
	}
}

func TestNamesAndVersions(t *testing.T) {
	for name, want := range map[string]bool{"a": true, "a-b_c9": true, "9a": false, "": false, "a/b": false, "é": false, "-a": false, strings.Repeat("a", 65): false} {
		if got := validCrateName(name); got != want {
			t.Errorf("validCrateName(%q) = %t, want %t", name, got, want)
		}
	}
	for v, want := range map[string]bool{"0.1.0": true, "1.0.0-beta.1": true, "1.0.7+extra": true, "1.0": false, "a.b.c": false, "": false} {
		if got := validVersion(v); got != want {
			t.Errorf("validVersion(%q) = %t, want %t", v, got, want)
		}
	}
	tests := []struct {
		a, b string
		want int
	}{
		{"0.1.0", "0.2.0", -1}, {"1.10.0", "1.9.0", 1}, {"1.0.0", "1.0.0+x", 0}, {"1.0.0-alpha", "1.0.0", -1}, {"1.0.0", "1.0.0-rc.1", 1},
	}
	for _, tt := range tests {
		if got := compareVersions(tt.a, tt.b); got != tt.want {
			t.Errorf("compareVersions(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}
