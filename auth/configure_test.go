package auth

import (
	"cmp"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/cargo-auth/cargo-auth/cargoconfig"
	"github.com/cargo-auth/cargo-auth/cargoconfig/tomledit"
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

// undoCase is a file before login, and what happens to it between login's
// edit and logout --unconfigure.
type undoCase struct {
	name string
	// before is the file's content; missing: there is no file.
	before  string
	missing bool
	// legacy writes $CARGO_HOME/config, the file cargo reads over
	// config.toml.
	legacy bool
	// logins are the edits login makes, in order (at least one).
	logins []configureOptions
	// between changes the file after login, as a user would ("" leaves it).
	between func(string) string
	// after is the file after logout --unconfigure; "" means before.
	after string
	// restored and note are in the result's Restored and Warnings.
	restored, note string
}

func (tt undoCase) run(t *testing.T) {
	e := newTokensEnv(t, nil).setenv("CARGO_REGISTRIES_CORP_INDEX=" + configureIndex)
	rel := ".cargo/config.toml"
	if tt.legacy {
		rel = ".cargo/config"
	}
	path := filepath.Join(e.dir, rel)
	if !tt.missing {
		e.writeFile(rel, tt.before)
	}
	f := e.factory()
	resolve := func() (*cargoconfig.Config, registryTarget) {
		t.Helper()
		cfg, err := f.CargoConfig(nil)
		if err != nil {
			t.Fatal(err)
		}
		target, err := resolveRegistry(cfg, "corp")
		if err != nil {
			t.Fatal(err)
		}
		return cfg, target
	}
	for _, opts := range tt.logins {
		cfg, target := resolve()
		if _, err := configureProvider(f, cfg, target, opts); err != nil {
			t.Fatal(flattenHints(err))
		}
	}
	if data, err := os.ReadFile(path); err != nil || !strings.Contains(string(data), "cargo-auth") {
		t.Fatalf("login did not configure cargo-auth in %s: %v\n%s", rel, err, data)
	}
	if tt.between != nil {
		data, _ := os.ReadFile(path)
		e.writeFile(rel, tt.between(string(data)))
	}
	cfg, target := resolve()
	res, err := unconfigureProvider(f, cfg, target, unconfigureOptions{})
	if err != nil {
		t.Fatal(flattenHints(err))
	}
	data, err := os.ReadFile(path)
	switch want := cmp.Or(tt.after, tt.before); {
	case tt.missing && tt.after == "":
		if !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s is still there (%v):\n%q", rel, err, data)
		}
	case err != nil:
		t.Fatal(err)
	case string(data) != want:
		t.Errorf("%s after login and logout --unconfigure:\n%q\nwant:\n%q", rel, data, want)
	}
	if !strings.Contains(res.Restored, tt.restored) || (tt.restored == "") != (res.Restored == "") {
		t.Errorf("Restored = %q, want %q", res.Restored, tt.restored)
	}
	warnings := strings.Join(res.Warnings, "\n")
	if (tt.note == "") != (warnings == "") || !strings.Contains(warnings, tt.note) {
		t.Errorf("warnings %q, want %q", warnings, tt.note)
	}
	// The record is gone with the configuration; its file is private.
	statePath, _ := configureStatePath(f)
	if st, err := loadConfigureState(statePath); err != nil || len(st.Files) != 0 {
		t.Errorf("the record of login's edits is left: %+v, %v", st, err)
	}
}

