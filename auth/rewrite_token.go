package auth

import (
	"context"
	"errors"
	"fmt"

	"github.com/cargo-auth/cargo-auth/cargoconfig"
	"github.com/cargo-auth/cargo-auth/credentials"
	"github.com/cargo-auth/cargo-auth/internal/redact"
)

// tokenFinder finds each registry's token for rewrite-config, in this
// order: stdin (--token-stdin, one registry only), the
// CARGO_REGISTRIES_<NAME>_TOKEN variable (what a CI runner has), then
// cargo-auth's store. A token is never a flag value. The store is opened
// only when a token is not found before it.
type tokenFinder struct {
	f     *Factory
	opts  *rewriteConfigOptions
	known []knownSecret

	store    credentials.Store
	storeErr error
	opened   bool
}

func newTokenFinder(f *Factory, opts *rewriteConfigOptions) *tokenFinder {
	return &tokenFinder{f: f, opts: opts}
}

// openStore opens cargo-auth's store once; the error is kept for the hint
// of a missing token.
func (t *tokenFinder) openStore(ctx context.Context) credentials.Store {
	if !t.opened {
		t.opened = true
		t.store, t.storeErr = t.f.openStore(ctx, t.opts.Backend)
	}
	return t.store
}

// find returns the registry's token and where it came from; a zero token
// when there is none (the caller decides whether that is an error).
func (t *tokenFinder) find(ctx context.Context, name, indexURL string) (credentials.Token, string, error) {
	if t.opts.TokenStdin {
		value, err := t.readStdin(name)
		if err != nil {
			return credentials.Token{}, "", withExitCode(ExitUsage, err)
		}
		return t.remember(credentials.ParseAuthorization(value), name), "stdin", nil
	}
	variable := cargoconfig.EnvPrefix(name) + "_TOKEN"
	if v, ok := t.f.LookupEnv(variable); ok && v != "" {
		redact.Register(v)
		return t.remember(credentials.ParseAuthorization(v), name), "environment variable " + variable, nil
	}
	store := t.openStore(ctx)
	if store == nil {
		return credentials.Token{}, "", nil
	}
	cred, err := store.Get(ctx, indexURL)
	switch {
	case err == nil && !cred.Token.IsZero():
		return t.remember(cred.Token, name), "cargo-auth's store (" + store.Backend() + ")", nil
	case err == nil, errors.Is(err, credentials.ErrNotFound):
		return credentials.Token{}, "", nil
	default:
		return credentials.Token{}, "", fmt.Errorf("reading the token of %s from cargo-auth's store: %w", name, err)
	}
}

// readStdin reads --token-stdin: the first line of a pipe or file, or a
// line typed without echo when stdin is a terminal. A value given with its
// scheme ("Bearer x") goes into the URL without it.
func (t *tokenFinder) readStdin(name string) (string, error) {
	f := t.f
	if f.Stdin != nil && isTerminal(f.Stdin) {
		value, err := promptSecret(f, fmt.Sprintf("token for %s (input hidden): ", name))
		if err == nil && value == "" {
			err = errors.New("--token-stdin: nothing was typed")
		}
		return value, err
	}
	if f.Stdin == nil {
		return "", errors.New("--token-stdin: no standard input")
	}
	value, err := firstLine(f.Stdin, "--token-stdin: the first line of stdin is empty")
	if err != nil {
		return "", withHint(err, fmt.Sprintf("pipe the token: cargo auth rewrite-config %s --token-stdin < token-file", name))
	}
	return value, nil
}

// remember registers the token with the redactor, in the spellings a URL
// gives it, and keeps it for the diff's masking.
func (t *tokenFinder) remember(tok credentials.Token, name string) credentials.Token {
	if secret := tok.Reveal(); secret != "" {
		redact.Register(secret, escapeToken(secret), tok.Authorization())
		t.known = append(t.known, knownSecret{value: secret, registry: name})
	}
	return tok
}

// storeHint explains a store that could not be opened, for the error of a
// missing token.
func (t *tokenFinder) storeHint() string {
	if t.storeErr == nil {
		return ""
	}
	return "cargo-auth's store could not be opened: " + t.storeErr.Error()
}
