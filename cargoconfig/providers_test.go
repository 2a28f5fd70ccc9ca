package cargoconfig

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func fmtAll(v any) string {
	b, _ := json.Marshal(v)
	return fmt.Sprintf("%v %+v %#v %s %q %s", v, v, v, v, v, b)
}

func argvs(ps []Provider) string {
	var out []string
	for _, p := range ps {
		out = append(out, strings.Join(p.Argv, " "))
	}
	return strings.Join(out, " | ")
}

func TestProviders(t *testing.T) {
	const base = `[registries.corp]
index = "sparse+https://corp.example/index/"
[registries.own]
index = "https://own.example/index"
credential-provider = "/bin/own --x"
[registries.aliased]
index = "https://aliased.example/index"
credential-provider = "myalias"
[registries.builtin-alias]
index = "https://b.example/index"
credential-provider = "cargo:token"
[credential-alias]
myalias = ["/bin/aliased", "a b"]
"cargo:token" = "/bin/shadow"
`
	tests := []struct {
		name, config string
		env, args    []string
		registry     string
		auth         bool
		want         string
		wantErr      error
	}{
		// Without a global list cargo uses cargo:token...
		{name: "default", registry: "corp", want: "cargo:token"},
		// ...but refuses an auth-required registry.
		{name: "auth required, nothing configured", registry: "corp", auth: true, wantErr: ErrProviderRequired},
		// A registry's own provider is the whole chain, even when
		// authentication is required and no global list exists.
		{name: "own provider", registry: "own", auth: true, want: "/bin/own --x"},
		// An alias is resolved for an entry without arguments.
		{name: "alias", registry: "aliased", want: "/bin/aliased a b"},
		// A built-in name is never replaced by an alias.
		{name: "builtin not aliased", registry: "builtin-alias", want: "cargo:token"},
		// Global lists are tried last entry first; each entry is split on
		// whitespace.
		{name: "global reversed", config: "[registry]\nglobal-credential-providers = [\"cargo:token\", \"/bin/p --flag\", \"myalias\"]\n",
			registry: "corp", auth: true, want: "/bin/aliased a b | /bin/p --flag | cargo:token"},
		// An empty global list counts as none.
		{name: "empty global", config: "[registry]\nglobal-credential-providers = []\n", registry: "corp", auth: true, wantErr: ErrProviderRequired},
		// Variable words come after the files and before --config entries,
		// so cargo tries --config first, then the variable, then files.
		{name: "global env and cli", config: "[registry]\nglobal-credential-providers = [\"/bin/file\"]\n",
			env:      []string{"CARGO_REGISTRY_GLOBAL_CREDENTIAL_PROVIDERS=/bin/e1 /bin/e2"},
			args:     []string{`registry.global-credential-providers=["/bin/cli"]`},
			registry: "corp", want: "/bin/cli | /bin/e2 | /bin/e1 | /bin/file"},
		// The registry's variable beats its file value; --config beats both.
		{name: "env provider", env: []string{"CARGO_REGISTRIES_OWN_CREDENTIAL_PROVIDER=/bin/env a"}, registry: "own", want: "/bin/env a"},
		{name: "cli provider", env: []string{"CARGO_REGISTRIES_OWN_CREDENTIAL_PROVIDER=/bin/env a"},
			args: []string{`registries.own.credential-provider="/bin/cli b"`}, registry: "own", want: "/bin/cli b"},
		// A variable alias works like a [credential-alias] entry.
		{name: "env alias", config: "[registry]\nglobal-credential-providers = [\"envalias\"]\n",
			env: []string{"CARGO_CREDENTIAL_ALIAS_ENVALIAS=/bin/fromenv --e"}, registry: "corp", want: "/bin/fromenv --e"},
		// A relative program path is joined to the directory above .cargo.
		{name: "relative path", config: "[registry]\nglobal-credential-providers = [\"bin/rel\"]\n",
			registry: "corp", want: "@ROOT@/w/bin/rel"},
		{name: "unknown registry", registry: "nope", wantErr: errors.New("registry index was not found in any configuration: `nope`")},
		{name: "crates-io", config: "[registry]\ncredential-provider = \"/bin/crates\"\n", registry: CratesIO, want: "/bin/crates"},
		{name: "registry.index refused", config: "[registry]\nindex = \"https://x/\"\n", registry: CratesIO,
			wantErr: errors.New("the `registry.index` config value is no longer supported")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := writeFiles(t, map[string]string{"w/.cargo/config.toml": base + tt.config})
			c := mustLoad(t, root, "w", tt.env, tt.args...)
			got, err := c.Providers(tt.registry, tt.auth)
			if tt.wantErr != nil {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr.Error()) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if s := strings.ReplaceAll(argvs(got), root, "@ROOT@"); s != tt.want {
				t.Errorf("providers = %s, want %s", s, tt.want)
			}
		})
	}
}

