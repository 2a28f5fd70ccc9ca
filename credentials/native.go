package credentials

import (
	"context"
	"runtime"

	"github.com/99designs/keyring"
)

// The OS keyrings of macOS and Windows, through 99designs/keyring. Their
// limits decide how items are split and keys hashed:
//
//   - macOS Keychain: Apple's keychain server treats more than 4096 bytes
//     of secret data (REASONABLE_SECRET_DATA_SIZE) and 2048 bytes of
//     attributes (REASONABLE_METADATA_SIZE) as unreasonable, and the
//     data-protection keychain refuses such items (Security framework,
//     SecDbKeychainItemV7.m). Values are split at 3072 bytes and keys
//     (the account attribute, beside the label) hashed past 512.
//   - Windows Credential Manager: a credential blob holds at most 2560
//     bytes (CRED_MAX_CREDENTIAL_BLOB_SIZE) and a generic target name 32767
//     characters (CRED_MAX_GENERIC_TARGET_NAME_LENGTH), wincred.h. Entra ID
//     and other JWTs are often longer than 2560 bytes, hence the splitting.
//     Target names are matched without regard to case, so upper-case
//     letters in keys are escaped: /Org and /org stay two registries.

// keychainLimits and wincredLimits are shared with the fakes in tests.
var (
	keychainLimits = itemLimits{maxKey: 512, maxData: 3072}
	wincredLimits  = itemLimits{maxKey: 1024, maxData: 2560}
)

func openKeychain(ctx context.Context, opts Options) (Store, error) {
	const name = BackendKeychain
	if runtime.GOOS != "darwin" {
		return nil, unavailable(name, "only on macOS")
	}
	if !libraryHas(keyring.KeychainBackend) {
		return nil, unavailable(name, "this cargo-auth was built without cgo; rebuild it with CGO_ENABLED=1 or use --backend file")
	}
	g := newGuard(name, opts.Timeout)
	ring, err := openLibrary(ctx, g, keyring.Config{
		AllowedBackends:                []keyring.BackendType{keyring.KeychainBackend},
		ServiceName:                    opts.ServiceName,
		KeychainTrustApplication:       true,
		KeychainAccessibleWhenUnlocked: true,
	})
	if err != nil {
		return nil, err
	}
	return newNativeStore(name, ring, g, keychainLimits), nil
}

func openWinCred(ctx context.Context, opts Options) (Store, error) {
	const name = BackendWinCred
	if runtime.GOOS != "windows" {
		return nil, unavailable(name, "only on Windows")
	}
	g := newGuard(name, opts.Timeout)
	ring, err := openLibrary(ctx, g, keyring.Config{
		AllowedBackends: []keyring.BackendType{keyring.WinCredBackend},
		ServiceName:     opts.ServiceName,
		WinCredPrefix:   "cargo-auth",
	})
	if err != nil {
		return nil, err
	}
	store := newNativeStore(name, ring, g, wincredLimits)
	store.foldCase = true
	return store, nil
}

// newNativeStore is the store over a Keychain or Credential Manager ring;
// tests build it over fakes that enforce the same limits.
func newNativeStore(name string, ring keyring.Keyring, g *guard, limits itemLimits) *keyringStore {
	return &keyringStore{backend: name, ring: ring, guard: g, limits: limits}
}

// KWallet is reported, never used: its own API opens dialogs (the
// first-run wallet wizard, the wallet password, "allow cargo-auth to
// access the wallet?"), which wait forever without a display and break the
// rule that cargo-auth never prompts through a keyring, and
// 99designs/keyring speaks only to kwalletd5. KWallet (Frameworks 5.97 and
// later, and Plasma 6's ksecretd) also serves the Secret Service API, which
// the secret-service backend uses without prompting.
func openKWallet(ctx context.Context, opts Options) (Store, error) {
	const name = BackendKWallet
	if runtime.GOOS != "linux" {
		return nil, unavailable(name, "only on Linux")
	}
	return nil, unavailable(name, "not used directly, since its API opens dialogs; enable KWallet's Secret Service integration and use --backend secret-service")
}
