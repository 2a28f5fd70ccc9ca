package credentials

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/cargo-auth/cargo-auth/internal/redact"
)

// MemoryStore is a Store that keeps credentials in memory, for tests of
// the packages that use a Store. It passes the same contract suite as the
// real backends: keys are canonicalised with Key and every credential goes
// through the same JSON envelope, so a test cannot rely on behaviour a real
// keyring lacks.
type MemoryStore struct {
	mu    sync.Mutex
	items map[string][]byte
}

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore {
	return &MemoryStore{items: map[string][]byte{}}
}

// Backend returns "memory".
func (m *MemoryStore) Backend() string { return "memory" }

// Get returns the credential stored for indexURL, or ErrNotFound.
func (m *MemoryStore) Get(ctx context.Context, indexURL string) (Credential, error) {
	canonical, err := Key(indexURL)
	if err != nil {
		return Credential{}, err
	}
	m.mu.Lock()
	data, ok := m.items[canonical]
	m.mu.Unlock()
	if !ok {
		return Credential{}, &storeError{msg: fmt.Sprintf("memory: reading %s: %s", redact.URL(canonical), ErrNotFound), kind: ErrNotFound}
	}
	return decodeCredential(data)
}

// Set stores cred under Key(cred.IndexURL).
func (m *MemoryStore) Set(ctx context.Context, cred Credential) error {
	canonical, err := Key(cred.IndexURL)
	if err != nil {
		return err
	}
	if cred.Token.IsZero() {
		return fmt.Errorf("memory: storing %s: refusing to store an empty token", redact.URL(canonical))
	}
	if cred.Updated.IsZero() {
		cred.Updated = time.Now()
	}
	data, err := encodeCredential(cred)
	if err != nil {
		return err
	}
	m.mu.Lock()
	m.items[canonical] = data
	m.mu.Unlock()
	return nil
}

// Delete removes the credential for indexURL, or returns ErrNotFound.
func (m *MemoryStore) Delete(ctx context.Context, indexURL string) error {
	canonical, err := Key(indexURL)
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.items[canonical]; !ok {
		return &storeError{msg: fmt.Sprintf("memory: deleting %s: %s", redact.URL(canonical), ErrNotFound), kind: ErrNotFound}
	}
	delete(m.items, canonical)
	return nil
}

// List returns the canonical index URLs that have a credential, sorted.
func (m *MemoryStore) List(ctx context.Context) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Sorted(maps.Keys(m.items)), nil
}
