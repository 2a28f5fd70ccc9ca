package auth

// The configuration files the leak scanner reads, and what their lines
// mean: which key holds an index URL, which registry it belongs to.

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/cargo-auth/cargo-auth/cargoconfig"
	"github.com/cargo-auth/cargo-auth/cargoconfig/tomledit"
)

// configFilesToScan lists cargo's configuration files with the files they
// include and the --config files, each once, in the order cargo reads them.
func configFilesToScan(cfg *cargoconfig.Config, configArgs []string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	var visit func(path string, depth int) error
	visit = func(path string, depth int) error {
		if seen[path] || depth > 16 {
			return nil
		}
		seen[path] = true
		out = append(out, path)
		data, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("reading %s: %w", path, err)
		}
		doc, err := tomledit.Parse(path, data)
		if err != nil {
			return err
		}
		for _, inc := range includedFiles(doc, filepath.Dir(path)) {
			if _, err := os.Stat(inc); err == nil {
				if err := visit(inc, depth+1); err != nil {
					return err
				}
			}
		}
		return nil
	}
	for _, path := range cfg.Files() {
		if err := visit(path, 0); err != nil {
			return nil, err
		}
	}
	for _, arg := range configArgs {
		path := arg
		if !filepath.IsAbs(path) {
			path = filepath.Join(cfg.Cwd(), arg)
		}
		if info, err := os.Stat(path); err == nil && info.Mode().IsRegular() {
			if err := visit(path, 0); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// includedFiles reads a configuration file's `include` array (strings or
// {path = ...} tables), resolved against the file's directory.
func includedFiles(doc *tomledit.Document, dir string) []string {
	v, ok := doc.Get("include")
	if !ok {
		return nil
	}
	var out []string
	for _, e := range v.Elems() {
		p, ok := e.AsString()
		if !ok && e.Kind() == tomledit.KindInlineTable {
			// An inline table is read-only in tomledit: parse it alone.
			if t, err := tomledit.Parse("include", []byte("t = "+e.Raw()+"\n")); err == nil {
				if pv, found := t.Get("t", "path"); found {
					p, ok = pv.AsString()
				}
			}
		}
		if ok {
			out = append(out, joinConfigPath(dir, p))
		}
	}
	return out
}

func joinConfigPath(dir, p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(dir, p)
}

// lineKey is the configuration key whose value starts on a line.
type lineKey struct{ key, registry string }

// urlKeysByLine maps the lines of the values that hold index URLs
// (registries.<name>.index, source.<name>.registry, registry.index) to
// their key and registry, however the file spells the tables.
func urlKeysByLine(doc *tomledit.Document, sourceRegistry map[string]string) map[int]lineKey {
	out := map[int]lineKey{}
	put := func(registry string, key ...string) {
		if v, ok := doc.Get(key...); ok && v.Kind() == tomledit.KindString {
			out[v.Span().Line] = lineKey{key: strings.Join(key, "."), registry: registry}
		}
	}
	for _, name := range doc.Keys("registries") {
		put(name, "registries", name, "index")
	}
	for _, name := range doc.Keys("source") {
		put(sourceRegistry[name], "source", name, "registry")
	}
	put(cargoconfig.CratesIO, "registry", "index")
	return out
}

// configTokenKey is a `token` key of a configuration file.
type configTokenKey struct {
	path     []string
	registry string
}

// tokenKeys lists registry.token and registries.<name>.token.
func tokenKeys(doc *tomledit.Document) []configTokenKey {
	out := []configTokenKey{{path: []string{"registry", "token"}, registry: cargoconfig.CratesIO}}
	for _, name := range doc.Keys("registries") {
		out = append(out, configTokenKey{path: []string{"registries", name, "token"}, registry: name})
	}
	return out
}

// sourceRegistries maps every [source] name on a registry's replacement
// chain to the registry, so a token in [source.corp-authed] is corp's.
func sourceRegistries(cfg *cargoconfig.Config) map[string]string {
	out := map[string]string{}
	for _, r := range cfg.Registries() {
		chain, err := cfg.ReplacementOf(r.Name)
		if err != nil {
			continue
		}
		for _, s := range chain {
			if _, taken := out[s]; !taken {
				out[s] = r.Name
			}
		}
	}
	return out
}