func TestProviderWarnings(t *testing.T) {
	root := writeFiles(t, map[string]string{"w/.cargo/config.toml": `[registries.own]
index = "https://own.example/index"
credential-provider = "/bin/own"
token = "tok-1234567890"
[registries.plain]
index = "https://plain.example/index"
token = "tok-0987654321"
[registry]
global-credential-providers = ["/bin/global"]
[credential-alias]
"cargo:token" = "/bin/shadow"
`})
	c := mustLoad(t, root, "w", nil)
	kinds := map[WarningKind]int{}
	for _, w := range c.Warnings() {
		kinds[w.Kind]++
		if strings.Contains(w.String(), "tok-") {
			t.Errorf("warning shows a token: %s", w)
		}
	}
	// Both tokens are ignored: one registry has its own provider, the other
	// relies on a global list without cargo:token.
	if kinds[WarnTokenIgnored] != 2 {
		t.Errorf("token warnings = %d, want 2: %v", kinds[WarnTokenIgnored], c.Warnings())
	}
	// The alias named like a built-in is not used by this configuration,
	// so cargo says nothing about it.
	if kinds[WarnAliasShadowsBuiltin] != 0 {
		t.Errorf("alias warnings = %d", kinds[WarnAliasShadowsBuiltin])
	}
}

func TestRegistryNames(t *testing.T) {
	if got := EnvPrefix("a-b"); got != "CARGO_REGISTRIES_A_B" {
		t.Errorf("EnvPrefix(a-b) = %s", got)
	}
	root := writeFiles(t, map[string]string{"w/.cargo/config.toml": `[registries.a-b]
index = "https://ab.example/index"
credential-provider = "/bin/p1"
[registries.a_b]
index = "https://ab2.example/index"
credential-provider = "/bin/p2"
[registries.same1]
index = "https://same.example/index/"
[registries.same2]
index = "https://same.example/index.git"
`})
	c := mustLoad(t, root, "w", nil)
	var kinds []WarningKind
	for _, w := range c.Warnings() {
		kinds = append(kinds, w.Kind)
	}
	if fmt.Sprint(kinds) != fmt.Sprint([]WarningKind{WarnNameCollision}) {
		t.Errorf("warnings = %v", c.Warnings())
	}
	// Canonical URLs ignore a trailing slash and `.git`.
	if _, err := c.Providers("same1", false); err == nil || !strings.Contains(err.Error(), "multiple registries are configured with the same index url 'registry+https://same.example/index/': same1, same2") {
		t.Errorf("err = %v", err)
	}
	// An index given by CARGO_REGISTRIES_A_B_INDEX makes cargo name the
	// registry `a_b` (the variable's name lower-cased), so `a-b` gets the
	// settings of `[registries.a_b]`.
	c = mustLoad(t, root, "w", []string{"CARGO_REGISTRIES_A_B_INDEX=https://ab.example/index"})
	p, err := c.Providers("a-b", false)
	if err != nil || argvs(p) != "/bin/p2" {
		t.Errorf("a-b providers = %s, %v; want /bin/p2", argvs(p), err)
	}
	// A registry defined by the environment alone is listed lower-cased.
	c = mustLoad(t, root, "w", []string{"CARGO_REGISTRIES_ENVREG_INDEX=sparse+https://env.example/"})
	r, ok := c.Registry("envreg")
	if !ok || !r.EnvOnly || r.Protocol != ProtocolSparse || r.Index.Origin.Env != "CARGO_REGISTRIES_ENVREG_INDEX" {
		t.Errorf("envreg = %+v", r)
	}
	names := []string{}
	for _, r := range c.Registries() {
		names = append(names, r.Name)
	}
	if strings.Join(names, ",") != "a-b,a_b,envreg,same1,same2" {
		t.Errorf("registries = %v", names)
	}
}

