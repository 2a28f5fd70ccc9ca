package credentials

import (
	"context"
	"errors"
	"fmt"

	"github.com/cargo-auth/cargo-auth/internal/redact"
)

// ErrAlreadyStored is returned (wrapped) by Import when the store holds a
// different token for the registry and replacing it was not asked for.
var ErrAlreadyStored = errors.New("a different token is already stored for this registry")

// ImportOptions tunes Import.
type ImportOptions struct {
	// IndexURL is the registry's index URL; required for file candidates,
	// which name registries only, and defaulting to a libsecret item's url.
	IndexURL string
	// Replace overwrites a different token already in the store.
	Replace bool
	// Keep leaves the token where it was found (copy, not move).
	Keep bool
	// Options reach the Secret Service to delete a libsecret item.
	Options Options
}

// Import moves one token from cargo's store into store: it stores it, reads
// it back and compares, and only then removes it from where cargo kept it.
// When the removal fails the token is in both places and the error says
// so; nothing is ever removed before the copy is proven.
func Import(ctx context.Context, store Store, c Candidate, opts ImportOptions) error {
	indexURL := opts.IndexURL
	if indexURL == "" {
		indexURL = c.IndexURL
	}
	where := c.Where()
	switch {
	case c.Locked:
		return fmt.Errorf("%s is in a locked keyring: unlock it and run import again", where)
	case c.Token.IsZero():
		return fmt.Errorf("%s holds no token", where)
	case indexURL == "":
		return fmt.Errorf("importing %s: registry %q has no index URL in cargo's configuration", where, c.Registry)
	}
	shown := redact.URL(indexURL)

	existing, err := store.Get(ctx, indexURL)
	switch {
	case err == nil && existing.Token.Authorization() != c.Token.Authorization() && !opts.Replace:
		return fmt.Errorf("importing %s into %s: %w (%s); remove it with `cargo auth logout` or import with --replace", where, store.Backend(), ErrAlreadyStored, shown)
	case err != nil && !errors.Is(err, ErrNotFound):
		return fmt.Errorf("importing %s: %w", where, err)
	}

	cred := Credential{IndexURL: indexURL, Registry: c.Registry, Token: c.Token}
	if err == nil {
		cred.TokenCommand = existing.TokenCommand
		cred.TokenTTL = existing.TokenTTL
		if cred.Registry == "" {
			cred.Registry = existing.Registry
		}
	}
	if err := store.Set(ctx, cred); err != nil {
		return fmt.Errorf("importing %s: %w", where, err)
	}
	back, err := store.Get(ctx, indexURL)
	if err != nil {
		return fmt.Errorf("importing %s: reading the token back from %s: %w; it was left where it was", where, store.Backend(), err)
	}
	if back.Token.Authorization() != c.Token.Authorization() {
		return fmt.Errorf("importing %s: the token read back from %s differs from the one stored; it was left where it was", where, store.Backend())
	}
	if opts.Keep {
		return nil
	}

	switch c.Kind {
	case SourceCredentialsFile:
		err = RemoveFileToken(c.Path, c.Key)
	case SourceLibsecret:
		err = DeleteLibsecretItem(ctx, opts.Options, c)
	default:
		err = fmt.Errorf("unknown source %q", c.Kind)
	}
	if err != nil {
		return fmt.Errorf("the token for %s is now in %s, but could not be removed from %s: %w; remove it by hand", shown, store.Backend(), where, err)
	}
	return nil
}

// MatchIndexURL reports whether two spellings name the same registry.
func MatchIndexURL(a, b string) bool {
	ka, errA := Key(a)
	kb, errB := Key(b)
	return errA == nil && errB == nil && ka == kb
}
