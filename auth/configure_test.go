package auth

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const configureIndex = "sparse+https://corp.example/index/"

// configureCase runs configureProvider on $CARGO_HOME/config.toml holding
// before (and any other files) and checks the file and cargo's chain.
type configureCase struct {
	name    string
	before  string
	files   map[string]string
	env     []string
	opts    configureOptions
	after   string
	chain   []string
	warning string
	err     string
}

func (tt configureCase) run(t *testing.T) {
	e := newTokensEnv(t, nil).setenv("CARGO_REGISTRIES_CORP_INDEX=" + configureIndex).setenv(tt.env...)
	// cargo-auth on PATH, as after `cargo install`.
	bin := e.writeFile("bin/cargo-auth", "#!/bin/sh\n")
	os.Chmod(bin, 0o755)
	e.setenv("PATH=" + filepath.Dir(bin))
	if tt.before != "" {
		e.writeFile(".cargo/config.toml", tt.before)
	}
	for rel, content := range tt.files {
		e.writeFile(rel, content)
	}
	f := e.factory()
	cfg, err := f.CargoConfig(nil)
	if err != nil {
		t.Fatal(err)
	}
	target, err := resolveRegistry(cfg, "corp")
	if err != nil {
		t.Fatal(err)
	}
	res, err := configureProvider(f, cfg, target, tt.opts)
	if tt.err != "" {
		if err == nil || !strings.Contains(flattenHints(err), tt.err) {
			t.Fatalf("err = %v, want %q", err, tt.err)
		}
		if got := e.cargoConfig(); got != tt.before {
			t.Errorf("the file changed on error:\n%s", got)
		}
		return
	}
	if err != nil {
		t.Fatal(flattenHints(err))
	}
	if got := e.cargoConfig(); got != tt.after {
		t.Errorf("config.toml:\n%s\nwant:\n%s", got, tt.after)
	}
	if got := e.chain(); !slices.Equal(got, tt.chain) {
		t.Errorf("cargo's chain = %q, want %q", got, tt.chain)
	}
	if got := providerWords(res.Chain); !slices.Equal(got, tt.chain) {
		t.Errorf("reported chain = %q, want %q", got, tt.chain)
	}
	warnings := strings.Join(res.Warnings, "\n")
	if (tt.warning == "") != (warnings == "") || !strings.Contains(warnings, tt.warning) {
		t.Errorf("warnings %q, want %q", warnings, tt.warning)
	}
	// A second run changes nothing.
	cfg, _ = f.CargoConfig(nil)
	if res, err := configureProvider(f, cfg, target, tt.opts); err != nil || res.Changed || e.cargoConfig() != tt.after {
		t.Errorf("second run: changed %v, err %v", res.Changed, err)
	}
}

