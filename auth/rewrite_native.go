package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/cargo-auth/cargo-auth/cargoconfig"
	"github.com/cargo-auth/cargo-auth/cargoconfig/tomledit"
)

// Native mode puts no token in any URL: cargo sends the token in a header,
// asking its credential providers. The chain is the one login configures
// (configure.go): cargo-auth last in registry.global-credential-providers,
// so tried first, and cargo:token before it for CI runners that have
// CARGO_REGISTRIES_<NAME>_TOKEN and no keyring. rewrite-config makes that
// edit with configure.go's own pieces (globalProvidersIn,
// withCargoAuthLast, checkOwnProvider, checkChain) inside its one recorded
// edit of the file, rather than through configureProvider, which writes the
// file itself: --restore could not give the file back byte for byte, and
// its lock is taken again by that write.

// applyNativePlan puts cargo-auth into the file's provider list, unless
// the registry's own credential-provider already is cargo-auth.
func applyNativePlan(ed *tomlEditor, p *rewritePlan) error {
	if p.ownProviderIsCargoAuth {
		return nil
	}
	items, err := globalProvidersIn(ed.doc)
	if err != nil {
		return err
	}
	want, _ := withCargoAuthLast(items, providerProgram, false)
	if slices.Equal(items, want) {
		return nil
	}
	return ed.set(p.Registry, tomledit.StringArray(want...), false, globalProvidersKey...)
}

// checkNativeProvider refuses native mode for a registry whose own
// credential-provider names another provider: it replaces cargo's whole
// chain, so cargo would never ask cargo-auth.
func checkNativeProvider(cfg *cargoconfig.Config, p *rewritePlan, target registryTarget, file string) error {
	_, err := checkOwnProvider(cfg, target, file, false)
	if errors.Is(err, errOwnProviderIsCargoAuth) {
		p.ownProviderIsCargoAuth = true
		return nil
	}
	return err
}

// probeHeaderAuth asks a sparse registry whether cargo could authenticate
// to it with a header: config.json answers 401 without a token, and 200
// with auth-required true with it. Any failure is a "no" (the probe only
// decides whether to recommend native mode).
func probeHeaderAuth(ctx context.Context, env *rewriteEnv, p *rewritePlan) (bool, string) {
	if !strings.HasPrefix(p.CleanURL, "sparse+") || p.Token.IsZero() {
		return false, ""
	}
	opts := clientOptions{Timeout: 5 * time.Second, MaxBody: 64 << 10}
	if ca, ok, err := env.cfg.HTTPCAInfo(); err == nil && ok {
		opts.CAInfo = ca.Value
	}
	client, err := newRegistryClient(env.f, opts)
	if err != nil {
		return false, ""
	}
	configURL := strings.TrimSuffix(p.CleanURL, "/") + "/config.json"
	anon, err := client.get(ctx, configURL, "")
	if err != nil || anon.Status != http.StatusUnauthorized {
		return false, ""
	}
	authed, err := client.get(ctx, configURL, p.Token.Authorization())
	if err != nil || authed.Status != http.StatusOK {
		return false, ""
	}
	var cfg struct {
		AuthRequired bool `json:"auth-required"`
	}
	if json.Unmarshal(authed.Body, &cfg) != nil || !cfg.AuthRequired {
		return false, ""
	}
	return true, "config.json answers 401 and sets auth-required"
}

// checkAfterRewrite reads cargo's configuration again and says where cargo
// would not do what the rewrite meant: a replacement that another file
// overrides, a provider that cargo asks before cargo-auth.
func checkAfterRewrite(env *rewriteEnv, plans []*rewritePlan) []string {
	cfg, err := env.f.CargoConfig(env.opts.ConfigArgs)
	if err != nil {
		return []string{"reading cargo's configuration after the rewrite: " + err.Error()}
	}
	var warnings []string
	for _, p := range plans {
		if p.Mode == modeNative {
			storedIn := ""
			if strings.HasPrefix(p.TokenSource, "cargo-auth's store") && env.tokens.store != nil {
				storedIn = env.tokens.store.Backend()
			}
			_, chainWarnings := checkChain(env.f, cfg, registryTarget{Name: p.Registry, IndexURL: p.CleanURL}, storedIn)
			warnings = append(warnings, chainWarnings...)
			continue
		}
		chain, err := cfg.ReplacementOf(p.Registry)
		want := []string{p.Registry, authedSource(p.Registry)}
		switch {
		case err != nil:
			warnings = append(warnings, fmt.Sprintf("cargo cannot use the replacement for %s: %v", p.Registry, err))
			continue
		case !slices.ContainsFunc(cfg.Files(), func(f string) bool { return sameFile(f, env.targetFile()) }):
			warnings = append(warnings, fmt.Sprintf("cargo run from this directory does not read %s: the replacement for %s works only where cargo reads it",
				env.display(env.targetFile()), p.Registry))
			continue
		case !slices.Equal(chain, want):
			warnings = append(warnings, fmt.Sprintf("cargo does not use the replacement for %s (it follows %s): another configuration file overrides [source.%s]",
				p.Registry, strings.Join(chain, " -> "), p.Registry))
			continue
		}
		sources, err := cfg.Sources()
		if err == nil && sources[want[1]].Registry.Value != p.TokenURL {
			warnings = append(warnings, fmt.Sprintf("[source.%s] in %s overrides the one rewrite-config wrote", want[1], sources[want[1]].Registry.Origin))
		}
	}
	return warnings
}
