package cargoconfig

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
)

// cargoHome is $CARGO_HOME (joined to the current directory when relative,
// cleaned as cargo's rustup proxy leaves it) or <home>/.cargo. An empty
// CARGO_HOME counts as unset, as in cargo's `home` crate.
func cargoHome(cwd, home string, env map[string]string) (string, error) {
	if h := env["CARGO_HOME"]; h != "" {
		if !filepath.IsAbs(h) {
			h = filepath.Join(cwd, h)
		}
		return filepath.Clean(h), nil
	}
	if home == "" {
		return "", errors.New("cargo couldn't find your home directory: $HOME is not set and CARGO_HOME is empty")
	}
	return filepath.Join(home, ".cargo"), nil
}

// ancestors lists dir and each of its parents up to the root, deepest first.
func ancestors(dir string) []string {
	dir = filepath.Clean(dir)
	var out []string
	for {
		out = append(out, dir)
		parent := filepath.Dir(dir)
		if parent == dir {
			return out
		}
		dir = parent
	}
}

// discoverFiles lists the configuration files cargo reads, deepest first:
// `.cargo/config` or `.cargo/config.toml` in cwd and each ancestor, then the
// one in CARGO_HOME unless CARGO_HOME is one of those `.cargo` directories.
func discoverFiles(cwd, home string, warn func(Warning)) []string {
	var files []string
	seen := map[string]bool{}
	for _, dir := range ancestors(cwd) {
		root := joinPath(dir, ".cargo")
		if p := filePath(root, "config", warn); p != "" {
			files = append(files, p)
		}
		seen[filepath.Clean(root)] = true
	}
	if !seen[filepath.Clean(home)] {
		if p := filePath(home, "config", warn); p != "" {
			files = append(files, p)
		}
	}
	return files
}

// filePath is cargo's choice between a legacy extension-less file and its
// `.toml` twin in dir: the legacy file wins when it exists, with a warning
// that says so (none when one is a link to the other).
func filePath(dir, name string, warn func(Warning)) string {
	legacy := joinPath(dir, name)
	modern := legacy + ".toml"
	legacyInfo, err := os.Stat(legacy)
	if err == nil {
		if modernInfo, err := os.Stat(modern); err == nil {
			if !os.SameFile(legacyInfo, modernInfo) {
				warn(Warning{
					Kind:    WarnLegacyShadows,
					Message: "both `" + legacy + "` and `" + modern + "` exist; cargo uses `" + legacy + "`",
					Origin:  Origin{Kind: OriginFile, Path: legacy},
				})
			}
		} else {
			warn(Warning{
				Kind:    WarnLegacyFile,
				Message: "`" + legacy + "` is deprecated in favor of `" + name + ".toml`",
				Origin:  Origin{Kind: OriginFile, Path: legacy},
			})
		}
		return legacy
	}
	if _, err := os.Stat(modern); err == nil {
		return modern
	}
	return ""
}

// pathExists is Rust's Path::exists: the path (followed through links)
// can be stat'ed.
func pathExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// hasTOMLExtension is Rust's `Path::extension() == Some("toml")`: the part
// of the file name after its last dot, when the name is not a bare dotfile.
func hasTOMLExtension(p string) bool {
	base := p
	if i := strings.LastIndex(base, "/"); i >= 0 {
		base = base[i+1:]
	}
	dot := strings.LastIndex(base, ".")
	return dot > 0 && base[dot+1:] == "toml"
}