func TestConfigureProvider(t *testing.T) {
	for _, tt := range []configureCase{
		{
			name:  "no file",
			after: "[registry]\nglobal-credential-providers = [\"cargo:token\", \"cargo-auth\"]\n",
			chain: []string{"cargo-auth", "cargo:token"},
		},
		{
			name:   "other settings and comments kept",
			before: "# mine\n[net]\nretry = 3 # flaky wifi\n",
			after:  "# mine\n[net]\nretry = 3 # flaky wifi\n\n[registry]\nglobal-credential-providers = [\"cargo:token\", \"cargo-auth\"]\n",
			chain:  []string{"cargo-auth", "cargo:token"},
		},
		{
			name:    "an existing list gains cargo:token and cargo-auth",
			before:  "[registry]\nglobal-credential-providers = [\"cargo:libsecret\"] # book\n",
			after:   "[registry]\nglobal-credential-providers = [\"cargo:token\", \"cargo:libsecret\", \"cargo-auth\"] # book\n",
			chain:   []string{"cargo-auth", "cargo:libsecret", "cargo:token"},
			warning: "cargo:libsecret",
		},
		{
			name:   "cargo-auth moved last, cargo:token kept in place",
			before: "registry.global-credential-providers = [\"cargo-auth\", \"cargo:token\"]\n",
			after:  "registry.global-credential-providers = [\"cargo:token\", \"cargo-auth\"]\n",
			chain:  []string{"cargo-auth", "cargo:token"},
		},
		{
			name:   "an entry with arguments is kept",
			before: "[registry]\nglobal-credential-providers = [\"cargo:token\", \"cargo-auth --backend keyctl\"]\n",
			env:    []string{"CARGO_AUTH_BACKEND=keyctl"},
			after:  "[registry]\nglobal-credential-providers = [\"cargo:token\", \"cargo-auth --backend keyctl\"]\n",
			chain:  []string{"cargo-auth --backend keyctl", "cargo:token"},
		},
		{
			name:  "a pinned backend",
			opts:  configureOptions{PinBackend: "file", StoredIn: "file"},
			after: "[registry]\nglobal-credential-providers = [\"cargo:token\", \"cargo-auth --backend file\"]\n",
			chain: []string{"cargo-auth --backend file", "cargo:token"},
		},
		{
			name:    "a pinned backend replaces another",
			before:  "[registry]\nglobal-credential-providers = [\"cargo:token\", \"cargo-auth --backend keyctl\"]\n",
			opts:    configureOptions{PinBackend: "file", StoredIn: "file"},
			after:   "[registry]\nglobal-credential-providers = [\"cargo:token\", \"cargo-auth --backend file\"]\n",
			chain:   []string{"cargo-auth --backend file", "cargo:token"},
			warning: "tokens stored in another backend are no longer found",
		},
		{
			name:    "the provider would open another backend",
			before:  "[registry]\nglobal-credential-providers = [\"cargo:token\", \"cargo-auth --backend keyctl\"]\n",
			opts:    configureOptions{StoredIn: "file"},
			after:   "[registry]\nglobal-credential-providers = [\"cargo:token\", \"cargo-auth --backend keyctl\"]\n",
			chain:   []string{"cargo-auth --backend keyctl", "cargo:token"},
			warning: "cargo runs cargo-auth with the keyctl backend",
		},
		{
			name:   "the registry's own provider is replaced on request",
			before: "[registries.corp]\ncredential-provider = \"cargo:token\"\n",
			opts:   configureOptions{ReplaceRegistryProvider: true},
			after:  "[registries.corp]\n\n[registry]\nglobal-credential-providers = [\"cargo:token\", \"cargo-auth\"]\n",
			chain:  []string{"cargo-auth", "cargo:token"},
		},
		{
			name:   "the registry's own provider is not replaced silently",
			before: "[registries.corp]\ncredential-provider = \"cargo:libsecret\"\n",
			err:    "registry corp has its own credential-provider \"cargo:libsecret\"",
		},
		{
			name: "the registry's own provider in a variable",
			env:  []string{"CARGO_REGISTRIES_CORP_CREDENTIAL_PROVIDER=cargo:token"},
			opts: configureOptions{ReplaceRegistryProvider: true},
			err:  "unset CARGO_REGISTRIES_CORP_CREDENTIAL_PROVIDER",
		},
		{
			name:    "the registry's own provider already is cargo-auth",
			before:  "[registries.corp]\ncredential-provider = [\"cargo-auth\", \"--backend\", \"keyctl\"]\n",
			env:     []string{"CARGO_AUTH_BACKEND=keyctl"},
			after:   "[registries.corp]\ncredential-provider = [\"cargo-auth\", \"--backend\", \"keyctl\"]\n",
			chain:   []string{"cargo-auth --backend keyctl"},
			warning: "nothing after cargo-auth reads CARGO_REGISTRIES_*_TOKEN",
		},
		{
			name:    "a variable puts a provider first",
			env:     []string{"CARGO_REGISTRY_GLOBAL_CREDENTIAL_PROVIDERS=cargo:libsecret"},
			after:   "[registry]\nglobal-credential-providers = [\"cargo:token\", \"cargo-auth\"]\n",
			chain:   []string{"cargo:libsecret", "cargo-auth", "cargo:token"},
			warning: "cargo asks cargo:libsecret (environment variable CARGO_REGISTRY_GLOBAL_CREDENTIAL_PROVIDERS) for corp's token before cargo-auth",
		},
		{
			name:   "not an array",
			before: "[registry]\nglobal-credential-providers = \"cargo:token\"\n",
			err:    "config.toml:2: registry.global-credential-providers is not an array of strings",
		},
	} {
		t.Run(tt.name, tt.run)
	}
}

func TestConfigureProviderEditsTheLegacyFileCargoReads(t *testing.T) {
	e := newTokensEnv(t, nil).setenv("CARGO_REGISTRIES_CORP_INDEX=" + configureIndex)
	legacy := e.writeFile(".cargo/config", "[net]\nretry = 1\n")
	f := e.factory()
	cfg, _ := f.CargoConfig(nil)
	target, _ := resolveRegistry(cfg, "corp")
	res, err := configureProvider(f, cfg, target, configureOptions{})
	if err != nil || res.Path != legacy || !res.Changed {
		t.Fatalf("path %s changed %v err %v", res.Path, res.Changed, err)
	}
	if _, err := os.Stat(filepath.Join(e.dir, ".cargo", "config.toml")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("config.toml was created next to the legacy file cargo reads")
	}
	if got := e.chain(); !slices.Equal(got, []string{"cargo-auth", "cargo:token"}) {
		t.Errorf("chain %q", got)
	}
	if !slices.ContainsFunc(res.Warnings, func(w string) bool { return strings.Contains(w, "not on PATH") }) {
		t.Errorf("no warning that cargo-auth is not on PATH: %q", res.Warnings)
	}
}

