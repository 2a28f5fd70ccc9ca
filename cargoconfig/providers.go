package cargoconfig

import (
	"errors"
	"fmt"
	"strings"

	"github.com/cargo-auth/cargo-auth/internal/redact"
)

// BuiltinProviders are the credential providers built into cargo. An alias
// in `[credential-alias]` cannot replace them.
var BuiltinProviders = []string{
	"cargo:token",
	"cargo:paseto",
	"cargo:token-from-stdout",
	"cargo:wincred",
	"cargo:macos-keychain",
	"cargo:libsecret",
}

func isBuiltin(name string) bool {
	for _, b := range BuiltinProviders {
		if b == name {
			return true
		}
	}
	return false
}

// Provider is one credential provider cargo will run for a registry.
type Provider struct {
	// Argv is the provider as cargo resolves it: a built-in name or the
	// program (relative paths joined to the configuration's root
	// directory, bare names left for PATH) followed by the configured
	// arguments. Cargo runs an external program as `Argv[0] --cargo-plugin`
	// and passes Argv[1:] in the request's `args`.
	Argv []string
	// Origin is where the provider's entry was configured (for the
	// default `cargo:token`, OriginDefault).
	Origin Origin
	// Alias is the `[credential-alias]` name the entry went through, if any.
	Alias string
	// AliasOrigin is where that alias was defined.
	AliasOrigin Origin
}

// Builtin reports whether the provider is one of cargo's own.
func (p Provider) Builtin() bool { return len(p.Argv) > 0 && isBuiltin(p.Argv[0]) }

// ErrProviderRequired is cargo's refusal to authenticate to a registry that
// requires authentication when no credential provider is configured at all.
var ErrProviderRequired = errors.New("authenticated registries require a credential-provider to be configured\n" +
	"see https://doc.rust-lang.org/cargo/reference/registry-authentication.html for details")

// Providers is the chain of credential providers cargo uses for the named
// registry, in the order cargo tries them: the registry's own
// credential-provider alone when it has one, otherwise
// registry.global-credential-providers from last to first (--config entries,
// then CARGO_REGISTRY_GLOBAL_CREDENTIAL_PROVIDERS words, then files, deepest
// first), otherwise `cargo:token`. authRequired is true for a registry whose
// config.json requires authentication; with no provider configured anywhere
// cargo then refuses (ErrProviderRequired).
//
// Like cargo, it first finds the registry's index, then looks the index up
// again to name the registry (see RegistryByIndex), and reads the settings
// of that name.
func (c *Config) Providers(registryName string, authRequired bool) ([]Provider, error) {
	return c.providers(registryName, authRequired, nil)
}

// registrySettings is what cargo reads from a registry's table.
type registrySettings struct {
	name     string
	token    *StringValue
	provider *pathAndArgs
}

// settingsFor finds the table cargo reads for a registry name, following
// cargo's registry_credential_config_raw.
func (c *Config) settingsFor(registryName string, warn func(Warning)) (*registrySettings, error) {
	if c.credsErr != nil {
		return nil, c.credsErr
	}
	if registryName == CratesIO {
		if err := c.checkRegistryIndexNotSet(); err != nil {
			return nil, err
		}
		return c.readSettings(CratesIO, keyOf("registry"), warn)
	}
	idx, err := c.RegistryIndex(registryName)
	if err != nil {
		return nil, err
	}
	name, err := c.RegistryByIndex(idx.Value)
	if err != nil {
		return nil, err
	}
	if name == "" {
		return nil, nil
	}
	if name != registryName && warn != nil {
		warn(Warning{
			Kind:    WarnRegistryRenamed,
			Message: fmt.Sprintf("name of alternative registry `%s` set to `%s`", redact.URL(idx.Value), name),
			Origin:  idx.Origin,
		})
	}
	return c.readSettings(name, keyOf("registries").push(name), warn)
}

// readSettings reads Option<RegistryConfig> for key: nothing when neither
// the table nor a variable under it exists.
func (c *Config) readSettings(name string, k configKey, warn func(Warning)) (*registrySettings, error) {
	ok, err := c.hasKey(k, true)
	if err != nil || !ok {
		return nil, err
	}
	cv, err := c.getCV(k)
	if err != nil {
		return nil, err
	}
	if cv != nil && cv.kind != kindTable {
		return nil, fmt.Errorf("invalid configuration for key `%s`: %w", k, cv.expected("table", k.String()))
	}
	s := &registrySettings{name: name}
	for _, field := range []string{"index", "protocol", "secret-key-subject"} {
		if _, _, err := c.optString(k.push(field)); err != nil {
			return nil, err
		}
	}
	if tok, ok, err := c.optString(k.push("token")); err != nil {
		return nil, err
	} else if ok {
		s.token = &tok
	}
	if p, ok, err := c.getPathAndArgs(k.push("credential-provider")); err != nil {
		return nil, err
	} else if ok {
		s.provider = &p
	}
	return s, nil
}

