package auth

// Making cargo ask cargo-auth for tokens: the one function that edits
// cargo's configuration for it, shared by login, import, logout and the
// commands of other issues (status, rewrite-config).
//
// Cargo has two places for providers. A registry's own credential-provider
// replaces the whole chain: cargo asks that provider alone and never falls
// through. registry.global-credential-providers is a list tried from the
// last entry to the first, where only not-found and url-not-supported fall
// through to the next. So the edit is to the global list in
// $CARGO_HOME/config.toml:
//
//	[registry]
//	global-credential-providers = ["cargo:token", "cargo-auth"]
//
// cargo-auth is tried first and answers from the keyring; where it has no
// token or no keyring works (a CI runner) it answers not-found and cargo
// reads CARGO_REGISTRIES_<NAME>_TOKEN through cargo:token. An existing list
// keeps its entries and order: cargo-auth moves to (or is added at) the end,
// cargo:token is added at the front when missing. The edit keeps comments
// and formatting (tomledit), is atomic, and a second run changes nothing.
//
// What the edit cannot fix is reported, never silently overridden: a
// registry whose own credential-provider points elsewhere (replaced only
// when asked, and only in the file cargo-auth edits), and a project's
// .cargo/config.toml, a --config or a CARGO_* variable that puts another
// provider before cargo-auth. The resulting chain is worked out again with
// cargoconfig.Providers, exactly as cargo would, and checked.

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/cargo-auth/cargo-auth/cargoconfig"
	"github.com/cargo-auth/cargo-auth/cargoconfig/tomledit"
)

// providerProgram is how cargo finds cargo-auth: a bare name, on PATH.
const providerProgram = "cargo-auth"

// configureOptions tune configureProvider.
type configureOptions struct {
	// PinBackend, when set, writes the provider entry as
	// "cargo-auth --backend NAME", so that cargo's provider opens the
	// backend the token was stored in whatever CARGO_AUTH_BACKEND says.
	PinBackend string
	// StoredIn is the backend that holds the registry's token; the check
	// warns when cargo's provider would open another one.
	StoredIn string
	// ReplaceRegistryProvider removes the registry's own
	// credential-provider when it names another provider (only from the
	// file configureProvider edits).
	ReplaceRegistryProvider bool
	// ConfigArgs are cargo's --config layers, for the check.
	ConfigArgs []string
	// DryRun computes the edit without writing it (configureResult.Diff).
	DryRun bool
}

// configureResult says what configureProvider did and what cargo will do.
type configureResult struct {
	// Changed is true when the file was (or, with DryRun, would be)
	// changed.
	Changed bool
	// Path is the file edited: $CARGO_HOME/config.toml, or the legacy
	// $CARGO_HOME/config when cargo reads that one.
	Path string
	// Diff is the edit as a unified diff (DryRun only). It holds no token.
	Diff string
	// Chain is the registry's provider chain after the edit, in the order
	// cargo tries it (not computed with DryRun).
	Chain []cargoconfig.Provider
	// Warnings are things that keep cargo from asking cargo-auth first, or
	// from falling back to cargo:token: one sentence each, for stderr.
	Warnings []string
}

// configureProvider makes cargo ask cargo-auth first, and cargo:token after
// it, for target's token (see the top of this file). cfg is the
// configuration before the edit. It returns an error, and edits nothing,
// when the registry has its own credential-provider that names another
// provider and ReplaceRegistryProvider is not set, or when it is set
// somewhere cargo-auth does not edit.
func configureProvider(f *Factory, cfg *cargoconfig.Config, target registryTarget, opts configureOptions) (configureResult, error) {
	result := configureResult{Path: cargoHomeConfigPath(cfg)}
	removeOwn, err := checkOwnProvider(cfg, target, result.Path, opts.ReplaceRegistryProvider)
	if errors.Is(err, errOwnProviderIsCargoAuth) {
		result.Chain, result.Warnings = checkChain(f, cfg, target, opts.StoredIn)
		return result, nil
	}
	if err != nil {
		return result, err
	}
	entry := providerProgram
	if opts.PinBackend != "" {
		entry += " --backend " + opts.PinBackend
	}
	edit := func(doc *tomledit.Document) error {
		if removeOwn {
			if err := doc.Delete(ownProviderKey(target.Name)...); err != nil && !errors.Is(err, tomledit.ErrNotFound) {
				return err
			}
		}
		items, err := globalProvidersIn(doc)
		if err != nil {
			return err
		}
		want, replaced := withCargoAuthLast(items, entry, opts.PinBackend != "")
		if replaced != "" {
			result.Warnings = append(result.Warnings, fmt.Sprintf("replaced %q with %q in registry.global-credential-providers: tokens stored in another backend are no longer found by cargo", replaced, entry))
		}
		if !slices.Equal(items, want) {
			return doc.Set(tomledit.StringArray(want...), globalProvidersKey...)
		}
		return nil
	}
	if result.Changed, result.Diff, err = editCargoConfig(result.Path, opts.DryRun, edit); err != nil {
		return result, fmt.Errorf("configuring cargo to use cargo-auth: %w", err)
	}
	if opts.DryRun {
		return result, nil
	}
	after, err := f.CargoConfig(opts.ConfigArgs)
	if err != nil {
		return result, err
	}
	chain, warnings := checkChain(f, after, target, opts.StoredIn)
	result.Chain = chain
	result.Warnings = append(result.Warnings, warnings...)
	return result, nil
}

