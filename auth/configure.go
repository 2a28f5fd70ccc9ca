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
// logout --unconfigure undoes it, byte for byte when nothing else changed
// the file since: configure_undo.go keeps the record that makes that
// possible.
//
// What the edit cannot fix is reported, never silently overridden: a
// registry whose own credential-provider points elsewhere (replaced only
// when asked, and only in the file cargo-auth edits), and a project's
// .cargo/config.toml, a --config or a CARGO_* variable that puts another
// provider before cargo-auth. The resulting chain is worked out again with
// cargoconfig.Providers, exactly as cargo would, and checked.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/cargo-auth/cargo-auth/cargoconfig"
	"github.com/cargo-auth/cargo-auth/cargoconfig/tomledit"
	"github.com/cargo-auth/cargo-auth/internal/atomicfile"
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
	// Restored says how unconfigureProvider gave the file back ("" when it
	// removed only cargo-auth).
	Restored string
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
	var list listEdit
	edit := func(doc *tomledit.Document) error {
		list.hadTable = hasTable(doc, "registry")
		if removeOwn {
			if err := doc.Delete(ownProviderKey(target.Name)...); err != nil && !errors.Is(err, tomledit.ErrNotFound) {
				return err
			}
		}
		items, err := globalProvidersIn(doc)
		if err != nil {
			return err
		}
		_, list.hadList = doc.Get(globalProvidersKey...)
		want, replaced := withCargoAuthLast(items, entry, opts.PinBackend != "")
		list.before, list.after = items, want
		if replaced != "" {
			result.Warnings = append(result.Warnings, fmt.Sprintf("replaced %q with %q in registry.global-credential-providers: tokens stored in another backend are no longer found by cargo", replaced, entry))
		}
		if !slices.Equal(items, want) {
			return doc.Set(tomledit.StringArray(want...), globalProvidersKey...)
		}
		return nil
	}
	if opts.DryRun {
		if result.Changed, result.Diff, err = dryRunCargoConfig(result.Path, edit); err != nil {
			return result, fmt.Errorf("configuring cargo to use cargo-auth: %w", err)
		}
		return result, nil
	}
	err = editCargoConfig(result.Path, func(c *cargoConfigEdit) error {
		doc, err := tomledit.Parse(result.Path, c.old)
		if err != nil {
			return err
		}
		if err := edit(doc); err != nil || !doc.Changed() {
			return err
		}
		if result.Changed, err = c.write(doc.Bytes(), false); err != nil {
			return err
		}
		// The edit is made; a record that cannot be kept only costs the
		// exact undo.
		if err := withConfigureState(f, func(st *configureState) error {
			st.noteEdit(c.key, c.old, c.existed, doc.Bytes(), doc.Edits(), list)
			return nil
		}); err != nil {
			result.Warnings = append(result.Warnings, fmt.Sprintf("could not record the edit, so logout --unconfigure will remove only cargo-auth: %v", err))
		}
		return nil
	})
	if err != nil {
		return result, fmt.Errorf("configuring cargo to use cargo-auth: %w", err)
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
}

