package credentials

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/99designs/keyring"
	"github.com/gofrs/flock"
)

// The file backend keeps one JWE-encrypted file per credential (PBES2 with
// the passphrase, A256GCM) in Options.FileDir. Three things are added to
// what 99designs/keyring does:
//
//   - file names are "sha256." and the hex SHA-256 of the canonical index
//     URL, so listing the directory does not reveal which registries the
//     user has tokens for (List decrypts the items to name them);
//   - writers take an exclusive flock on "<dir>/.lock" and readers a shared
//     one, and a write goes to a temporary file renamed over the old one, so
//     concurrent cargo-auth processes neither corrupt nor half-read an item;
//   - the passphrase comes from CARGO_AUTH_FILE_PASSPHRASE or the caller's
//     prompt (on the terminal), asked before the deadline starts and only
//     when an item must be decrypted or encrypted: a Get of a registry with
//     no file answers not-found without asking.
const fileLockName = ".lock"

func openFile(ctx context.Context, opts Options) (Store, error) {
	dir := opts.FileDir
	if dir == "" {
		var err error
		if dir, err = DefaultFileDir(opts.Getenv); err != nil {
			return nil, unavailable(BackendFile, "%s", err)
		}
	}
	if opts.FilePassphrase == "" && opts.PassphrasePrompt == nil {
		return nil, unavailable(BackendFile, "no passphrase: set %s, or run in a terminal to be asked for it", EnvFilePassphrase)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, unavailable(BackendFile, "cannot create %s: %s", dir, safeText(errText(err)))
	}
	pass := &filePassphrase{value: opts.FilePassphrase, prompt: opts.PassphrasePrompt, dir: dir}
	g := newGuard(BackendFile, opts.Timeout)
	ring, err := openLibrary(ctx, g, keyring.Config{
		AllowedBackends:  []keyring.BackendType{keyring.FileBackend},
		FileDir:          dir,
		FilePasswordFunc: pass.get,
	})
	if err != nil {
		return nil, err
	}
	lock := flock.New(filepath.Join(dir, fileLockName))
	return &keyringStore{
		backend:  BackendFile,
		ring:     &fileRing{Keyring: ring, dir: dir},
		guard:    g,
		hashKeys: true,
		before: func(ctx context.Context, op, key string) error {
			if !needsPassphrase(dir, op, key) {
				return nil
			}
			return pass.resolve()
		},
		lock: func(ctx context.Context, exclusive bool) (func(), error) {
			return lockFile(ctx, lock, exclusive)
		},
		explain: func(err error) *storeError {
			if errors.Is(err, errCannotDecrypt) {
				return &storeError{msg: fmt.Sprintf("cannot decrypt an item in %s: wrong passphrase (%s) or a damaged file", dir, EnvFilePassphrase)}
			}
			return nil
		},
	}, nil
}

// errText is an error's text without the path an *fs.PathError repeats.
func errText(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// needsPassphrase reports whether op on key will decrypt or encrypt.
func needsPassphrase(dir, op, key string) bool {
	switch op {
	case opSet:
		return true
	case opGet:
		_, err := os.Stat(filepath.Join(dir, key))
		return err == nil
	case opList:
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), hashedKeyPrefix) {
				return true
			}
		}
	}
	return false
}

// lockFile takes the directory's lock, giving up when ctx ends.
func lockFile(ctx context.Context, lock *flock.Flock, exclusive bool) (func(), error) {
	try := lock.TryRLockContext
	if exclusive {
		try = lock.TryLockContext
	}
	ok, err := try(ctx, 20*time.Millisecond)
	if err != nil || !ok {
		return nil, &storeError{msg: fmt.Sprintf("%s: another cargo-auth holds %s; try again", BackendFile, lock.Path()), kind: ErrUnavailable}
	}
	return func() { _ = lock.Unlock() }, nil
}

// filePassphrase holds the passphrase once known. The library calls get
// under the guard; resolve runs before it, where a prompt may take as long
// as the user needs.
type filePassphrase struct {
	mu     sync.Mutex
	value  string
	prompt func(string) (string, error)
	dir    string
}

func (p *filePassphrase) resolve() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.value != "" {
		return nil
	}
	if p.prompt == nil {
		return unavailable(BackendFile, "no passphrase: set %s, or run in a terminal to be asked for it", EnvFilePassphrase)
	}
	value, err := p.prompt(fmt.Sprintf("passphrase for the cargo-auth keyring in %s", p.dir))
	if err != nil {
		// No terminal to ask on (CI, a provider run without one) means the
		// keyring cannot be opened here: unavailable, so that a credential
		// provider answers not-found and cargo tries its next provider.
		return &storeError{msg: "file: reading the passphrase: " + safeText(err.Error()) + "; set " + EnvFilePassphrase, kind: ErrUnavailable}
	}
	if value == "" {
		return &storeError{msg: "file: the passphrase is empty"}
	}
	p.value = value
	return nil
}

func (p *filePassphrase) get(string) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.value == "" {
		return "", errors.New("no passphrase")
	}
	return p.value, nil
}

// errCannotDecrypt replaces the JOSE library's errors, whose text is of no
// use to a user.
var errCannotDecrypt = errors.New("cannot decrypt")

// fileRing adapts the library's file keyring: atomic writes, not-found from
// Remove, and one error for every way decryption fails.
type fileRing struct {
	keyring.Keyring
	dir string
}

func (r *fileRing) Get(key string) (keyring.Item, error) {
	item, err := r.Keyring.Get(key)
	var pe *fs.PathError
	switch {
	case err == nil, errors.Is(err, keyring.ErrKeyNotFound), errors.As(err, &pe):
		return item, err
	}
	return keyring.Item{}, errCannotDecrypt
}

// fileTempPrefix starts the names Set writes items under before renaming
// them into place.
const fileTempPrefix = "~tmp~"

// Set writes the item under a temporary name, then renames it into place:
// the library writes in place, and a crash or a concurrent reader in the
// middle of that sees a truncated file.
func (r *fileRing) Set(item keyring.Item) error {
	r.removeStaleTemps()
	final := item.Key
	item.Key = fileTempPrefix + newGeneration()
	if err := r.Keyring.Set(item); err != nil {
		_ = os.Remove(filepath.Join(r.dir, item.Key))
		return err
	}
	if err := os.Rename(filepath.Join(r.dir, item.Key), filepath.Join(r.dir, final)); err != nil {
		_ = os.Remove(filepath.Join(r.dir, item.Key))
		return err
	}
	return nil
}

// removeStaleTemps removes the temporary files of writers that were killed
// before their rename, so that they do not pile up. Set runs under the
// directory's exclusive lock: no other write is in progress.
func (r *fileRing) removeStaleTemps() {
	entries, err := os.ReadDir(r.dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), fileTempPrefix) {
			_ = os.Remove(filepath.Join(r.dir, e.Name()))
		}
	}
}

func (r *fileRing) Remove(key string) error {
	err := r.Keyring.Remove(key)
	if errors.Is(err, fs.ErrNotExist) {
		return keyring.ErrKeyNotFound
	}
	return err
}
