package credentials

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"

	"github.com/99designs/keyring"
)

// The pass backend keeps each item as a gpg-encrypted file in the password
// store, in the folder Options.PassPrefix ("cargo-auth"). The library uses
// the key as a file path, so keys are escaped (no '/'), and hashed when
// the escaped URL would pass the 255-byte file name limit.

func openPass(ctx context.Context, opts Options) (Store, error) {
	const name = BackendPass
	if runtime.GOOS == "windows" {
		return nil, unavailable(name, "not supported on windows")
	}
	if _, err := exec.LookPath(opts.PassCmd); err != nil {
		return nil, unavailable(name, "%s is not installed (install pass and gnupg, or use another backend)", opts.PassCmd)
	}
	dir := opts.PassDir
	if dir == "" {
		dir = opts.Getenv("PASSWORD_STORE_DIR")
	}
	if dir == "" {
		home := opts.Getenv("HOME")
		if home == "" {
			return nil, unavailable(name, "HOME is not set; set PASSWORD_STORE_DIR")
		}
		dir = filepath.Join(home, ".password-store")
	}
	if _, err := os.Stat(filepath.Join(dir, ".gpg-id")); err != nil {
		return nil, unavailable(name, "no password store at %s; run `pass init <gpg-key-id>` or use another backend", dir)
	}
	g := newGuard(name, opts.Timeout)
	ring, err := openLibrary(ctx, g, keyring.Config{
		AllowedBackends: []keyring.BackendType{keyring.PassBackend},
		PassDir:         dir,
		PassCmd:         opts.PassCmd,
		PassPrefix:      opts.PassPrefix,
	})
	if err != nil {
		return nil, err
	}
	return &keyringStore{
		backend: name,
		ring:    ring,
		guard:   g,
		// 255-byte file names, less ".gpg".
		limits: itemLimits{maxKey: 250},
		explain: func(err error) *storeError {
			var exit *exec.ExitError
			if errors.As(err, &exit) {
				return &storeError{msg: fmt.Sprintf("pass failed (exit status %d); check that gpg can use the key in %s (its messages are above)", exit.ExitCode(), filepath.Join(dir, ".gpg-id"))}
			}
			return nil
		},
	}, nil
}
