package registrytest

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Crate describes one version of a crate to put in the registry. The
// registry builds a real .crate file for it (a gzip'ed tar holding
// <name>-<version>/Cargo.toml and src/lib.rs), so the real cargo can
// download, checksum, extract and build it.
type Crate struct {
	Name    string
	Version string
	// Deps are dependencies on other crates of the same registry.
	Deps []Dep
	// Features maps a feature to what it enables, as in Cargo.toml.
	Features map[string][]string
	// Links is the manifest's links key; a no-op build script is added.
	Links string
	// Yanked publishes the version already yanked.
	Yanked bool
	// Description shows in search results; a default is used when empty.
	Description string
	// Files are extra or replacement files in the crate, by path relative
	// to the package root ("src/lib.rs" replaces the generated library).
	Files map[string]string
}

// Dep is a dependency of a Crate on another crate of the same registry.
type Dep struct {
	// Name is the package's name.
	Name string
	// Req is the SemVer requirement ("^0.1"); empty means "*".
	Req string
	// Rename is the name the dependent uses for it, when it differs.
	Rename string
	// Features, Optional and NoDefaultFeatures mean what they do in Cargo.toml.
	Features          []string
	Optional          bool
	NoDefaultFeatures bool
	// Kind is "normal" (the default), "dev" or "build".
	Kind string
	// Target is a platform such as "cfg(unix)", or empty for every target.
	Target string
}

// crateVersion is a stored version: its index line and .crate bytes.
type crateVersion struct {
	entry IndexEntry
	data  []byte
}

// fixedModTime keeps .crate files byte-for-byte reproducible.
var fixedModTime = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// buildCrate returns the .crate file for c and its index line. indexURL is
// the registry's clean index URL, written as each dependency's
// registry-index the way `cargo package` does for other registries.
func buildCrate(c Crate, indexURL string) (crateVersion, error) {
	if !validCrateName(c.Name) {
		return crateVersion{}, fmt.Errorf("invalid crate name %q", c.Name)
	}
	if !validVersion(c.Version) {
		return crateVersion{}, fmt.Errorf("invalid version %q of %s", c.Version, c.Name)
	}
	files := map[string]string{
		"Cargo.toml": manifest(c, indexURL),
		"src/lib.rs": libSource(c),
	}
	if c.Links != "" {
		files["build.rs"] = "fn main() {}\n"
	}
	for path, content := range c.Files {
		files[path] = content
	}
	data, err := tarGz(c.Name+"-"+c.Version, files)
	if err != nil {
		return crateVersion{}, err
	}
	sum := sha256.Sum256(data)
	features, features2, v := splitFeatures(c.Features)
	entry := IndexEntry{
		Name:      c.Name,
		Vers:      c.Version,
		Cksum:     hex.EncodeToString(sum[:]),
		Features:  features,
		Features2: features2,
		Yanked:    c.Yanked,
		V:         v,
		Pubtime:   time.Now().UTC().Format("2006-01-02T15:04:05Z"),
	}
	if c.Links != "" {
		links := c.Links
		entry.Links = &links
	}
	for _, d := range c.Deps {
		entry.Deps = append(entry.Deps, d.indexDep())
	}
	return crateVersion{entry: entry, data: data}, nil
}

func (d Dep) indexDep() IndexDep {
	dep := IndexDep{
		Name:            d.Name,
		Req:             d.req(),
		Features:        d.Features,
		Optional:        d.Optional,
		DefaultFeatures: !d.NoDefaultFeatures,
		Kind:            d.kind(),
	}
	if d.Rename != "" && d.Rename != d.Name {
		pkg := d.Name
		dep.Name, dep.Package = d.Rename, &pkg
	}
	if d.Target != "" {
		target := d.Target
		dep.Target = &target
	}
	return dep
}

func (d Dep) req() string {
	if d.Req == "" {
		return "*"
	}
	return d.Req
}