// login's edit of cargo's configuration, then logout --unconfigure, give
// the file back byte for byte when nothing else changed it; when the user
// changed it, the list alone goes back, or only cargo-auth goes.
func TestUnconfigureUndoesLoginExactly(t *testing.T) {
	login := []configureOptions{{}}
	for _, tt := range []undoCase{
		{name: "no file", missing: true, logins: login, restored: "which cargo auth login created"},
		{name: "empty file", logins: login, restored: "as it was before cargo auth login"},
		{name: "comments and other tables", before: "# My cargo settings.\n\n[net]\nretry = 3 # flaky wifi\n\n[registries.corp]\nindex = \"" + configureIndex + "\"\n\n# the end\n",
			logins: login, restored: "as it was before"},
		{name: "a registry table with other keys", before: "[registry]\ndefault = \"corp\" # mine\n[net]\nretry = 3\n", logins: login, restored: "as it was before"},
		{name: "dotted keys at the top", before: "registry.default = \"corp\"\nnet.retry = 3\n", logins: login, restored: "as it was before"},
		{name: "cargo:token already in the list", before: "[registry]\nglobal-credential-providers = [\n  \"cargo:token\", # for CI\n] # mine\n", logins: login, restored: "as it was before"},
		{name: "a multi-line list with comments", before: "[registry]\nglobal-credential-providers = [\n  \"cargo:libsecret\", # the book said so\n]\n\n[net]\nretry = 3\n",
			logins: login, restored: "as it was before"},
		{name: "CRLF and no final newline", before: "# windows\r\n[net]\r\nretry = 3", logins: login, restored: "as it was before"},
		{name: "the legacy config file", legacy: true, before: "[net]\nretry = 1\n", logins: login, restored: "as it was before"},
		{name: "the registry's own provider replaced", before: "[registries.corp]\nindex = \"" + configureIndex + "\"\ncredential-provider = \"cargo:token\" # its own\n\n[net]\nretry = 3\n",
			logins: []configureOptions{{ReplaceRegistryProvider: true}}, restored: "as it was before"},
		{name: "a second login pins a backend", before: "# mine\n[registry]\nglobal-credential-providers = [\"cargo:wincred\"]\n",
			logins: []configureOptions{{}, {PinBackend: "file", StoredIn: "file"}, {}}, restored: "as it was before"},
		{name: "another table added since", before: "[net]\nretry = 3\n", logins: login,
			between: func(s string) string { return s + "\n[http]\ntimeout = 30\n" },
			after:   "[net]\nretry = 3\n\n[http]\ntimeout = 30\n", restored: "registry.global-credential-providers is as it was before cargo auth login"},
		{name: "another table added since, the list existed", before: "[registry]\nglobal-credential-providers = [\"cargo:libsecret\"]\n", logins: login,
			between: func(s string) string { return "# added\n" + s },
			after:   "# added\n[registry]\nglobal-credential-providers = [\"cargo:libsecret\"]\n", restored: "registry.global-credential-providers is as it was before"},
		{name: "the list edited since", before: "[net]\nretry = 3\n", logins: login,
			between: func(s string) string {
				return strings.Replace(s, `["cargo:token", "cargo-auth"]`, `["cargo:token", "cargo:wincred", "cargo-auth"]`, 1)
			},
			after: "[net]\nretry = 3\n\n[registry]\nglobal-credential-providers = [\"cargo:token\", \"cargo:wincred\"]\n",
			note:  "changed since cargo auth login edited it: removed only cargo-auth and kept the other entries, cargo:token included (login had added it)"},
	} {
		t.Run(tt.name, tt.run)
	}
}

// Two registries configured one after the other, each with its own
// provider that login replaces: logging out of the first keeps cargo-auth
// (the second still needs it), logging out of the second gives back the
// file as it was before both logins, both providers included. The record
// is private meanwhile.
func TestUnconfigureUndoesEveryLoginOnceNoRegistryNeedsCargoAuth(t *testing.T) {
	const corp2 = "sparse+https://corp2.example/index/"
	before := "# mine\n[registries.corp]\nindex = \"" + configureIndex + "\"\ncredential-provider = \"cargo:token\" # corp's own\n\n" +
		"[registries.corp2]\nindex = \"" + corp2 + "\"\ncredential-provider = [\"cargo:token\"]\n\n[net]\nretry = 3\n"
	e := newTokensEnv(t, nil)
	e.writeFile(".cargo/config.toml", before)
	f := e.factory()
	run := func(name string, still ...string) configureResult {
		t.Helper()
		cfg, err := f.CargoConfig(nil)
		if err != nil {
			t.Fatal(err)
		}
		target, err := resolveRegistry(cfg, name)
		if err != nil {
			t.Fatal(err)
		}
		var res configureResult
		if still == nil {
			res, err = configureProvider(f, cfg, target, configureOptions{ReplaceRegistryProvider: true})
		} else {
			res, err = unconfigureProvider(f, cfg, target, unconfigureOptions{StillServed: still[1:]})
		}
		if err != nil {
			t.Fatal(flattenHints(err))
		}
		return res
	}
	run("corp")
	run("corp2")
	configured := e.cargoConfig()
	if strings.Contains(configured, "credential-provider = ") || !strings.Contains(configured, `global-credential-providers = ["cargo:token", "cargo-auth"]`) {
		t.Fatalf("after both logins:\n%s", configured)
	}
	statePath, _ := configureStatePath(f)
	if info, err := os.Stat(statePath); err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("the record of login's edits: %v, %v; want mode 0600", info, err)
	}
	if res := run("corp", "", "corp2"); e.cargoConfig() != configured || !strings.Contains(strings.Join(res.Warnings, "\n"), "it still serves corp2") {
		t.Fatalf("logout corp with corp2 logged in: warnings %q, file:\n%s", res.Warnings, e.cargoConfig())
	}
	if res := run("corp2", ""); e.cargoConfig() != before || !res.Changed || res.Restored == "" {
		t.Errorf("after both logouts (changed %v, restored %q):\n%s\nwant:\n%s", res.Changed, res.Restored, e.cargoConfig(), before)
	}
	if _, err := os.Stat(statePath); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the record outlives the configuration: %v", err)
	}
}