func (c *Config) providers(registryName string, authRequired bool, warn func(Warning)) ([]Provider, error) {
	settings, err := c.settingsFor(registryName, warn)
	if err != nil {
		return nil, err
	}
	global, globalDefined, err := c.globalProviders(warn)
	if err != nil {
		return nil, err
	}
	if settings != nil && settings.provider != nil {
		p := c.resolveAlias(settings.provider.argv, settings.provider.origin, warn)
		if settings.token != nil && p.Argv[0] != "cargo:token" && warn != nil {
			warn(Warning{
				Kind: WarnTokenIgnored,
				Message: fmt.Sprintf("registry `%s` has a token configured in %s that will be ignored because this registry is configured to use credential-provider `%s`",
					registryName, settings.token.Origin, p.Argv[0]),
				Origin: settings.token.Origin,
			})
		}
		return []Provider{p}, nil
	}
	if settings != nil && settings.token != nil && warn != nil {
		listed := false
		for _, p := range global {
			listed = listed || p.Argv[0] == "cargo:token"
		}
		if !listed {
			warn(Warning{
				Kind: WarnTokenIgnored,
				Message: fmt.Sprintf("registry `%s` has a token configured in %s that will be ignored because the `cargo:token` credential provider is not listed in `registry.global-credential-providers`",
					registryName, settings.token.Origin),
				Origin: settings.token.Origin,
			})
		}
	}
	if !globalDefined && authRequired {
		return nil, ErrProviderRequired
	}
	return global, nil
}

// globalProviders reads registry.global-credential-providers, last entry
// first, each entry split on whitespace; an unset or empty list means
// `cargo:token`, and globalDefined is then false.
func (c *Config) globalProviders(warn func(Warning)) ([]Provider, bool, error) {
	list, _, err := c.getList(keyOf("registry.global-credential-providers"))
	if err != nil {
		return nil, false, err
	}
	if len(list) == 0 {
		return []Provider{{Argv: []string{"cargo:token"}, Origin: Origin{Kind: OriginDefault}}}, false, nil
	}
	out := make([]Provider, 0, len(list))
	for i := len(list) - 1; i >= 0; i-- {
		argv := strings.Fields(list[i].Value)
		if len(argv) == 0 {
			argv = []string{""}
		}
		out = append(out, c.resolveAlias(argv, list[i].Origin, warn))
	}
	return out, true, nil
}

// resolveAlias replaces an argument-less provider name by its
// `[credential-alias]` entry (never a built-in one) and resolves the program
// path against the root of the definition that supplied it.
func (c *Config) resolveAlias(argv []string, origin Origin, warn func(Warning)) Provider {
	p := Provider{Argv: append([]string{}, argv...), Origin: origin}
	pathOrigin := origin
	if len(argv) == 1 {
		name := argv[0]
		alias, ok, err := c.getPathAndArgs(keyOf("credential-alias." + name))
		if err == nil && ok {
			if isBuiltin(name) {
				if warn != nil {
					warn(Warning{
						Kind: WarnAliasShadowsBuiltin,
						Message: fmt.Sprintf("credential-alias `%s` (defined in `%s`) will be ignored because it would shadow a built-in credential-provider",
							name, alias.origin),
						Origin: alias.origin,
					})
				}
			} else {
				p.Argv = append([]string{}, alias.argv...)
				p.Alias, p.AliasOrigin = name, alias.origin
				pathOrigin = alias.origin
			}
		}
	}
	if strings.Contains(p.Argv[0], "/") {
		p.Argv[0] = joinPath(pathOrigin.root(c.cwd), p.Argv[0])
	}
	return p
}

// CredentialAliases lists `[credential-alias]` entries and
// CARGO_CREDENTIAL_ALIAS_<NAME> variables by name (variables give upper-case
// names, which cargo matches only against a provider spelled the same way
// once upper-cased and with `-` as `_`).
func (c *Config) CredentialAliases() map[string]Provider {
	out := map[string]Provider{}
	keys, _, _ := c.tableKeys(keyOf("credential-alias"))
	for _, name := range keys {
		if p, ok, err := c.getPathAndArgs(keyOf("credential-alias." + name)); err == nil && ok {
			out[name] = Provider{Argv: p.argv, Origin: p.origin}
		}
	}
	for k, v := range c.env {
		if name, ok := strings.CutPrefix(k, "CARGO_CREDENTIAL_ALIAS_"); ok && name != "" {
			if _, dup := out[name]; !dup && strings.TrimSpace(v) != "" {
				out[name] = Provider{Argv: strings.Fields(v), Origin: c.envOrigin(k)}
			}
		}
	}
	return out
}

// collectProviderWarnings records the warnings cargo prints when it works
// out the providers of each configured registry.
func (c *Config) collectProviderWarnings() {
	for _, r := range c.Registries() {
		if r.Index.Value == "" {
			continue
		}
		_, _ = c.providers(r.Name, false, c.warn)
	}
	_, _, _ = c.globalProviders(c.warn)
}

// Token is the token cargo's `cargo:token` provider would use for the
// registry: the token of the settings cargo reads for it (see Providers for
// how cargo names the registry), from CARGO_REGISTRIES_<NAME>_TOKEN,
// credentials.toml or a configuration file, in that order. ok is false when
// there is none.
func (c *Config) Token(registryName string) (tok TokenSource, ok bool, err error) {
	s, err := c.settingsFor(registryName, nil)
	if err != nil || s == nil || s.token == nil {
		return TokenSource{}, false, err
	}
	return TokenSource{Token: newSecret(s.token.Value), Origin: s.token.Origin}, true, nil
}