// unconfigureOptions tune unconfigureProvider.
type unconfigureOptions struct {
	// StillServed names other registries cargo-auth holds tokens for: the
	// global entry then stays, since they still need it.
	StillServed []string
	ConfigArgs  []string
	DryRun      bool
}

// unconfigureProvider undoes configureProvider for target: it removes the
// registry's own credential-provider when that is cargo-auth, and
// cargo-auth's entries from registry.global-credential-providers unless
// other registries still need them. Other entries (cargo:token included)
// stay. Warnings say where cargo-auth is still configured.
func unconfigureProvider(f *Factory, cfg *cargoconfig.Config, target registryTarget, opts unconfigureOptions) (configureResult, error) {
	result := configureResult{Path: cargoHomeConfigPath(cfg)}
	edit := func(doc *tomledit.Document) error {
		if target.Name != "" {
			if v, ok := doc.Get(ownProviderKey(target.Name)...); ok && valueNamesCargoAuth(v) {
				if err := doc.Delete(ownProviderKey(target.Name)...); err != nil {
					return err
				}
			}
		}
		items, err := globalProvidersIn(doc)
		if err != nil || !slices.ContainsFunc(items, isCargoAuthEntry) {
			return err
		}
		if len(opts.StillServed) > 0 {
			result.Warnings = append(result.Warnings, fmt.Sprintf("kept cargo-auth in registry.global-credential-providers in %s: it still serves %s", result.Path, strings.Join(opts.StillServed, ", ")))
			return nil
		}
		rest := slices.DeleteFunc(slices.Clone(items), isCargoAuthEntry)
		if len(rest) == 0 {
			return doc.Delete(globalProvidersKey...)
		}
		return doc.Set(tomledit.StringArray(rest...), globalProvidersKey...)
	}
	var err error
	if result.Changed, result.Diff, err = editCargoConfig(result.Path, opts.DryRun, edit); err != nil {
		return result, fmt.Errorf("removing cargo-auth from cargo's configuration: %w", err)
	}
	if opts.DryRun {
		return result, nil
	}
	after, err := f.CargoConfig(opts.ConfigArgs)
	if err != nil {
		return result, err
	}
	chain, _ := providersFor(after, target)
	result.Chain = chain
	for _, p := range chain {
		if isCargoAuthEntry(p.Argv[0]) && len(opts.StillServed) == 0 {
			result.Warnings = append(result.Warnings, fmt.Sprintf("cargo still asks cargo-auth for %s: it is configured in %s", target.Label(), p.Origin))
		}
	}
	return result, nil
}

var globalProvidersKey = []string{"registry", "global-credential-providers"}

// ownProviderKey is the key of a registry's own credential-provider.
func ownProviderKey(name string) []string {
	if name == cargoconfig.CratesIO {
		return []string{"registry", "credential-provider"}
	}
	return []string{"registries", name, "credential-provider"}
}

// cargoHomeConfigPath is the configuration file of $CARGO_HOME that cargo
// reads: the legacy "config" wins over "config.toml" when it exists.
func cargoHomeConfigPath(cfg *cargoconfig.Config) string {
	legacy := filepath.Join(cfg.CargoHome(), "config")
	if info, err := os.Stat(legacy); err == nil && info.Mode().IsRegular() {
		return legacy
	}
	return filepath.Join(cfg.CargoHome(), "config.toml")
}