func TestRegistryByIndexCanonical(t *testing.T) {
	tests := []struct{ a, b string }{
		{"https://x.example/index", "https://X.EXAMPLE/index/"},
		{"https://x.example/index.git", "https://x.example/index"},
		{"https://github.com/Acme/Index", "http://github.com/acme/index.git"},
		{"sparse+https://x.example/a/./b/../", "sparse+https://x.example/a/"},
		{"https://x.example:443/i", "https://x.example/i"},
	}
	for _, tt := range tests {
		ca, err1 := canonicalURL(tt.a)
		cb, err2 := canonicalURL(tt.b)
		if err1 != nil || err2 != nil || ca != cb {
			t.Errorf("canonical(%s) = %s, canonical(%s) = %s (%v %v)", tt.a, ca, tt.b, cb, err1, err2)
		}
	}
	if a, _ := canonicalURL("sparse+https://x.example/"); a == "https://x.example" {
		t.Errorf("sparse and git indexes must differ")
	}
}

func TestRegistryIndexChecks(t *testing.T) {
	root := writeFiles(t, map[string]string{"w/.cargo/config.toml": `[registries.pw]
index = "https://user:secret@x.example/index"
[registries.noslash]
index = "sparse+https://x.example/index"
`})
	c := mustLoad(t, root, "w", nil)
	if _, err := c.RegistryIndex("pw"); err == nil || !strings.Contains(err.Error(), "registry URLs may not contain passwords") || strings.Contains(err.Error(), "secret") {
		t.Errorf("pw: %v", err)
	}
	if _, err := c.RegistryIndex("noslash"); err == nil || !strings.Contains(err.Error(), "sparse registry url must end in a slash") {
		t.Errorf("noslash: %v", err)
	}
}

func TestConfigArgs(t *testing.T) {
	root := writeFiles(t, map[string]string{"w/cli.toml": "[registries.f]\nindex = \"https://f/\"\n"})
	tests := []struct {
		arg, want string
	}{
		{`registries.x.token="t"`, "registries.x.token cannot be set through --config for security reasons"},
		{`registry.token="t"`, "registry.token cannot be set through --config"},
		{`registries.x={index="y"}`, "sets a value to an inline table"},
		{`[registries]`, "was not a TOML dotted key expression"},
		{`a=1 # c`, "non-whitespace decoration"},
		{`nope.toml`, "as a dotted key expression"},
	}
	for _, tt := range tests {
		if _, err := loadAt(t, root, "w", nil, tt.arg); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("--config %s: err = %v, want %q", tt.arg, err, tt.want)
		}
	}
	c := mustLoad(t, root, "w", nil, "cli.toml", `registries.x.index="https://x/"`)
	if got := getStr(t, c, "registries.f.index").Origin; got.Kind != OriginCLI || !strings.HasSuffix(got.Path, "cli.toml") {
		t.Errorf("file arg origin = %+v", got)
	}
	if got := getStr(t, c, "registries.x.index").Origin.String(); got != `--config 'registries.x.index="https://x/"'` {
		t.Errorf("origin = %s", got)
	}
}

