package credentials

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/cargo-auth/cargo-auth/internal/redact"
)

// ErrBadIndexURL is returned (wrapped) for an index URL that cannot name a
// registry: empty, relative, or without a host.
var ErrBadIndexURL = errors.New("not a registry index URL")

// Key returns the canonical form of a registry index URL: the identity a
// credential is stored under, so that every spelling of one registry finds
// the same token. It
//
//   - keeps a sparse+, registry+ or git+ prefix (lower-cased): cargo names
//     sparse and git indexes of one host differently, and so does the key;
//   - lower-cases the scheme and host, and drops a default port (443 for
//     https, 80 for http);
//   - drops the userinfo: a user name or password in the URL is not part of
//     the registry's identity, and must never become a keyring label;
//   - drops a #fragment and upper-cases percent-escapes (%2f is %2F);
//   - ends a sparse+ URL's path with exactly one '/' and strips trailing
//     slashes from any other, since cargo treats sparse+https://h/x and
//     sparse+https://h/x/ as one index.
//
// The path keeps its case and its query: those can tell registries apart.
// Key is idempotent: Key(Key(u)) == Key(u).
func Key(indexURL string) (string, error) {
	raw := strings.TrimSpace(indexURL)
	prefix := ""
	for _, p := range []string{"sparse+", "registry+", "git+"} {
		if len(raw) >= len(p) && strings.EqualFold(raw[:len(p)], p) {
			prefix, raw = p, raw[len(p):]
			break
		}
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" || u.Host == "" || u.Opaque != "" {
		return "", badIndexURLError{indexURL}
	}
	u.User = nil
	u.Fragment, u.RawFragment = "", ""
	u.Scheme = strings.ToLower(u.Scheme)
	host := strings.ToLower(u.Host)
	switch {
	case u.Scheme == "https" && strings.HasSuffix(host, ":443"):
		host = strings.TrimSuffix(host, ":443")
	case u.Scheme == "http" && strings.HasSuffix(host, ":80"):
		host = strings.TrimSuffix(host, ":80")
	}
	u.Host = host

	path := upperEscapes(strings.TrimRight(u.EscapedPath(), "/"))
	if prefix == "sparse+" {
		path += "/"
	}
	unescaped, err := url.PathUnescape(path)
	if err != nil {
		return "", badIndexURLError{indexURL}
	}
	u.Path, u.RawPath = unescaped, path
	u.RawQuery = upperEscapes(u.RawQuery)
	u.ForceQuery = false
	return prefix + u.String(), nil
}

// badIndexURLError quotes the URL redacted when its text is asked for, so
// a secret registered in between is removed too.
type badIndexURLError struct{ indexURL string }

func (e badIndexURLError) Error() string {
	return fmt.Sprintf("%s: %q", ErrBadIndexURL, redact.Text(redact.URL(e.indexURL)))
}

func (e badIndexURLError) Unwrap() error { return ErrBadIndexURL }

// upperEscapes upper-cases the hex digits of every %XX escape in s.
func upperEscapes(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	b := []byte(s)
	for i := 0; i+2 < len(b); i++ {
		if b[i] == '%' && isHex(b[i+1]) && isHex(b[i+2]) {
			b[i+1], b[i+2] = upperHex(b[i+1]), upperHex(b[i+2])
			i += 2
		}
	}
	return string(b)
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func upperHex(c byte) byte {
	if 'a' <= c && c <= 'f' {
		return c - 'a' + 'A'
	}
	return c
}

// Item keys. A canonical URL becomes a keyring item key in one of two forms:
//
//   - escaped: every byte outside [A-Za-z0-9._+:-] becomes %XX, so the key
//     holds no '/', ';', '~' or space and is a valid file name, pass entry,
//     keyctl description and Secret Service label;
//   - hashed: "sha256." and the hex SHA-256 of the canonical URL, for the
//     file backend (whose file names must not reveal which registries a user
//     has tokens for) and for URLs whose escaped form is longer than a
//     backend accepts.
//
// Keys containing '~' are never credentials: chunks of a large item and the
// probe item live there, and List skips them.
const hashedKeyPrefix = "sha256."

// With foldCase, upper-case letters are escaped too, for keyrings that
// compare keys without regard to case (Windows credential target names).
func escapeItemKey(canonical string, foldCase bool) string {
	var b strings.Builder
	for i := 0; i < len(canonical); i++ {
		c := canonical[i]
		if 'a' <= c && c <= 'z' || !foldCase && 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("._+:-", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}

// unescapeItemKey reverses escapeItemKey; ok is false for keys that no
// escapeItemKey call produced.
func unescapeItemKey(key string, foldCase bool) (canonical string, ok bool) {
	if strings.HasPrefix(key, hashedKeyPrefix) || strings.Contains(key, "~") {
		return "", false
	}
	s, err := url.PathUnescape(key)
	if err != nil || escapeItemKey(s, foldCase) != key {
		return "", false
	}
	if k, err := Key(s); err != nil || k != s {
		return "", false
	}
	return s, true
}

func hashItemKey(canonical string) string {
	sum := sha256.Sum256([]byte(canonical))
	return hashedKeyPrefix + hex.EncodeToString(sum[:])
}
