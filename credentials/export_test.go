package credentials

import "github.com/99designs/keyring"

// Hooks for the external tests (package credentials_test, which may import
// storetest without an import cycle).

// NewKeychainStoreOver is the macOS Keychain store over any keyring, with
// the Keychain's limits.
func NewKeychainStoreOver(ring keyring.Keyring) Store {
	return newNativeStore(BackendKeychain, ring, newGuard(BackendKeychain, 0), keychainLimits)
}

// NewWinCredStoreOver is the Windows Credential Manager store over any
// keyring, with Credential Manager's limits and case-blind keys.
func NewWinCredStoreOver(ring keyring.Keyring) Store {
	s := newNativeStore(BackendWinCred, ring, newGuard(BackendWinCred, 0), wincredLimits)
	s.foldCase = true
	return s
}

// Limits of the native keyrings, for the fakes.
var (
	KeychainMaxData = keychainLimits.maxData
	WinCredMaxData  = wincredLimits.maxData
)
