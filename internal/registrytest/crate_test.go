package registrytest

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"strings"
	"testing"

	"github.com/pelletier/go-toml/v2"
)

// untar returns the files of a .crate by path.
func untar(t *testing.T, data []byte) map[string]string {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	files := map[string]string{}
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return files
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		files[hdr.Name] = string(b)
	}
}

func TestCrateFile(t *testing.T) {
	c := Crate{
		Name:     "app-core",
		Version:  "1.0.0",
		Links:    "native",
		Features: map[string][]string{"extra": {"util/extra"}, "opt": {"dep:maybe"}},
		Deps: []Dep{
			{Name: "app-util", Req: "^0.2", Rename: "util", Features: []string{"extra"}},
			{Name: "maybe", Optional: true, NoDefaultFeatures: true},
			{Name: "builder", Kind: "build"},
			{Name: "unixy", Target: "cfg(unix)"},
		},
		Files: map[string]string{"README.md": "hi\n"},
	}
	const indexURL = "sparse+https://127.0.0.1:1/index/"
	v, err := buildCrate(c, indexURL)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(v.data)
	if v.entry.Cksum != hex.EncodeToString(sum[:]) {
		t.Errorf("cksum %s does not match the .crate's sha256", v.entry.Cksum)
	}
	again, _ := buildCrate(c, indexURL)
	if !bytes.Equal(again.data, v.data) {
		t.Errorf("building the same crate twice gave different bytes")
	}
	files := untar(t, v.data)
	for _, name := range []string{"Cargo.toml", "src/lib.rs", "build.rs", "README.md"} {
		if _, ok := files["app-core-1.0.0/"+name]; !ok {
			t.Errorf("the .crate lacks app-core-1.0.0/%s (has %v)", name, sortedKeys(files))
		}
	}
	var m struct {
		Package struct {
			Name, Version, Edition, Links, Build string
		}
		Features     map[string][]string
		Dependencies map[string]struct {
			Version         string
			Package         string
			RegistryIndex   string `toml:"registry-index"`
			Features        []string
			Optional        bool
			DefaultFeatures *bool `toml:"default-features"`
		}
		BuildDependencies map[string]any            `toml:"build-dependencies"`
		Target            map[string]map[string]any `toml:"target"`
	}
	if err := toml.Unmarshal([]byte(files["app-core-1.0.0/Cargo.toml"]), &m); err != nil {
		t.Fatalf("Cargo.toml is not valid TOML: %v\n%s", err, files["app-core-1.0.0/Cargo.toml"])
	}
	if m.Package.Name != "app-core" || m.Package.Version != "1.0.0" || m.Package.Links != "native" || m.Package.Build != "build.rs" {
		t.Errorf("package = %+v", m.Package)
	}
	util := m.Dependencies["util"]
	if util.Package != "app-util" || util.Version != "^0.2" || util.RegistryIndex != indexURL || len(util.Features) != 1 {
		t.Errorf("renamed dependency = %+v", util)
	}
	maybe := m.Dependencies["maybe"]
	if !maybe.Optional || maybe.DefaultFeatures == nil || *maybe.DefaultFeatures {
		t.Errorf("optional dependency = %+v", maybe)
	}
	if _, ok := m.BuildDependencies["builder"]; !ok {
		t.Errorf("build dependency missing")
	}
	if _, ok := m.Target["cfg(unix)"]; !ok {
		t.Errorf("target dependency missing: %v", m.Target)
	}
	lib := files["app-core-1.0.0/src/lib.rs"]
	if !strings.Contains(lib, "pub use util;") || strings.Contains(lib, "pub use maybe;") || strings.Contains(lib, "pub use unixy;") {
		t.Errorf("lib.rs re-exports the wrong dependencies:\n%s", lib)
	}
}

func TestCrateRejectsBadNames(t *testing.T) {
	for _, c := range []Crate{{Name: "bad name", Version: "0.1.0"}, {Name: "ok", Version: "one"}} {
		if _, err := buildCrate(c, "x"); err == nil {
			t.Errorf("buildCrate(%+v) succeeded", c)
		}
	}
}

func TestTOMLString(t *testing.T) {
	for in, want := range map[string]string{`a`: `"a"`, `a"b`: `"a\"b"`, `a\b`: `"a\\b"`, "a\nb": `"a\u000Ab"`} {
		if got := tomlString(in); got != want {
			t.Errorf("tomlString(%q) = %s, want %s", in, got, want)
		}
	}
}