// composeUndo keeps the exact undo through edits anywhere in the file,
// before, after and across the spans of earlier ones.
func TestComposeUndo(t *testing.T) {
	orig := "# a\n[registry]\nx = 1\n\n[net]\nretry = 3\n"
	steps := []func(*tomledit.Document) error{
		func(d *tomledit.Document) error {
			return d.Set(tomledit.StringArray("cargo-auth"), "registry", "global-credential-providers")
		},
		func(d *tomledit.Document) error { return d.Delete("net", "retry") },
		func(d *tomledit.Document) error { return d.Set(tomledit.Integer(2), "registry", "x") },
		func(d *tomledit.Document) error { return d.Set(tomledit.String("corp"), "registry", "default") },
		func(d *tomledit.Document) error {
			return d.Set(tomledit.StringArray("cargo:token", "cargo-auth"), "registry", "global-credential-providers")
		},
		func(d *tomledit.Document) error { return d.Delete("registry", "x") },
		func(d *tomledit.Document) error { return d.Set(tomledit.Integer(1), "a", "b") },
	}
	cur := []byte(orig)
	var undo []undoSplice
	for i, step := range steps {
		d, err := tomledit.Parse("config.toml", cur)
		if err != nil {
			t.Fatal(err)
		}
		if err := step(d); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		undo = composeUndo([]byte(orig), undo, d.Edits())
		cur = slices.Clone(d.Bytes())
		back, ok := applyUndo(cur, undo)
		if !ok || string(back) != orig {
			t.Fatalf("step %d: undo %+v of\n%q\ngives\n%q", i, undo, cur, back)
		}
	}
}

// The record never holds what looks like a token: a line login removes
// that holds one is not kept, so that line is not given back, and the rest
// of login's edit is still undone.
func TestUnconfigureRecordsNoSecret(t *testing.T) {
	const secret = "cgatest_q8Zr2Lw9XkP4mT7vN1bY6cHs"
	own := "credential-provider = [\"cargo:token-from-stdout\", \"echo\", \"" + secret + "\"]\n"
	before := "[registries.corp]\nindex = \"" + configureIndex + "\"\n" + own + "\n[net]\nretry = 3\n"
	undoCase{name: "secret", before: before, logins: []configureOptions{{ReplaceRegistryProvider: true}},
		after:    strings.Replace(before, own, "", 1),
		restored: "registry.global-credential-providers is as it was before cargo auth login"}.run(t)

	e := newTokensEnv(t, nil).setenv("CARGO_REGISTRIES_CORP_INDEX=" + configureIndex)
	e.writeFile(".cargo/config.toml", before)
	f := e.factory()
	cfg, _ := f.CargoConfig(nil)
	target, _ := resolveRegistry(cfg, "corp")
	if _, err := configureProvider(f, cfg, target, configureOptions{ReplaceRegistryProvider: true}); err != nil {
		t.Fatal(flattenHints(err))
	}
	statePath, _ := configureStatePath(f)
	data, err := os.ReadFile(statePath)
	if err != nil || strings.Contains(string(data), secret) {
		t.Errorf("the record (%v) holds the secret:\n%s", err, data)
	}
}