// editCargoConfig applies edit to the file at path (created when missing),
// or with dryRun only computes the change.
func editCargoConfig(path string, dryRun bool, edit func(*tomledit.Document) error) (changed bool, diff string, err error) {
	if !dryRun {
		err = tomledit.UpdateFile(path, 0o644, func(doc *tomledit.Document) error {
			err := edit(doc)
			changed = doc.Changed()
			return err
		})
		return changed, "", err
	}
	src, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return false, "", err
	}
	doc, err := tomledit.Parse(path, src)
	if err != nil {
		return false, "", err
	}
	if err := edit(doc); err != nil {
		return false, "", err
	}
	return doc.Changed(), doc.Diff(), nil
}

// globalProvidersIn reads registry.global-credential-providers of one file.
func globalProvidersIn(doc *tomledit.Document) ([]string, error) {
	v, ok := doc.Get(globalProvidersKey...)
	if !ok {
		return nil, nil
	}
	items, isList := v.AsStrings()
	if !isList {
		return nil, fmt.Errorf("%s:%d: registry.global-credential-providers is not an array of strings; fix it by hand", doc.Path(), v.Span().Line)
	}
	return items, nil
}

// withCargoAuthLast returns the list with entry last (tried first) and
// cargo:token present. Without pin an existing cargo-auth entry (with its
// arguments) is kept rather than replaced; replaced names an entry that a
// pinned one displaced.
func withCargoAuthLast(items []string, entry string, pin bool) (want []string, replaced string) {
	for _, it := range items {
		if isCargoAuthEntry(it) {
			if !pin {
				entry = it
			} else if strings.Join(strings.Fields(it), " ") != entry {
				replaced = it
			}
		}
	}
	want = slices.DeleteFunc(slices.Clone(items), isCargoAuthEntry)
	if !slices.Contains(want, "cargo:token") {
		want = append([]string{"cargo:token"}, want...)
	}
	return append(want, entry), replaced
}

// isCargoAuthEntry reports whether a provider entry (or program) runs
// cargo-auth: its bare name or a path to it, with or without arguments.
func isCargoAuthEntry(entry string) bool {
	fields := strings.Fields(entry)
	if len(fields) == 0 {
		return false
	}
	base := filepath.Base(fields[0])
	return base == providerProgram || base == providerProgram+".exe"
}

// valueNamesCargoAuth reports whether a credential-provider value (a string
// or an array) runs cargo-auth.
func valueNamesCargoAuth(v tomledit.Value) bool {
	if s, ok := v.AsString(); ok {
		return isCargoAuthEntry(s)
	}
	if list, ok := v.AsStrings(); ok && len(list) > 0 {
		return isCargoAuthEntry(list[0])
	}
	return false
}

// errOwnProviderIsCargoAuth: the registry's own credential-provider already
// is cargo-auth, so the global list does not matter for it.
var errOwnProviderIsCargoAuth = errors.New("own provider is cargo-auth")

// checkOwnProvider looks at target's own credential-provider: removeOwn is
// true when it must be deleted from path for the global list to apply.
func checkOwnProvider(cfg *cargoconfig.Config, target registryTarget, path string, replace bool) (removeOwn bool, err error) {
	if target.Name == "" {
		return false, nil
	}
	reg, ok := cfg.Registry(target.Name)
	if !ok || reg.CredentialProvider == nil {
		return false, nil
	}
	chain, err := cfg.Providers(target.Name, false)
	if err != nil {
		return false, err
	}
	if len(chain) > 0 && isCargoAuthEntry(chain[0].Argv[0]) {
		return false, errOwnProviderIsCargoAuth
	}
	origin := reg.CredentialProviderOrigin
	own := strings.Join(reg.CredentialProvider, " ")
	inOurFile := origin.Kind == cargoconfig.OriginFile && sameFile(origin.Path, path)
	if replace && inOurFile {
		return true, nil
	}
	err = fmt.Errorf("registry %s has its own credential-provider %q (%s), which replaces cargo's provider list: cargo would never ask cargo-auth", target.Name, own, origin)
	switch {
	case inOurFile:
		return false, withHint(err, "run again with --replace-provider to remove it, or remove it by hand")
	case origin.Kind == cargoconfig.OriginEnv:
		return false, withHint(err, "unset "+origin.Env+" (or set it to cargo-auth)")
	default:
		return false, withHint(err, fmt.Sprintf("remove it from %s, or set it to \"cargo-auth\" there", origin))
	}
}

// sameFile compares two paths after resolving symbolic links.
func sameFile(a, b string) bool {
	if a == b {
		return true
	}
	ia, errA := os.Stat(a)
	ib, errB := os.Stat(b)
	return errA == nil && errB == nil && os.SameFile(ia, ib)
}
