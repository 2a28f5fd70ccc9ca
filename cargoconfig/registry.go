package cargoconfig

import (
	"fmt"
	"net/url"
	"sort"
	"strings"
	"unicode"

	"github.com/cargo-auth/cargo-auth/internal/redact"
)

// CratesIO is the name cargo gives crates.io. Its settings live in the
// `[registry]` table and the CARGO_REGISTRY_* variables.
const CratesIO = "crates-io"

// Protocol is how cargo talks to a registry index.
type Protocol string

// The index protocols: sparse (HTTP, `sparse+` URL) and git.
const (
	ProtocolSparse Protocol = "sparse"
	ProtocolGit    Protocol = "git"
)

// Registry is one registry as cargo's configuration describes it.
type Registry struct {
	// Name is the registry's name: the `[registries.<name>]` key, or for a
	// registry defined only by CARGO_REGISTRIES_<NAME>_INDEX the variable's
	// NAME lower-cased, as cargo names it.
	Name string
	// Index is the index URL and its origin; Index.Value is "" when no
	// index is configured (a table with only a token, say).
	Index StringValue
	// Protocol follows from the index URL.
	Protocol Protocol
	// CredentialProvider is the registry's own provider as configured
	// (before alias and path resolution); nil when it has none.
	CredentialProvider []string
	// CredentialProviderOrigin is where CredentialProvider was defined.
	CredentialProviderOrigin Origin
	// Tokens are the tokens configured for the registry, in the order
	// cargo's `cargo:token` provider prefers them: the environment
	// variable, credentials.toml, then the configuration files. Only the
	// first is used.
	Tokens []TokenSource
	// Env are the environment variables cargo reads for the registry.
	Env RegistryEnv
	// EnvOnly is true when only environment variables define the registry.
	EnvOnly bool
}

// TokenSource is a configured token and where it is defined. The token
// never prints its value.
type TokenSource struct {
	Token  Secret
	Origin Origin
}

// RegistryEnv names the variables cargo reads for one registry.
type RegistryEnv struct {
	Index, Token, CredentialProvider string
}

// envFor names the variables of a registry; crates-io uses CARGO_REGISTRY_*.
func envFor(name string) RegistryEnv {
	prefix := EnvPrefix(name)
	if name == CratesIO {
		prefix = "CARGO_REGISTRY"
	}
	return RegistryEnv{Index: prefix + "_INDEX", Token: prefix + "_TOKEN", CredentialProvider: prefix + "_CREDENTIAL_PROVIDER"}
}

// registryKey is the configuration table cargo reads for a registry name.
func registryKey(name string) configKey {
	if name == CratesIO {
		return keyOf("registry")
	}
	return keyOf("registries").push(name)
}

// Registries lists every registry named in the configuration files,
// credentials.toml, --config arguments, or CARGO_REGISTRIES_<NAME>_INDEX
// variables, sorted by name. Settings that cargo would reject are skipped
// here; Providers and RegistryIndex report them.
func (c *Config) Registries() []*Registry {
	names := map[string]bool{}
	for _, tbl := range []*value{c.values, c.creds} {
		if tbl == nil {
			continue
		}
		if regs, ok := tbl.table["registries"]; ok && regs.kind == kindTable {
			for name := range regs.table {
				names[name] = true
			}
		}
	}
	for _, name := range c.envRegistryNames() {
		names[name] = true
	}
	sorted := make([]string, 0, len(names))
	for n := range names {
		sorted = append(sorted, n)
	}
	sort.Strings(sorted)
	out := make([]*Registry, 0, len(sorted))
	for _, n := range sorted {
		if r, ok := c.Registry(n); ok {
			out = append(out, r)
		}
	}
	return out
}

// envRegistryNames are the registry names cargo derives from
// CARGO_REGISTRIES_<NAME>_INDEX variables: NAME lower-cased.
func (c *Config) envRegistryNames() []string {
	var names []string
	for k := range c.env {
		rest, ok := strings.CutPrefix(k, "CARGO_REGISTRIES_")
		if !ok {
			continue
		}
		name, ok := strings.CutSuffix(rest, "_INDEX")
		if !ok || name == "" {
			continue
		}
		names = append(names, strings.ToLower(name))
	}
	sort.Strings(names)
	return names
}

