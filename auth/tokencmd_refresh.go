package auth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/gofrs/flock"

	"github.com/cargo-auth/cargo-auth/credentials"
	"github.com/cargo-auth/cargo-auth/internal/redact"
)

// freshCredential returns cred with a token that is not about to expire:
// when its token command is due (see refreshDue) it runs it, stores the
// result and returns it. Concurrent cargo-auth processes (cargo spawns one
// provider per registry, and parallel builds run several cargos) take a
// per-registry file lock, and whoever gets it second finds the token the
// first one stored instead of running the command again.
//
// When the command fails but the cached token has not expired yet, the
// cached token is returned with a warning on stderr: a flaky cloud CLI
// should not break a build while the token still works.
func freshCredential(ctx context.Context, f *Factory, store credentials.Store, cred credentials.Credential) (credentials.Credential, error) {
	if !refreshDue(cred, f.Now()) {
		return cred, nil
	}
	unlock, err := lockRegistry(ctx, f, cred.IndexURL, tokenCommandTimeout(f)+10*time.Second)
	if err != nil {
		return cred, err
	}
	defer unlock()
	if latest, err := store.Get(ctx, cred.IndexURL); err == nil {
		cred = latest
		if !refreshDue(cred, f.Now()) {
			return cred, nil // another process minted it while we waited
		}
	}
	tok, err := mintToken(ctx, f, mintSpec{
		Argv:   cred.TokenCommand,
		Scheme: cred.Token.Scheme(),
		User:   cred.Token.User(),
		TTL:    cred.TokenTTL,
	})
	if err != nil {
		if expires := cred.Token.Expires(); !cred.Token.IsZero() && expires.After(f.Now()) {
			printDiagnostic(f.Stderr, fmt.Sprintf("warning: %s; using the cached token, which expires at %s", err, expires.Local().Format(time.RFC3339)))
			return cred, nil
		}
		return cred, err
	}
	cred.Token = tok
	cred.Updated = f.Now()
	if err := store.Set(ctx, cred); err != nil {
		printDiagnostic(f.Stderr, "warning: the fresh token could not be cached, the next run mints another: "+err.Error())
	}
	return cred, nil
}

// lockRegistry takes the per-registry lock of token commands, waiting at
// most wait. The lock file lives in cargo-auth's cache directory, is
// named after a hash of the registry key (not its URL) and holds nothing.
func lockRegistry(ctx context.Context, f *Factory, indexURL string, wait time.Duration) (func(), error) {
	key, err := credentials.Key(indexURL)
	if err != nil {
		return nil, err
	}
	dir, err := cacheDir(f)
	if err != nil {
		return nil, err
	}
	dir = filepath.Join(dir, "locks")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("creating %s: %w", dir, err)
	}
	sum := sha256.Sum256([]byte(key))
	lock := flock.New(filepath.Join(dir, hex.EncodeToString(sum[:12])+".lock"), flock.SetPermissions(0o600))
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	ok, err := lock.TryLockContext(ctx, 25*time.Millisecond)
	if err != nil || !ok {
		if errors.Is(err, context.DeadlineExceeded) || err == nil {
			return nil, fmt.Errorf("another cargo-auth has been minting a token for %s for over %s (lock %s)", redact.URL(indexURL), wait, lock.Path())
		}
		return nil, fmt.Errorf("locking %s: %w", lock.Path(), err)
	}
	return func() { _ = lock.Unlock() }, nil
}

// cacheDir is cargo-auth's cache directory: $XDG_CACHE_HOME/cargo-auth
// (~/.cache/cargo-auth), ~/Library/Caches/cargo-auth on macOS,
// %LOCALAPPDATA%\cargo-auth on Windows.
func cacheDir(f *Factory) (string, error) {
	var base string
	switch runtime.GOOS {
	case "windows":
		base = f.Getenv("LOCALAPPDATA")
	case "darwin":
		if home := f.Getenv("HOME"); home != "" {
			base = filepath.Join(home, "Library", "Caches")
		}
	default:
		base = f.Getenv("XDG_CACHE_HOME")
		if !filepath.IsAbs(base) {
			base = ""
			if home := f.Getenv("HOME"); home != "" {
				base = filepath.Join(home, ".cache")
			}
		}
	}
	if base == "" {
		return "", errors.New("cannot place cargo-auth's lock files: HOME is not set")
	}
	return filepath.Join(base, "cargo-auth"), nil
}
