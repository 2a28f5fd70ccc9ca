package credentials

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/godbus/dbus/v5"

	"github.com/cargo-auth/cargo-auth/cargoconfig/tomledit"
	"github.com/cargo-auth/cargo-auth/internal/redact"
)

// Cargo's own token stores, which `cargo auth import` moves tokens out of:
//
//   - cargo:token's plaintext files in $CARGO_HOME: credentials.toml and the
//     legacy credentials (no extension), holding [registry] token for
//     crates.io, [registries.<name>] token for the others, and in very old
//     files a top-level token for crates.io;
//   - cargo:libsecret's Secret Service items: schema
//     org.rust-lang.cargo.registry (attribute xdg:schema), attribute
//     url=<index URL as configured, sparse+ included>, label
//     cargo-registry:<registry name, or the index URL>, raw token as the
//     secret, in the default collection.

// CredentialsFileNames are the files cargo:token reads in $CARGO_HOME.
var CredentialsFileNames = []string{"credentials.toml", "credentials"}

// CratesIO is the name cargo gives the crates.io registry.
const CratesIO = "crates-io"

// cargo:libsecret's item schema.
const (
	LibsecretSchema      = "org.rust-lang.cargo.registry"
	libsecretLabelPrefix = "cargo-registry:"
)

// SourceKind says which of cargo's stores holds a token.
type SourceKind string

// The stores ImportCandidates looks in.
const (
	SourceCredentialsFile SourceKind = "credentials-file"
	SourceLibsecret       SourceKind = "libsecret"
)

// Candidate is a token cargo keeps in one of its own stores.
type Candidate struct {
	Kind SourceKind
	// Registry is the registry's name: crates-io for [registry] token and
	// a top-level token, the table name for [registries.<name>], the label's
	// name for a libsecret item when its label carries one.
	Registry string
	// IndexURL is the url attribute of a libsecret item. Files name
	// registries only: the caller resolves Registry through cargo's
	// configuration.
	IndexURL string
	// Path and Line locate a file entry; Key is its TOML key.
	Path string
	Line int
	Key  []string
	// Token is the token; zero for a locked libsecret item.
	Token Token
	// Locked is true for a libsecret item in a locked collection, whose
	// token cannot be read until the user unlocks the keyring.
	Locked bool

	item dbus.ObjectPath
}

// Where says where the token is, for display: "path:line" or "libsecret
// item cargo-registry:corp".
func (c Candidate) Where() string {
	if c.Kind == SourceLibsecret {
		what := "libsecret item for " + redact.URL(c.IndexURL)
		if c.Locked {
			what += " (locked)"
		}
		return what
	}
	return fmt.Sprintf("%s:%d", c.Path, c.Line)
}

// Masked shows the token masked, or why it cannot be shown.
func (c Candidate) Masked() string {
	if c.Locked {
		return "(locked)"
	}
	return c.Token.Masked()
}

// Scan is what ImportCandidates found.
type Scan struct {
	Candidates []Candidate
	// Unchecked names what could not be looked at, one line each with the
	// reason ("libsecret: no D-Bus session bus ..."), or entries that are
	// not tokens cargo could use.
	Unchecked []string
}

// ImportCandidates lists the tokens in cargo's credential files in cargoHome
// and in cargo:libsecret's items (Linux). A missing file or an unreachable
// Secret Service is not an error: it goes to Unchecked when it means
// something was not looked at. A malformed file is an error.
func ImportCandidates(ctx context.Context, cargoHome string, opts Options) (Scan, error) {
	opts = opts.withDefaults()
	var scan Scan
	for _, name := range CredentialsFileNames {
		found, unusable, err := ReadCredentialsFile(filepath.Join(cargoHome, name))
		if err != nil {
			return Scan{}, err
		}
		scan.Candidates = append(scan.Candidates, found...)
		scan.Unchecked = append(scan.Unchecked, unusable...)
	}
	found, err := LibsecretTokens(ctx, opts)
	switch {
	case err == nil:
		scan.Candidates = append(scan.Candidates, found...)
	case errors.Is(err, ErrUnavailable):
		scan.Unchecked = append(scan.Unchecked, err.Error())
	default:
		return Scan{}, err
	}
	return scan, nil
}

// ReadCredentialsFile reads the tokens in one of cargo's credential files.
// A missing file has none. unusable lists entries that are not strings.
func ReadCredentialsFile(path string) (found []Candidate, unusable []string, err error) {
	src, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("reading %s: %s", path, errText(err))
	}
	doc, err := tomledit.Parse(path, src)
	if err != nil {
		return nil, nil, fmt.Errorf("reading cargo's credentials: %w", err)
	}
	keys := [][]string{{"registry", "token"}, {"token"}}
	for _, name := range doc.Keys("registries") {
		keys = append(keys, []string{"registries", name, "token"})
	}
	for _, key := range keys {
		value, ok := doc.Get(key...)
		if !ok {
			continue
		}
		registry := CratesIO
		if key[0] == "registries" {
			registry = key[1]
		}
		secret, isString := value.AsString()
		if !isString || strings.TrimSpace(secret) == "" {
			unusable = append(unusable, fmt.Sprintf("%s:%d: %s is not a token cargo can use (not a non-empty string)", path, value.Span().Line, strings.Join(key, ".")))
			continue
		}
		found = append(found, Candidate{
			Kind:     SourceCredentialsFile,
			Registry: registry,
			Path:     path,
			Line:     value.Span().Line,
			Key:      key,
			Token:    tokenFromCargo(secret),
		})
	}
	return found, unusable, nil
}