// Registry describes the registry cargo knows by name (including
// "crates-io", whose settings are the `[registry]` table). It reports false
// when nothing at all is configured for the name.
func (c *Config) Registry(name string) (*Registry, bool) {
	k := registryKey(name)
	r := &Registry{Name: name, Env: envFor(name)}
	found := false
	if idx, ok, err := c.getString(k.push("index")); err == nil && ok {
		r.Index, found = idx, true
		r.Protocol = ProtocolGit
		if strings.HasPrefix(strings.ToLower(idx.Value), "sparse+") {
			r.Protocol = ProtocolSparse
		}
		if idx.Origin.Kind == OriginEnv {
			r.EnvOnly = true
		}
	}
	if p, ok, err := c.getPathAndArgs(k.push("credential-provider")); err == nil && ok {
		r.CredentialProvider, r.CredentialProviderOrigin, found = p.argv, p.origin, true
	}
	r.Tokens = c.tokenSources(k)
	if len(r.Tokens) > 0 {
		found = true
	}
	if cv, _ := c.getCV(k); cv != nil {
		found = true
		r.EnvOnly = false
	} else if r.EnvOnly {
		for _, t := range r.Tokens {
			if t.Origin.Kind != OriginEnv {
				r.EnvOnly = false
			}
		}
	}
	if name == CratesIO {
		r.Index = StringValue{Value: cratesIOIndex, Origin: Origin{Kind: OriginDefault}}
		r.Protocol, r.EnvOnly, found = ProtocolSparse, false, true
	}
	return r, found
}

const cratesIOIndex = "https://github.com/rust-lang/crates.io-index"

// tokenSources lists the tokens of a registry table in cargo's order.
func (c *Config) tokenSources(k configKey) []TokenSource {
	var out []TokenSource
	tk := k.push("token")
	if v, ok := c.env[tk.env]; ok {
		out = append(out, TokenSource{newSecret(v), c.envOrigin(tk.env)})
	}
	if c.creds != nil {
		if v, _ := c.creds.lookup(tk.parts); v != nil && v.kind == kindString && v.def.Path == c.credentialsFile {
			out = append(out, TokenSource{newSecret(v.str), v.def})
		}
	}
	if v, _ := c.values.lookup(tk.parts); v != nil && v.kind == kindString {
		out = append(out, TokenSource{newSecret(v.str), v.def})
	}
	return out
}

// validateRegistryName is cargo's check on a name given with --registry.
func validateRegistryName(name string) error {
	if name == "" {
		return fmt.Errorf("registry name cannot be empty")
	}
	for i, r := range name {
		ok := r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r)
		if i == 0 && !(unicode.IsLetter(r) || r == '_') && !unicode.IsDigit(r) {
			ok = false
		}
		if !ok {
			return fmt.Errorf("invalid character `%c` in registry name: `%s`, characters must be Unicode XID characters (numbers, `-`, `_`, or most letters)", r, name)
		}
	}
	return nil
}

// RegistryIndex is cargo's get_registry_index: the index URL of a named
// registry from the configuration or CARGO_REGISTRIES_<NAME>_INDEX, refused
// when it carries a password.
func (c *Config) RegistryIndex(name string) (StringValue, error) {
	c = c.withoutCredentials()
	if name == CratesIO {
		if err := c.checkRegistryIndexNotSet(); err != nil {
			return StringValue{}, err
		}
		return StringValue{Value: cratesIOIndex, Origin: Origin{Kind: OriginDefault}}, nil
	}
	if err := validateRegistryName(name); err != nil {
		return StringValue{}, err
	}
	idx, ok, err := c.optString(keyOf("registries").push(name).push("index"))
	if err != nil {
		return StringValue{}, err
	}
	if !ok {
		return StringValue{}, fmt.Errorf("registry index was not found in any configuration: `%s`", name)
	}
	u, err := parseURL(idx.Value)
	if err != nil {
		return StringValue{}, fmt.Errorf("invalid index URL for registry `%s` defined in %s: %w", name, idx.Origin, err)
	}
	if _, has := u.User.Password(); u.User != nil && has {
		return StringValue{}, fmt.Errorf("invalid index URL for registry `%s` defined in %s: registry URLs may not contain passwords", name, idx.Origin)
	}
	if err := checkSparseSlash(u); err != nil {
		return StringValue{}, err
	}
	return idx, nil
}

// checkSparseSlash is cargo's refusal of a sparse index URL without a
// trailing slash.
func checkSparseSlash(u *url.URL) error {
	if strings.HasPrefix(u.Scheme, "sparse+") && !strings.HasSuffix(u.String(), "/") {
		return fmt.Errorf("sparse registry url must end in a slash `/`: %s", redact.URL(u.String()))
	}
	return nil
}

// checkRegistryIndexNotSet is cargo's refusal of `registry.index`.
func (c *Config) checkRegistryIndexNotSet() error {
	if _, ok, err := c.optString(keyOf("registry.index")); err != nil || ok {
		if err != nil {
			return err
		}
		return fmt.Errorf("the `registry.index` config value is no longer supported\nUse `[source]` replacement to alter the default index for crates.io.")
	}
	return nil
}