func TestConfigureProviderDryRun(t *testing.T) {
	e := newTokensEnv(t, nil).setenv("CARGO_REGISTRIES_CORP_INDEX=" + configureIndex)
	e.writeFile(".cargo/config.toml", "[net]\nretry = 1\n")
	f := e.factory()
	cfg, _ := f.CargoConfig(nil)
	target, _ := resolveRegistry(cfg, "corp")
	res, err := configureProvider(f, cfg, target, configureOptions{DryRun: true})
	if err != nil || !res.Changed || !strings.Contains(res.Diff, `+global-credential-providers = ["cargo:token", "cargo-auth"]`) {
		t.Fatalf("changed %v err %v diff:\n%s", res.Changed, err, res.Diff)
	}
	if e.cargoConfig() != "[net]\nretry = 1\n" {
		t.Errorf("dry run wrote the file")
	}
}

func TestUnconfigureProvider(t *testing.T) {
	tests := []struct {
		name, before, after string
		still               []string
		warning             string
	}{
		{name: "entry removed, cargo:token kept", before: "[registry]\nglobal-credential-providers = [\"cargo:token\", \"cargo-auth\"]\n", after: "[registry]\nglobal-credential-providers = [\"cargo:token\"]\n"},
		{name: "only entry: key removed", before: "# x\n[registry]\nglobal-credential-providers = [\"cargo-auth --backend file\"]\ndefault = \"corp\"\n", after: "# x\n[registry]\ndefault = \"corp\"\n"},
		{name: "still needed", before: "[registry]\nglobal-credential-providers = [\"cargo:token\", \"cargo-auth\"]\n", after: "[registry]\nglobal-credential-providers = [\"cargo:token\", \"cargo-auth\"]\n", still: []string{"other"}, warning: "it still serves other"},
		{name: "own provider removed", before: "[registries.corp]\ncredential-provider = \"cargo-auth\"\nindex = \"" + configureIndex + "\"\n", after: "[registries.corp]\nindex = \"" + configureIndex + "\"\n"},
		{name: "nothing to do", before: "[net]\nretry = 1\n", after: "[net]\nretry = 1\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTokensEnv(t, nil).setenv("CARGO_REGISTRIES_CORP_INDEX=" + configureIndex)
			e.writeFile(".cargo/config.toml", tt.before)
			f := e.factory()
			cfg, _ := f.CargoConfig(nil)
			target, _ := resolveRegistry(cfg, "corp")
			res, err := unconfigureProvider(f, cfg, target, unconfigureOptions{StillServed: tt.still})
			if err != nil {
				t.Fatal(err)
			}
			if got := e.cargoConfig(); got != tt.after {
				t.Errorf("config.toml:\n%s\nwant:\n%s", got, tt.after)
			}
			if res.Changed != (tt.before != tt.after) {
				t.Errorf("Changed = %v", res.Changed)
			}
			warnings := strings.Join(res.Warnings, "\n")
			if (tt.warning == "") != (warnings == "") || !strings.Contains(warnings, tt.warning) {
				t.Errorf("warnings %q, want %q", warnings, tt.warning)
			}
		})
	}
}

func TestWithCargoAuthLast(t *testing.T) {
	tests := []struct {
		items []string
		entry string
		pin   bool
		want  []string
	}{
		{nil, "cargo-auth", false, []string{"cargo:token", "cargo-auth"}},
		{[]string{"cargo:token"}, "cargo-auth", false, []string{"cargo:token", "cargo-auth"}},
		{[]string{"cargo-auth", "cargo-auth", "cargo:wincred"}, "cargo-auth", false, []string{"cargo:token", "cargo:wincred", "cargo-auth"}},
		{[]string{"/opt/bin/cargo-auth --backend pass"}, "cargo-auth", false, []string{"cargo:token", "/opt/bin/cargo-auth --backend pass"}},
		{[]string{"/opt/bin/cargo-auth --backend pass"}, "cargo-auth --backend file", true, []string{"cargo:token", "cargo-auth --backend file"}},
		{[]string{"cargo-authority"}, "cargo-auth", false, []string{"cargo:token", "cargo-authority", "cargo-auth"}},
	}
	for _, tt := range tests {
		if got, _ := withCargoAuthLast(tt.items, tt.entry, tt.pin); !slices.Equal(got, tt.want) {
			t.Errorf("withCargoAuthLast(%q, %q) = %q, want %q", tt.items, tt.entry, got, tt.want)
		}
	}
}