func TestSettings(t *testing.T) {
	root := writeFiles(t, map[string]string{"w/.cargo/config.toml": "[http]\ncainfo = \"certs/ca.pem\"\n[net]\ngit-fetch-with-cli = true\n"})
	c := mustLoad(t, root, "w/sub", nil)
	// Paths are relative to the directory above .cargo, not the cwd.
	if p, ok, err := c.HTTPCAInfo(); err != nil || !ok || p.Value != root+"/w/certs/ca.pem" {
		t.Errorf("cainfo = %v %v %v", p, ok, err)
	}
	if b, ok, err := c.GitFetchWithCLI(); err != nil || !ok || !b.Value {
		t.Errorf("git-fetch-with-cli = %v %v %v", b, ok, err)
	}
	c = mustLoad(t, root, "w/sub", []string{"CARGO_NET_GIT_FETCH_WITH_CLI=false", "CARGO_HTTP_CAINFO=rel.pem"})
	if b, _, _ := c.GitFetchWithCLI(); b.Value || b.Origin.Kind != OriginEnv {
		t.Errorf("env git-fetch-with-cli = %+v", b)
	}
	if p, _, _ := c.HTTPCAInfo(); p.Value != root+"/w/sub/rel.pem" {
		t.Errorf("env cainfo = %v", p.Value)
	}
}

func TestResolve(t *testing.T) {
	root := writeFiles(t, map[string]string{"w/.cargo/config.toml": `[registries.corp]
index = "https://corp.example/index"
[source.crates-io]
replace-with = "mirror"
[source.mirror]
registry = "https://mirror.example/index"
replace-with = "corp"
[source.corp-src]
registry = "https://corp.example/index"
replace-with = "corp-authed"
[source.corp-authed]
registry = "https://user:tok@corp.example/index"
[source.loop-a]
registry = "https://a.example/"
replace-with = "loop-b"
[source.loop-b]
registry = "https://b.example/"
replace-with = "loop-a"
[source.lost]
registry = "https://lost.example/"
replace-with = "nowhere"
`})
	c := mustLoad(t, root, "w", nil)
	tests := []struct {
		name, want, err string
	}{
		// A [registries] name ends a chain.
		{name: CratesIO, want: "crates-io mirror corp"},
		{name: "loop-a", err: "detected a cycle of `replace-with` sources, the source `loop-a` is eventually replaced with itself"},
		{name: "lost", err: "could not find a configured source with the name `nowhere` when attempting to lookup `lost`"},
	}
	for _, tt := range tests {
		chain, err := c.Resolve(tt.name)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("Resolve(%s) err = %v, want %q", tt.name, err, tt.err)
			}
			continue
		}
		if err != nil || strings.Join(chain, " ") != tt.want {
			t.Errorf("Resolve(%s) = %v, %v; want %s", tt.name, chain, err, tt.want)
		}
	}
	chain, err := c.ReplacementOf("corp")
	if err != nil || strings.Join(chain, " ") != "corp-src corp-authed" {
		t.Errorf("ReplacementOf(corp) = %v, %v", chain, err)
	}
	bad := writeFiles(t, map[string]string{"w/.cargo/config.toml": "[source.x]\nbranch = \"main\"\nregistry = \"https://x/\"\n"})
	c = mustLoad(t, bad, "w", nil)
	if _, err := c.Sources(); err == nil || !strings.Contains(err.Error(), "requires a `git` key") {
		t.Errorf("Sources err = %v", err)
	}
}

func TestOriginString(t *testing.T) {
	tests := []struct {
		o    Origin
		want string
	}{
		{Origin{Kind: OriginFile, Path: "/home/u/.cargo/config.toml", Line: 12, home: "/home/u"}, "~/.cargo/config.toml:12"},
		{Origin{Kind: OriginEnv, Env: "CARGO_REGISTRIES_CORP_TOKEN"}, "environment variable CARGO_REGISTRIES_CORP_TOKEN"},
		{Origin{Kind: OriginCLI, Arg: `registries.corp.index="https://u:pw@x/i"`}, `--config 'registries.corp.index="https://u:***@x/i"'`},
		{Origin{Kind: OriginCLI, Path: "/p/cli.toml", Line: 2}, "--config /p/cli.toml:2"},
	}
	for _, tt := range tests {
		if got := tt.o.String(); got != tt.want {
			t.Errorf("String() = %s, want %s", got, tt.want)
		}
	}
}
