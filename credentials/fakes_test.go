package credentials_test

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/99designs/keyring"

	"github.com/cargo-auth/cargo-auth/credentials"
	"github.com/cargo-auth/cargo-auth/credentials/storetest"
)

// keychainFake is an in-memory macOS Keychain as 99designs/keyring drives
// it (generic passwords of one service, keyed by account), with the limits
// Apple's keychain server applies (Security framework,
// keychain/securityd/SecDbKeychainItemV7.m): REASONABLE_SECRET_DATA_SIZE
// 4096 bytes of secret data and REASONABLE_METADATA_SIZE 2048 bytes of
// attributes; the data-protection keychain refuses larger items ("item's
// secret data exceeds reasonable size"). Attributes are CFStrings, so a key
// must be valid UTF-8. Accounts are matched exactly, case included.
type keychainFake struct {
	mu    sync.Mutex
	items map[string]keyring.Item
}

const (
	keychainSecretLimit   = 4096
	keychainMetadataLimit = 2048
)

func newKeychainFake() *keychainFake { return &keychainFake{items: map[string]keyring.Item{}} }

func (k *keychainFake) Get(key string) (keyring.Item, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	item, ok := k.items[key]
	if !ok {
		return keyring.Item{}, keyring.ErrKeyNotFound
	}
	return item, nil
}

func (k *keychainFake) GetMetadata(string) (keyring.Metadata, error) {
	return keyring.Metadata{}, keyring.ErrMetadataNotSupported
}

func (k *keychainFake) Set(item keyring.Item) error {
	if !utf8.ValidString(item.Key) || !utf8.ValidString(item.Label) {
		return fmt.Errorf("keychain fake: errSecParam (-50): attribute is not a valid string")
	}
	if len(item.Data) > keychainSecretLimit {
		return fmt.Errorf("keychain fake: item's secret data exceeds reasonable size (%d bytes)", len(item.Data))
	}
	if meta := len(item.Key) + len(item.Label) + len(item.Description) + len("cargo-auth"); meta > keychainMetadataLimit {
		return fmt.Errorf("keychain fake: item's metadata exceeds reasonable size (%d bytes)", meta)
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	k.items[item.Key] = item // SecItemAdd → errSecDuplicateItem → SecItemUpdate
	return nil
}

func (k *keychainFake) Remove(key string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if _, ok := k.items[key]; !ok {
		return keyring.ErrKeyNotFound
	}
	delete(k.items, key)
	return nil
}

func (k *keychainFake) Keys() ([]string, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	keys := make([]string, 0, len(k.items))
	for key := range k.items {
		keys = append(keys, key)
	}
	sort.Strings(keys)
	return keys, nil
}

// wincredFake is an in-memory Windows Credential Manager as
// 99designs/keyring drives it: generic credentials named
// "<prefix>:<service>:<key>", with wincred.h's limits
// CRED_MAX_CREDENTIAL_BLOB_SIZE (5*512 = 2560 bytes) and
// CRED_MAX_GENERIC_TARGET_NAME_LENGTH (32767 characters); CredWrite fails
// with ERROR_INVALID_PARAMETER beyond them. Target names are compared
// without regard to case, as Credential Manager does.
type wincredFake struct {
	mu     sync.Mutex
	prefix string
	items  map[string]keyring.Item // by lower-cased target name
}

const (
	wincredBlobLimit   = 2560
	wincredTargetLimit = 32767
)

func newWinCredFake() *wincredFake {
	return &wincredFake{prefix: "cargo-auth:cargo-auth:", items: map[string]keyring.Item{}}
}

func (w *wincredFake) target(key string) string { return strings.ToLower(w.prefix + key) }

func (w *wincredFake) Get(key string) (keyring.Item, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	item, ok := w.items[w.target(key)]
	if !ok {
		return keyring.Item{}, keyring.ErrKeyNotFound // ERROR_NOT_FOUND
	}
	return keyring.Item{Key: key, Data: item.Data}, nil
}

func (w *wincredFake) GetMetadata(string) (keyring.Metadata, error) {
	return keyring.Metadata{}, keyring.ErrMetadataNotSupported
}

func (w *wincredFake) Set(item keyring.Item) error {
	if len(item.Data) > wincredBlobLimit {
		return fmt.Errorf("wincred fake: the parameter is incorrect (blob of %d bytes)", len(item.Data))
	}
	if n := utf8.RuneCountInString(w.prefix + item.Key); n > wincredTargetLimit {
		return fmt.Errorf("wincred fake: the parameter is incorrect (target name of %d characters)", n)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.items[w.target(item.Key)] = keyring.Item{Key: item.Key, Data: item.Data}
	return nil
}

func (w *wincredFake) Remove(key string) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if _, ok := w.items[w.target(key)]; !ok {
		return keyring.ErrKeyNotFound
	}
	delete(w.items, w.target(key))
	return nil
}

// Keys returns the keys as stored (CredEnumerate gives the target names
// with their original case).
func (w *wincredFake) Keys() ([]string, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	keys := make([]string, 0, len(w.items))
	for _, item := range w.items {
		keys = append(keys, item.Key)
	}
	sort.Strings(keys)
	return keys, nil
}

func TestKeychainFakeContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) credentials.Store {
		return credentials.NewKeychainStoreOver(newKeychainFake())
	})
}

func TestWinCredFakeContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) credentials.Store {
		return credentials.NewWinCredStoreOver(newWinCredFake())
	})
}

func TestMemoryStoreContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) credentials.Store { return credentials.NewMemoryStore() })
}

// The fakes must refuse what the real keyrings refuse, or the contract
// above proves nothing about splitting.
func TestFakesEnforceLimits(t *testing.T) {
	if err := newWinCredFake().Set(keyring.Item{Key: "k", Data: make([]byte, wincredBlobLimit+1)}); err == nil {
		t.Error("wincred fake accepted a blob over 2560 bytes")
	}
	if err := newKeychainFake().Set(keyring.Item{Key: "k", Data: make([]byte, keychainSecretLimit+1)}); err == nil {
		t.Error("keychain fake accepted secret data over 4096 bytes")
	}
	if credentials.WinCredMaxData > wincredBlobLimit || credentials.KeychainMaxData > keychainSecretLimit {
		t.Error("a store splits values into parts larger than its keyring accepts")
	}
	w := newWinCredFake()
	_ = w.Set(keyring.Item{Key: "ABC", Data: []byte("x")})
	if _, err := w.Get("abc"); err != nil {
		t.Error("wincred fake matches target names by case")
	}
}
