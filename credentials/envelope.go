package credentials

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// ErrMalformedItem is returned (wrapped) when a keyring item under a
// cargo-auth key does not hold a credential this version understands: it
// is damaged, was written by something else, or by a newer cargo-auth.
// The message never contains the item's bytes.
var ErrMalformedItem = errors.New("stored item is not a cargo-auth credential")

// envelopeVersion is the format version written into every item. Readers
// refuse any other version rather than guess.
const envelopeVersion = 1

// envelope is what a keyring item holds: a small versioned JSON object.
// Token's own JSON marshalling redacts on purpose, so the secret is copied
// here explicitly with Reveal.
//
//	{"v":1,"index_url":"sparse+https://…/","registry":"corp","secret":"…",
//	 "scheme":"bearer","user":"…","expires":"2026-…Z",
//	 "token_command":["…"],"token_ttl_seconds":3600,"updated":"2026-…Z"}
type envelope struct {
	Version      int        `json:"v"`
	IndexURL     string     `json:"index_url"`
	Registry     string     `json:"registry,omitempty"`
	Secret       string     `json:"secret"`
	Scheme       Scheme     `json:"scheme"`
	User         string     `json:"user,omitempty"`
	Expires      *time.Time `json:"expires,omitempty"`
	TokenCommand []string   `json:"token_command,omitempty"`
	TokenTTL     int64      `json:"token_ttl_seconds,omitempty"`
	Updated      time.Time  `json:"updated"`
}

// encodeCredential serialises cred for a keyring item.
func encodeCredential(cred Credential) ([]byte, error) {
	env := envelope{
		Version:      envelopeVersion,
		IndexURL:     cred.IndexURL,
		Registry:     cred.Registry,
		Secret:       cred.Token.Reveal(),
		Scheme:       cred.Token.Scheme(),
		User:         cred.Token.User(),
		TokenCommand: cred.TokenCommand,
		TokenTTL:     int64(cred.TokenTTL / time.Second),
		Updated:      cred.Updated.UTC(),
	}
	if !cred.Token.expires.IsZero() {
		expires := cred.Token.expires.UTC()
		env.Expires = &expires
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(env); err != nil {
		// Only invalid UTF-8 could get here, and json replaces that; the
		// error text never includes the value.
		return nil, errors.New("encoding credential: unexpected JSON error")
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// decodeCredential parses a keyring item. Its errors wrap ErrMalformedItem
// and never quote the data: a damaged item may be mostly secret.
func decodeCredential(data []byte) (Credential, error) {
	var probe struct {
		Version json.RawMessage `json:"v"`
	}
	if len(data) == 0 || json.Unmarshal(data, &probe) != nil {
		return Credential{}, fmt.Errorf("%w (not a JSON object)", ErrMalformedItem)
	}
	var version int
	if json.Unmarshal(probe.Version, &version) != nil || version < 1 {
		return Credential{}, fmt.Errorf("%w (no format version)", ErrMalformedItem)
	}
	if version != envelopeVersion {
		return Credential{}, fmt.Errorf("%w: format version %d is newer than this cargo-auth reads (%d); upgrade cargo-auth", ErrMalformedItem, version, envelopeVersion)
	}
	var env envelope
	if json.Unmarshal(data, &env) != nil {
		return Credential{}, fmt.Errorf("%w (a field has the wrong type)", ErrMalformedItem)
	}
	if env.Secret == "" {
		return Credential{}, fmt.Errorf("%w (no secret)", ErrMalformedItem)
	}
	if env.IndexURL == "" {
		return Credential{}, fmt.Errorf("%w (no index URL)", ErrMalformedItem)
	}
	scheme, err := ParseScheme(string(env.Scheme))
	if err != nil {
		return Credential{}, fmt.Errorf("%w (unknown token scheme)", ErrMalformedItem)
	}
	var token Token
	if scheme == SchemeBasic {
		token = NewBasic(env.User, env.Secret)
	} else {
		token = NewToken(env.Secret, scheme)
		token.user = env.User
	}
	if env.Expires != nil {
		token = token.WithExpiry(*env.Expires)
	}
	return Credential{
		IndexURL:     env.IndexURL,
		Registry:     env.Registry,
		Token:        token,
		TokenCommand: env.TokenCommand,
		TokenTTL:     time.Duration(max(env.TokenTTL, 0)) * time.Second,
		Updated:      env.Updated,
	}, nil
}
