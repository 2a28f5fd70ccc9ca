package auth

import (
	"errors"
	"os"
	"path/filepath"

	"github.com/cargo-auth/cargo-auth/cargoconfig/tomledit"
)

// errNoWorkspace means no Cargo.toml was found in a directory or above it.
var errNoWorkspace = errors.New("no Cargo.toml in this directory or any parent")

// workspace is the cargo workspace around a directory: where Cargo.lock
// lives and the manifests that may name registries inline.
type workspace struct {
	// Root is the workspace root directory (the one holding Cargo.lock).
	Root string
	// Manifests are the root manifest and, when it differs, the manifest
	// of the package the directory is in.
	Manifests []string
}

// Lockfile is the workspace's Cargo.lock.
func (w workspace) Lockfile() string { return filepath.Join(w.Root, "Cargo.lock") }

// findWorkspace finds the workspace the way cargo does for a command run
// in dir: the nearest Cargo.toml in dir or a parent is the package; its
// `package.workspace` key names the root when set; otherwise the nearest
// Cargo.toml at or above it with a [workspace] table is the root; otherwise
// the package is its own root. It returns errNoWorkspace when there is no
// Cargo.toml at all. Manifests that do not parse are passed over (cargo
// will say what is wrong with them).
func findWorkspace(dir string) (workspace, error) {
	pkg := ""
	for _, d := range ancestorDirs(dir) {
		if fileExists(filepath.Join(d, "Cargo.toml")) {
			pkg = filepath.Join(d, "Cargo.toml")
			break
		}
	}
	if pkg == "" {
		return workspace{}, errNoWorkspace
	}
	root := ""
	if doc := parseManifest(pkg); doc != nil {
		if v, ok := doc.Get("package", "workspace"); ok {
			if p, ok := v.AsString(); ok {
				root = joinConfigPath(filepath.Dir(pkg), p)
			}
		}
	}
	if root == "" {
		for _, d := range ancestorDirs(filepath.Dir(pkg)) {
			manifest := filepath.Join(d, "Cargo.toml")
			if doc := parseManifest(manifest); doc != nil && doc.Keys("workspace") != nil {
				root = d
				break
			}
		}
	}
	if root == "" {
		root = filepath.Dir(pkg)
	}
	w := workspace{Root: filepath.Clean(root), Manifests: []string{filepath.Join(root, "Cargo.toml")}}
	if pkg != w.Manifests[0] {
		w.Manifests = append(w.Manifests, pkg)
	}
	return w, nil
}

// parseManifest reads a Cargo.toml, nil when it is missing or malformed.
func parseManifest(path string) *tomledit.Document {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	doc, err := tomledit.Parse(path, data)
	if err != nil {
		return nil
	}
	return doc
}

// ancestorDirs lists dir and each parent up to the root, nearest first.
func ancestorDirs(dir string) []string {
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

func fileExists(path string) bool {
	info, err := os.Stat(path)
	return err == nil && info.Mode().IsRegular()
}

// scanWorkspace scans the workspace's Cargo.lock (where cargo records each
// registry's index URL, token included when the URL holds one) and its
// manifests (an inline `registry-index`). No workspace, or no lockfile yet,
// is nothing to report.
func (s *leakScanner) scanWorkspace() error {
	w, err := findWorkspace(s.cwd)
	if err != nil {
		return nil
	}
	noKey := func(int) (string, string) { return "", "" }
	for _, path := range append([]string{w.Lockfile()}, w.Manifests...) {
		data, err := os.ReadFile(path)
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			return err
		}
		s.scanText(path, string(data), noKey)
	}
	return nil
}