func (d Dep) kind() string {
	if d.Kind == "" {
		return "normal"
	}
	return d.Kind
}

func (d Dep) tomlName() string {
	if d.Rename != "" {
		return d.Rename
	}
	return d.Name
}

// manifest is the normalized Cargo.toml that `cargo package` would write.
func manifest(c Crate, indexURL string) string {
	var b strings.Builder
	b.WriteString("[package]\n")
	fmt.Fprintf(&b, "edition = \"2021\"\nname = %s\nversion = %s\n", tomlString(c.Name), tomlString(c.Version))
	fmt.Fprintf(&b, "description = %s\nlicense = \"MIT\"\n", tomlString(c.description()))
	if c.Links != "" {
		fmt.Fprintf(&b, "links = %s\nbuild = \"build.rs\"\n", tomlString(c.Links))
	}
	if len(c.Features) > 0 {
		b.WriteString("\n[features]\n")
		for _, name := range sortedKeys(c.Features) {
			fmt.Fprintf(&b, "%s = %s\n", tomlString(name), tomlArray(c.Features[name]))
		}
	}
	for _, d := range c.Deps {
		table := map[string]string{"normal": "dependencies", "dev": "dev-dependencies", "build": "build-dependencies"}[d.kind()]
		if table == "" {
			table = "dependencies"
		}
		if d.Target != "" {
			table = "target." + tomlString(d.Target) + "." + table
		}
		fmt.Fprintf(&b, "\n[%s.%s]\n", table, tomlString(d.tomlName()))
		fmt.Fprintf(&b, "version = %s\n", tomlString(d.req()))
		if d.Rename != "" && d.Rename != d.Name {
			fmt.Fprintf(&b, "package = %s\n", tomlString(d.Name))
		}
		fmt.Fprintf(&b, "registry-index = %s\n", tomlString(indexURL))
		if len(d.Features) > 0 {
			fmt.Fprintf(&b, "features = %s\n", tomlArray(d.Features))
		}
		if d.Optional {
			b.WriteString("optional = true\n")
		}
		if d.NoDefaultFeatures {
			b.WriteString("default-features = false\n")
		}
	}
	return b.String()
}

func (c Crate) description() string {
	if c.Description != "" {
		return c.Description
	}
	return "The " + c.Name + " test crate"
}

// libSource re-exports every unconditional normal dependency, so building a
// dependent proves the whole chain was fetched and compiled.
func libSource(c Crate) string {
	var b strings.Builder
	fmt.Fprintf(&b, "//! %s %s, served by the cargo-auth test registry.\n\n", c.Name, c.Version)
	fmt.Fprintf(&b, "/// The version of this crate.\npub fn version() -> &'static str {\n    %s\n}\n", tomlString(c.Version))
	for _, d := range c.Deps {
		if d.kind() == "normal" && !d.Optional && d.Target == "" {
			fmt.Fprintf(&b, "\npub use %s;\n", strings.ReplaceAll(d.tomlName(), "-", "_"))
		}
	}
	return b.String()
}

// tarGz packs files under root/ into a reproducible gzip'ed tar.
func tarGz(root string, files map[string]string) ([]byte, error) {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	if err != nil {
		return nil, err
	}
	tw := tar.NewWriter(zw)
	for _, path := range sortedKeys(files) {
		content := files[path]
		hdr := &tar.Header{
			Name:     root + "/" + path,
			Mode:     0o644,
			Size:     int64(len(content)),
			ModTime:  fixedModTime,
			Typeflag: tar.TypeReg,
			Format:   tar.FormatUSTAR,
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, err
		}
		if _, err := tw.Write([]byte(content)); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// tomlString quotes s as a TOML basic string.
func tomlString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, "\\u%04X", r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

func tomlArray(values []string) string {
	quoted := make([]string, len(values))
	for i, v := range values {
		quoted[i] = tomlString(v)
	}
	return "[" + strings.Join(quoted, ", ") + "]"
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
