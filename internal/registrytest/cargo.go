package registrytest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// EnvName is a registry name as cargo spells it in environment variables:
// upper-cased, '-' turned into '_'.
func EnvName(name string) string {
	return strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
}

// Env is the environment that defines this registry for cargo under name:
// CARGO_REGISTRIES_<NAME>_INDEX and, with TLS, CARGO_HTTP_CAINFO and
// GIT_SSL_CAINFO. It sets no token and no credential provider.
func (r *Registry) Env(name string) []string {
	env := []string{"CARGO_REGISTRIES_" + EnvName(name) + "_INDEX=" + r.IndexURL()}
	if r.caFile != "" {
		env = append(env, "CARGO_HTTP_CAINFO="+r.caFile, "GIT_SSL_CAINFO="+r.caFile)
	}
	return env
}

// ConfigTOML is a .cargo/config.toml snippet defining this registry under
// name and, with TLS, trusting its CA. It sets no token and no credential
// provider.
func (r *Registry) ConfigTOML(name string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "[registries.%s]\nindex = %s\n", name, tomlString(r.IndexURL()))
	if r.caFile != "" {
		fmt.Fprintf(&b, "\n[http]\ncainfo = %s\n", tomlString(r.caFile))
	}
	return b.String()
}

// Project is a cargo library package that depends on crates of a registry
// named in its cargo configuration.
type Project struct {
	// Name is the package name; Version defaults to 0.1.0.
	Name    string
	Version string
	// Registry is the registry name the dependencies come from.
	Registry string
	// Deps maps a crate of the registry to a version requirement.
	Deps map[string]string
	// PublishTo, when set, restricts publishing to that registry.
	PublishTo string
}

// WriteProject lays out p in dir: Cargo.toml and a src/lib.rs that uses
// every dependency, so building it proves they were fetched.
func WriteProject(dir string, p Project) error {
	version := p.Version
	if version == "" {
		version = "0.1.0"
	}
	var manifest strings.Builder
	fmt.Fprintf(&manifest, "[package]\nname = %s\nversion = %s\nedition = \"2021\"\n", tomlString(p.Name), tomlString(version))
	fmt.Fprintf(&manifest, "description = %s\nlicense = \"MIT\"\n", tomlString("The "+p.Name+" test project"))
	if p.PublishTo != "" {
		fmt.Fprintf(&manifest, "publish = [%s]\n", tomlString(p.PublishTo))
	}
	manifest.WriteString("\n[dependencies]\n")
	lib := fmt.Sprintf("//! %s, a project of the cargo-auth test registry.\n", p.Name)
	for _, dep := range sortedKeys(p.Deps) {
		fmt.Fprintf(&manifest, "%s = { version = %s, registry = %s }\n", dep, tomlString(p.Deps[dep]), tomlString(p.Registry))
		lib += fmt.Sprintf("\npub use %s;\n", strings.ReplaceAll(dep, "-", "_"))
	}
	if err := os.MkdirAll(filepath.Join(dir, "src"), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "Cargo.toml"), []byte(manifest.String()), 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "src", "lib.rs"), []byte(lib), 0o644)
}
