// Package credentials knows registry tokens: the Token type that never prints
// its value by accident, the Store interface with its keyring backends, and
// cargo's credential-provider protocol.
package credentials

import (
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	"github.com/cargo-auth/cargo-auth/internal/redact"
)

// Scheme says how a token is put into the Authorization header that cargo
// sends. Cargo sends the stored value as is, so the scheme is part of the
// stored credential: Gitea and Artifactory want "Bearer <token>", Azure
// Artifacts wants "Basic base64(user:PAT)".
type Scheme string

// The schemes a token can be sent with.
const (
	SchemeRaw    Scheme = "raw"
	SchemeBearer Scheme = "bearer"
	SchemeBasic  Scheme = "basic"
)

// ParseScheme accepts the names used on the command line and in stored items.
func ParseScheme(s string) (Scheme, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "raw":
		return SchemeRaw, nil
	case "bearer":
		return SchemeBearer, nil
	case "basic":
		return SchemeBasic, nil
	}
	return "", fmt.Errorf("unknown token scheme %q (want raw, bearer or basic)", s)
}

const redacted = "[redacted]"

// Token is a registry credential. Its value is read only through Reveal or
// Authorization; every other way of printing it (String, GoString, %v, %#v,
// %s, %q, JSON, text marshalling) yields a redaction, so a token that ends up
// in a log line or an error by mistake does not leak.
type Token struct {
	secret  string
	scheme  Scheme
	user    string
	expires time.Time
}

// NewToken makes a token that is sent with the given scheme.
func NewToken(secret string, scheme Scheme) Token {
	if scheme == "" {
		scheme = SchemeRaw
	}
	redact.Register(secret)
	return Token{secret: secret, scheme: scheme}
}

// NewBasic makes a token sent as HTTP Basic credentials, as Azure Artifacts
// expects (any user name with a personal access token as the password).
func NewBasic(user, password string) Token {
	t := NewToken(password, SchemeBasic)
	t.user = user
	redact.Register(t.Authorization())
	return t
}

// ParseAuthorization turns an Authorization header value back into a token:
// "Bearer x" and "Basic base64(u:p)" keep their scheme, anything else is raw.
func ParseAuthorization(value string) Token {
	scheme, rest, ok := strings.Cut(value, " ")
	if ok {
		switch strings.ToLower(scheme) {
		case "bearer":
			return NewToken(strings.TrimSpace(rest), SchemeBearer)
		case "basic":
			if raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(rest)); err == nil {
				if user, password, ok := strings.Cut(string(raw), ":"); ok {
					return NewBasic(user, password)
				}
			}
		}
	}
	return NewToken(value, SchemeRaw)
}

// WithExpiry returns a copy of t that expires at the given time.
func (t Token) WithExpiry(expires time.Time) Token {
	t.expires = expires
	return t
}

// IsZero reports whether t holds no secret.
func (t Token) IsZero() bool { return t.secret == "" }

// Scheme is how the token is sent.
func (t Token) Scheme() Scheme {
	if t.scheme == "" {
		return SchemeRaw
	}
	return t.scheme
}

// User is the user name of a Basic token, empty for the other schemes.
func (t Token) User() string { return t.user }

// Expires is when the token stops working, zero when unknown. For a
// JWT-shaped token without a stored expiry it is read from the exp claim.
func (t Token) Expires() time.Time {
	if !t.expires.IsZero() {
		return t.expires
	}
	return jwtExpiry(t.secret)
}

// Reveal returns the secret as the user typed it (the password of a Basic
// token). Call it only where the secret must leave the process: the keyring,
// the credential-provider protocol, `cargo auth token`.
func (t Token) Reveal() string { return t.secret }

// Authorization is the exact Authorization header value cargo must send.
func (t Token) Authorization() string {
	switch t.Scheme() {
	case SchemeBearer:
		return "Bearer " + t.secret
	case SchemeBasic:
		return "Basic " + base64.StdEncoding.EncodeToString([]byte(t.user+":"+t.secret))
	default:
		return t.secret
	}
}

// Masked shows enough of the secret to recognise it.
func (t Token) Masked() string {
	if t.IsZero() {
		return "(none)"
	}
	return redact.Mask(t.secret)
}

// String implements fmt.Stringer with a redaction.
func (t Token) String() string { return redacted }

// GoString implements fmt.GoStringer with a redaction.
func (t Token) GoString() string { return "credentials.Token{" + redacted + "}" }

// Format makes every fmt verb print the redaction.
func (t Token) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		fmt.Fprint(f, t.GoString())
		return
	}
	fmt.Fprint(f, redacted)
}

// MarshalJSON writes the redaction; stores serialise tokens with their own
// envelope that calls Reveal explicitly.
func (t Token) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }

// MarshalText writes the redaction.
func (t Token) MarshalText() ([]byte, error) { return []byte(redacted), nil }
