package credentials_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
	"time"

	"github.com/cargo-auth/cargo-auth/credentials"
	"github.com/cargo-auth/cargo-auth/credentials/storetest"
)

// Real-backend tests. scripts/with-keyrings provides what they need (a
// session bus with an unlocked gnome-keyring, a password store with a gpg
// key) and sets CARGO_AUTH_TEST_KEYRINGS=1. Without it a backend whose
// prerequisites are missing is skipped loudly, except in CI (CI set),
// where a skipped backend would be a green run that tested nothing: there
// the test fails.

// keyringsProvided reports whether scripts/with-keyrings set this process
// up: only then may the tests write to Secret Service and pass, which
// would otherwise be the developer's own keyrings.
func keyringsProvided() bool { return os.Getenv("CARGO_AUTH_TEST_KEYRINGS") == "1" }

// missing stops a test whose backend cannot run here.
func missing(t *testing.T, backend, why string) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatalf("%s backend cannot be tested here: %s; CI must run the tests under scripts/with-keyrings", backend, why)
	}
	t.Skipf("SKIPPING the %s backend: %s; run `scripts/with-keyrings go test ./credentials/...` to test it", backend, why)
}

func uniqueName(t *testing.T) string {
	t.Helper()
	b := make([]byte, 5)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return "cargo-auth-test-" + hex.EncodeToString(b)
}

// openReal opens a backend in its own namespace and empties it afterwards.
func openReal(t *testing.T, opts credentials.Options) credentials.Store {
	t.Helper()
	if opts.ServiceName == "" {
		opts.ServiceName = uniqueName(t)
	}
	if opts.Timeout == 0 {
		opts.Timeout = 30 * time.Second
	}
	store, err := credentials.Open(context.Background(), opts)
	if err != nil {
		missing(t, opts.Backend, err.Error())
	}
	if store.Backend() != opts.Backend {
		t.Fatalf("Open(%s) opened %s", opts.Backend, store.Backend())
	}
	t.Cleanup(func() {
		empty(t, store)
		if opts.Backend == credentials.BackendKeyctl {
			unlinkKeyctlKeyring(t, opts.ServiceName)
		}
	})
	return store
}

func empty(t *testing.T, store credentials.Store) {
	ctx := context.Background()
	urls, err := store.List(ctx)
	if err != nil {
		t.Logf("cleaning up %s: %v", store.Backend(), err)
		return
	}
	for _, u := range urls {
		if err := store.Delete(ctx, u); err != nil {
			t.Logf("cleaning up %s: %v", store.Backend(), err)
		}
	}
}

func TestKeyctlContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) credentials.Store {
		return openReal(t, credentials.Options{Backend: credentials.BackendKeyctl})
	})
}

func TestFileContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) credentials.Store {
		return openReal(t, credentials.Options{Backend: credentials.BackendFile, FileDir: t.TempDir(), FilePassphrase: "test passphrase"})
	})
}

func TestPassContract(t *testing.T) {
	if !keyringsProvided() {
		missing(t, credentials.BackendPass, "no test password store (CARGO_AUTH_TEST_KEYRINGS unset)")
	}
	storetest.Run(t, func(t *testing.T) credentials.Store {
		return openReal(t, credentials.Options{Backend: credentials.BackendPass})
	})
}

func TestSecretServiceContract(t *testing.T) {
	if !keyringsProvided() {
		missing(t, credentials.BackendSecretService, "no test keyring daemon (CARGO_AUTH_TEST_KEYRINGS unset)")
	}
	storetest.Run(t, func(t *testing.T) credentials.Store {
		return openReal(t, credentials.Options{Backend: credentials.BackendSecretService})
	})
}