// unconfigureProvider undoes configureProvider for target: it removes the
// registry's own credential-provider when that is cargo-auth, and, unless
// other registries still need it, undoes login's edit of the global list as
// configure_undo.go describes: exactly when the file is as login left it,
// the list alone when only the list is, and otherwise cargo-auth's entries
// alone. Warnings say where cargo-auth is still configured and what was
// kept.
func unconfigureProvider(f *Factory, cfg *cargoconfig.Config, target registryTarget, opts unconfigureOptions) (configureResult, error) {
	result := configureResult{Path: cargoHomeConfigPath(cfg)}
	err := editCargoConfig(result.Path, func(c *cargoConfigEdit) error {
		if len(opts.StillServed) > 0 {
			doc, err := tomledit.Parse(result.Path, c.old)
			if err != nil {
				return err
			}
			if err := removeOwnCargoAuth(doc, target); err != nil {
				return err
			}
			items, err := globalProvidersIn(doc)
			if err != nil {
				return err
			}
			if slices.ContainsFunc(items, isCargoAuthEntry) {
				result.Warnings = append(result.Warnings, fmt.Sprintf("kept cargo-auth in registry.global-credential-providers in %s: it still serves %s", result.Path, strings.Join(opts.StillServed, ", ")))
			}
			result.Changed, err = c.write(doc.Bytes(), false)
			return err
		}
		return withConfigureState(f, func(st *configureState) error {
			undo, err := undoConfigure(result.Path, c.old, c.existed, st.Files[c.key], target)
			if err != nil {
				return err
			}
			if result.Changed, err = c.write(undo.data, undo.remove); err != nil {
				return err
			}
			result.Restored, result.Warnings = undo.restored, append(result.Warnings, undo.notes...)
			delete(st.Files, c.key)
			return nil
		})
	})
	if err != nil {
		return result, fmt.Errorf("removing cargo-auth from cargo's configuration: %w", err)
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

// removeOwnCargoAuth removes target's own credential-provider when it runs
// cargo-auth.
func removeOwnCargoAuth(doc *tomledit.Document, target registryTarget) error {
	if target.Name == "" {
		return nil
	}
	if v, ok := doc.Get(ownProviderKey(target.Name)...); ok && valueNamesCargoAuth(v) {
		return doc.Delete(ownProviderKey(target.Name)...)
	}
	return nil
}

// undone is the file after logout --unconfigure.
type undone struct {
	data   []byte
	remove bool
	// restored says how the file went back, for the user ("" when only
	// cargo-auth was removed).
	restored string
	notes    []string
}

// undoConfigure works out the file without cargo-auth: old (existed: the
// file is there) given login's record rec of it (nil when there is none).
func undoConfigure(path string, old []byte, existed bool, rec *configureRecord, target registryTarget) (undone, error) {
	var out undone
	base := old
	exact := false
	if rec != nil && existed && rec.Original != "" && sha256Hex(old) == rec.Written {
		if orig, ok := applyUndo(old, rec.Undo); ok && sha256Hex(orig) == rec.Original {
			base, exact = orig, true
		}
	}
	doc, err := tomledit.Parse(path, base)
	if err != nil {
		return out, err
	}
	if rec != nil && !exact {
		if err := undoList(doc, rec, &out); err != nil {
			return out, err
		}
	}
	if err := removeOwnCargoAuth(doc, target); err != nil {
		return out, err
	}
	items, err := globalProvidersIn(doc)
	if err != nil {
		return out, err
	}
	if slices.ContainsFunc(items, isCargoAuthEntry) {
		rest := slices.DeleteFunc(slices.Clone(items), isCargoAuthEntry)
		if len(rest) == 0 {
			err = doc.Delete(globalProvidersKey...)
		} else {
			err = doc.Set(tomledit.StringArray(rest...), globalProvidersKey...)
		}
		if err != nil {
			return out, err
		}
	}
	out.data = doc.Bytes()
	switch {
	case exact && rec.Created && len(out.data) == 0:
		out.remove, out.restored = true, "removed "+path+", which cargo auth login created"
	case exact && !doc.Changed():
		out.restored = path + " is as it was before cargo auth login"
	}
	return out, nil
}

// undoList sets the provider list back to what it was before login, when
// it still is what login wrote; otherwise it leaves it to the removal of
// cargo-auth alone, and says so.
func undoList(doc *tomledit.Document, rec *configureRecord, out *undone) error {
	items, err := globalProvidersIn(doc)
	if err != nil {
		return err
	}
	if _, ok := doc.Get(globalProvidersKey...); !ok || !slices.Equal(items, rec.After) {
		if slices.ContainsFunc(items, isCargoAuthEntry) {
			note := "registry.global-credential-providers changed since cargo auth login edited it: removed only cargo-auth and kept the other entries"
			if rec.AddedToken && slices.Contains(items, "cargo:token") {
				note += ", cargo:token included (login had added it)"
			}
			out.notes = append(out.notes, note)
		}
		return nil
	}
	out.restored = "registry.global-credential-providers is as it was before cargo auth login (the rest of the file changed since, and stays)"
	if rec.HadList {
		return doc.Set(tomledit.StringArray(rec.Before...), globalProvidersKey...)
	}
	if err := doc.Delete(globalProvidersKey...); err != nil {
		return err
	}
	if !rec.HadTable && hasTable(doc, "registry") && len(doc.Keys("registry")) == 0 {
		return doc.Delete("registry")
	}
	return nil
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

// cargoConfigEdit is the file cargo-auth edits, read under its lock.
type cargoConfigEdit struct {
	path string
	// key is the file's resolved path, its key in the record of login's
	// edits.
	key     string
	old     []byte
	existed bool
}

// write replaces the file with data, or removes it, when that changes it.
func (c *cargoConfigEdit) write(data []byte, remove bool) (changed bool, err error) {
	switch {
	case remove:
		if !c.existed {
			return false, nil
		}
		if err := os.Remove(c.key); err != nil {
			return false, fmt.Errorf("removing %s: %w", c.path, err)
		}
		return true, nil
	case c.existed && bytes.Equal(data, c.old), !c.existed && len(data) == 0:
		return false, nil
	}
	return true, atomicfile.WriteFile(c.path, data, 0o644)
}

// editCargoConfig runs fn on the file at path (empty when missing) under
// its lock, as tomledit.UpdateFile does, so that fn can also keep the
// record of the edit, or remove the file, before anyone else edits it.
func editCargoConfig(path string, fn func(*cargoConfigEdit) error) error {
	key, err := atomicfile.Resolve(path)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(key), 0o755); err != nil {
		return fmt.Errorf("writing %s: %w", key, err)
	}
	unlock, err := atomicfile.Lock(context.Background(), path)
	if err != nil {
		return err
	}
	defer unlock()
	old, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("reading %s: %w", path, err)
	}
	return fn(&cargoConfigEdit{path: path, key: key, old: old, existed: err == nil})
}

// dryRunCargoConfig computes edit of the file at path without writing it.
func dryRunCargoConfig(path string, edit func(*tomledit.Document) error) (changed bool, diff string, err error) {
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

// hasTable reports whether the document defines the top-level table name.
func hasTable(doc *tomledit.Document, name string) bool {
	return slices.ContainsFunc(doc.Tables(), func(t []string) bool { return len(t) == 1 && t[0] == name })
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