// tokenFromCargo turns the value cargo sends as the Authorization header
// into a Token that sends exactly the same value: "Bearer x" keeps its
// scheme, and anything that would not round-trip stays raw.
func tokenFromCargo(value string) Token {
	if t := ParseAuthorization(value); t.Authorization() == value {
		return t
	}
	return NewToken(value, SchemeRaw)
}

// RemoveFileToken deletes one key (Candidate.Key) from a credential file,
// keeping every other byte, under the file lock, atomically. The file ends
// up 0600 whatever it was: it still holds secrets.
func RemoveFileToken(path string, key []string) error {
	err := tomledit.UpdateFile(path, 0o600, func(doc *tomledit.Document) error {
		return doc.Delete(key...)
	})
	if err != nil {
		return fmt.Errorf("removing %s from %s: %w", strings.Join(key, "."), path, err)
	}
	if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
		if err := os.Chmod(path, 0o600); err != nil {
			return fmt.Errorf("restricting %s to its owner: %s", path, errText(err))
		}
	}
	return nil
}

// LibsecretTokens lists cargo:libsecret's items. It never unlocks: items
// in a locked collection come back with Locked set and no token. Without a
// session bus or a Secret Service the error wraps ErrUnavailable.
func LibsecretTokens(ctx context.Context, opts Options) ([]Candidate, error) {
	opts = opts.withDefaults()
	var found []Candidate
	err := withSecretService(ctx, opts, "reading cargo:libsecret items", func(ctx context.Context, ss secretService) error {
		unlocked, locked, err := ss.searchItems(ctx, map[string]string{"xdg:schema": LibsecretSchema})
		if err != nil {
			return fmt.Errorf("searching items: %s", safeText(err.Error()))
		}
		var session dbus.ObjectPath
		if len(unlocked) > 0 {
			if session, err = ss.openSession(ctx); err != nil {
				return fmt.Errorf("opening a session: %s", safeText(err.Error()))
			}
			defer ss.closeSession(ctx, session)
		}
		for _, item := range append(unlocked, locked...) {
			c, err := libsecretCandidate(ctx, ss, item, session, !contains(unlocked, item))
			if err != nil {
				return err
			}
			if c.IndexURL != "" {
				found = append(found, c)
			}
		}
		return nil
	})
	return found, err
}

// LibsecretToken finds cargo:libsecret's item for one registry. Its url
// attribute is compared in canonical form (Key), so an item stored when
// cargo's configuration spelt the URL differently (a trailing slash) is
// found too. With no such item the error wraps ErrNotFound.
func LibsecretToken(ctx context.Context, opts Options, indexURL string) (Candidate, error) {
	found, err := LibsecretTokens(ctx, opts)
	if err != nil {
		return Candidate{}, err
	}
	for _, c := range found {
		if MatchIndexURL(c.IndexURL, indexURL) {
			return c, nil
		}
	}
	return Candidate{}, fmt.Errorf("libsecret: %w for %s", ErrNotFound, redact.URL(indexURL))
}

func contains(paths []dbus.ObjectPath, p dbus.ObjectPath) bool {
	for _, q := range paths {
		if q == p {
			return true
		}
	}
	return false
}

func libsecretCandidate(ctx context.Context, ss secretService, item, session dbus.ObjectPath, locked bool) (Candidate, error) {
	attrs, err := ss.itemAttributes(ctx, item)
	if err != nil {
		return Candidate{}, fmt.Errorf("reading an item's attributes: %s", safeText(err.Error()))
	}
	c := Candidate{Kind: SourceLibsecret, IndexURL: attrs["url"], Locked: locked, item: item}
	if label, err := ss.itemLabel(ctx, item); err == nil {
		if name, ok := strings.CutPrefix(label, libsecretLabelPrefix); ok && !strings.Contains(name, "://") {
			c.Registry = name
		}
	}
	if locked {
		return c, nil
	}
	secret, err := ss.secret(ctx, item, session)
	if err != nil {
		return Candidate{}, fmt.Errorf("reading the token for %s: %s", redact.URL(c.IndexURL), safeText(err.Error()))
	}
	c.Token = tokenFromCargo(string(secret))
	return c, nil
}

// DeleteLibsecretItem deletes a cargo:libsecret item found by
// LibsecretTokens. It never prompts: when the keyring wants a confirmation,
// the item stays and the error says so.
func DeleteLibsecretItem(ctx context.Context, opts Options, c Candidate) error {
	if c.Kind != SourceLibsecret || c.item == "" {
		return errors.New("not a cargo:libsecret item")
	}
	opts = opts.withDefaults()
	return withSecretService(ctx, opts, "deleting the cargo:libsecret item for "+redact.URL(c.IndexURL), func(ctx context.Context, ss secretService) error {
		if err := ss.deleteItem(ctx, c.item); err != nil {
			return errors.New(safeText(err.Error()))
		}
		return nil
	})
}

// withSecretService runs fn against the session bus's Secret Service under
// a deadline.
func withSecretService(ctx context.Context, opts Options, what string, fn func(context.Context, secretService) error) error {
	const name = "libsecret"
	addr, err := sessionBusAddress(opts.Getenv)
	if err != nil {
		return unavailable(name, "%s; cargo:libsecret items can only be read in a desktop session", err)
	}
	g := newGuard(name, opts.Timeout)
	err = g.do(ctx, what, func(ctx context.Context) error {
		conn, err := sessionBus(addr)
		if err != nil {
			return unavailable(name, "%s", err)
		}
		ss := secretService{conn: conn}
		if running, err := ss.running(ctx); err != nil || !running {
			return unavailable(name, "no Secret Service provider on the session bus")
		}
		return fn(ctx, ss)
	})
	if err == nil {
		return nil
	}
	var se *storeError
	if errors.As(err, &se) {
		return se
	}
	return &storeError{msg: name + ": " + what + ": " + safeText(err.Error())}
}
