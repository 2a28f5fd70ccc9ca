package auth

import (
	"context"
	"errors"

	"github.com/cargo-auth/cargo-auth/credentials"
)

// StoreOptions turns the environment and the chosen backend into the
// credential store's options: the file backend's passphrase comes from
// CARGO_AUTH_FILE_PASSPHRASE or a prompt on the terminal.
func StoreOptions(f *Factory, backend string) credentials.Options {
	if backend == "" {
		backend = f.Getenv(credentials.EnvBackend)
	}
	return credentials.Options{
		Backend:        backend,
		ServiceName:    f.Getenv(credentials.EnvServiceName),
		FilePassphrase: f.Getenv(credentials.EnvFilePassphrase),
		PassphrasePrompt: func(prompt string) (string, error) {
			return promptSecret(f, prompt)
		},
		Getenv: f.Getenv,
	}
}

// errNoStore is returned when the factory has no store (a test that did not
// set one).
var errNoStore = errors.New("no credential store configured")

// openStore opens the credential store through the factory.
func (f *Factory) openStore(ctx context.Context, backend string) (credentials.Store, error) {
	if f.Store == nil {
		return nil, errNoStore
	}
	return f.Store(ctx, backend)
}
