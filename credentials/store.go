package credentials

import (
	"context"
	"errors"
	"time"
)

// ErrNotFound is returned by Store.Get and Store.Delete when no credential
// is stored under the key.
var ErrNotFound = errors.New("no credential stored")

// ErrUnavailable wraps the errors of a backend that cannot work on this
// machine (no session bus, no gpg key, a locked collection): the provider
// answers not-found so cargo falls through to the next provider.
var ErrUnavailable = errors.New("keyring backend unavailable")

// Credential is what cargo-auth keeps for one registry.
type Credential struct {
	// IndexURL is the registry's index URL as cargo names it, including
	// the sparse+ prefix. It is the key the credential is stored under
	// (see Key).
	IndexURL string
	// Registry is the registry's name in cargo's configuration when known,
	// for display only.
	Registry string
	// Token is the secret with its scheme and expiry.
	Token Token
	// TokenCommand, when set, mints a fresh token when this one is missing
	// or close to expiry (a cloud CLI that hands out short-lived tokens).
	TokenCommand []string
	// TokenTTL, when positive, caps the lifetime of a token the token
	// command mints: it is refreshed at least that often, whatever the
	// command said about its expiry.
	TokenTTL time.Duration
	// Updated is when the credential was stored.
	Updated time.Time
}

// Store keeps credentials, keyed by registry index URL. Index URLs are
// compared in their canonical form (see Key), so every spelling of one
// registry (host case, trailing slash, userinfo) names the same credential.
// Errors never contain a token: ErrNotFound, ErrUnavailable and
// ErrMalformedItem are matched with errors.Is. Implementations must pass
// the contract suite in credentials/storetest.
type Store interface {
	// Get returns the credential stored for indexURL, or ErrNotFound.
	Get(ctx context.Context, indexURL string) (Credential, error)
	// Set stores cred under cred.IndexURL, replacing any earlier one.
	Set(ctx context.Context, cred Credential) error
	// Delete removes the credential for indexURL, or returns ErrNotFound.
	Delete(ctx context.Context, indexURL string) error
	// List returns the index URLs that have a credential, in their
	// canonical form (Key), sorted.
	List(ctx context.Context) ([]string, error)
	// Backend names the backend, e.g. "keyctl" or "file".
	Backend() string
}

// BackendStatus says whether a storage backend works on this machine, and
// why not when it does not.
type BackendStatus struct {
	// Name is the value --backend and CARGO_AUTH_BACKEND accept.
	Name string `json:"name"`
	// Works is true when a round trip through the backend succeeded here.
	Works bool `json:"works"`
	// Reason explains a backend that does not work, with what to do.
	Reason string `json:"reason,omitempty"`
}
