package cargoconfig

import (
	"fmt"

	"github.com/cargo-auth/cargo-auth/internal/redact"
)

// Secret is a token read from cargo's configuration. Printing it in any way
// (String, GoString, %v, %q, JSON, text) shows a redaction; the value is read
// only through Reveal. Callers turn it into a credentials.Token with
// credentials.NewToken(s.Reveal(), credentials.SchemeRaw): cargo sends
// configured tokens as they are. (It is its own type so that this package
// does not depend on the credentials package.)
type Secret struct{ value string }

func newSecret(v string) Secret {
	redact.Register(v)
	return Secret{value: v}
}

// Reveal returns the token itself.
func (s Secret) Reveal() string { return s.value }

// IsZero reports whether the secret is empty.
func (s Secret) IsZero() bool { return s.value == "" }

const secretRedacted = "[redacted]"

func (s Secret) String() string   { return secretRedacted }
func (s Secret) GoString() string { return secretRedacted }

// Format redacts every verb.
func (s Secret) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(secretRedacted)) }

// MarshalText redacts, so JSON, YAML and TOML encoders never see the token.
func (s Secret) MarshalText() ([]byte, error) { return []byte(secretRedacted), nil }