// RegistryByIndex is the name cargo gives the registry at indexURL when it
// looks for its credentials: the CARGO_REGISTRIES_<NAME>_INDEX variables
// are searched first (names lower-cased), the configuration only when no
// variable matches; URLs are compared as cargo's canonical URLs. It
// returns "" when no registry has that index, and cargo's error when
// several do.
func (c *Config) RegistryByIndex(indexURL string) (string, error) {
	want, err := c.canonicalURL(indexURL)
	if err != nil {
		return "", err
	}
	var names []string
	for k, v := range c.env {
		rest, ok := strings.CutPrefix(k, "CARGO_REGISTRIES_")
		if !ok {
			continue
		}
		name, ok := strings.CutSuffix(rest, "_INDEX")
		if !ok {
			continue
		}
		if got, err := c.canonicalURL(v); err == nil && got == want {
			names = append(names, strings.ToLower(name))
		}
	}
	if len(names) == 0 {
		byIndex, err := c.configuredIndexes()
		if err != nil {
			return "", err
		}
		names = append(names, byIndex[want]...)
	}
	sort.Strings(names)
	switch len(names) {
	case 0:
		return "", nil
	case 1:
		return names[0], nil
	}
	return "", fmt.Errorf("multiple registries are configured with the same index url '%s': %s",
		redact.URL(sourceURL(indexURL)), strings.Join(names, ", "))
}

// configuredIndexes maps the canonical index URL of every registry in the
// configuration to the names that have it, computed once per Load: loading
// asks RegistryByIndex for every registry, which would otherwise compare
// every pair.
func (c *Config) configuredIndexes() (map[string][]string, error) {
	if c.byIndex == nil {
		return c.scanIndexes()
	}
	c.byIndex.once.Do(func() { c.byIndex.names, c.byIndex.err = c.scanIndexes() })
	return c.byIndex.names, c.byIndex.err
}

func (c *Config) scanIndexes() (map[string][]string, error) {
	out := map[string][]string{}
	regs, ok := c.values.table["registries"]
	if !ok {
		return out, nil
	}
	if regs.kind != kindTable {
		return nil, regs.expected("table", "registries")
	}
	for name, r := range regs.table {
		if r.kind != kindTable {
			return nil, r.expected("table", "registries."+name)
		}
		idx, ok := r.table["index"]
		if !ok {
			continue
		}
		if idx.kind != kindString {
			return nil, idx.expected("string", "registries."+name+".index")
		}
		got, err := c.canonicalURL(idx.str)
		if err != nil {
			return nil, err
		}
		out[got] = append(out[got], name)
	}
	return out, nil
}

// checkRegistries records warnings about registry names: two configured
// names that share their environment variables (`a-b` and `a_b`), and a
// configured registry whose CARGO_REGISTRIES_*_INDEX makes cargo look its
// credentials up under another name.
func (c *Config) checkRegistries() {
	byPrefix := map[string][]string{}
	if regs, ok := c.values.table["registries"]; ok && regs.kind == kindTable {
		for name := range regs.table {
			p := EnvPrefix(name)
			byPrefix[p] = append(byPrefix[p], name)
		}
	}
	prefixes := make([]string, 0, len(byPrefix))
	for p := range byPrefix {
		prefixes = append(prefixes, p)
	}
	sort.Strings(prefixes)
	for _, p := range prefixes {
		names := byPrefix[p]
		sort.Strings(names)
		if len(names) > 1 {
			c.warn(Warning{
				Kind: WarnNameCollision,
				Message: fmt.Sprintf("registries %s share the environment variables %s_*; cargo applies them to each",
					quoteNames(names), p),
				Origin: c.values.table["registries"].table[names[1]].def,
			})
		}
		if _, ok := c.env[p+"_INDEX"]; ok {
			envName := strings.ToLower(strings.TrimPrefix(p, "CARGO_REGISTRIES_"))
			for _, n := range names {
				if n != envName {
					c.warn(Warning{
						Kind: WarnRegistryRenamed,
						Message: fmt.Sprintf("%s_INDEX makes cargo look up the credentials of registry `%s` under the name `%s`: its own credential-provider and token settings are ignored",
							p, n, envName),
						Origin: c.envOrigin(p + "_INDEX"),
					})
				}
			}
		}
	}
	c.collectProviderWarnings()
}

func quoteNames(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = "`" + n + "`"
	}
	return strings.Join(q, " and ")
}
