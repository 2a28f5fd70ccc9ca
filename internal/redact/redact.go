// Package redact removes credentials from text that is about to be shown to a
// user or written to a log: userinfo in URLs, tokens embedded in URL paths
// (the Cloudsmith-style entitlement URL), and any secret the caller knows.
package redact

import (
	"math"
	"net/url"
	"sort"
	"strings"
	"sync"
	"unicode"
)

// Placeholder replaces every secret that is removed from a text.
const Placeholder = "***"

// Mask shows enough of a secret to recognise it and not enough to use it:
// the first and last four characters of a long secret, nothing of a short one.
func Mask(secret string) string {
	r := []rune(secret)
	if len(r) < 16 {
		return strings.Repeat("*", max(len(r), 4))
	}
	return string(r[:4]) + "…" + string(r[len(r)-4:])
}

// URL returns rawURL with every credential it carries replaced by
// Placeholder: the userinfo password, a user name that looks like a token,
// path segments and query values that look like tokens. Text that does not
// parse as a URL is redacted piece by piece so it can never leak.
func URL(rawURL string) string {
	prefix := ""
	rest := rawURL
	for _, p := range []string{"sparse+", "registry+", "git+"} {
		if strings.HasPrefix(rest, p) {
			prefix, rest = p, strings.TrimPrefix(rest, p)
			break
		}
	}
	u, err := url.Parse(rest)
	if err != nil || u.Scheme == "" || u.Opaque != "" {
		return unparsedURL(rawURL)
	}
	if u.User != nil {
		user := u.User.Username()
		if LooksLikeToken(user) {
			user = Placeholder
		}
		if _, hasPassword := u.User.Password(); hasPassword {
			u.User = url.UserPassword(user, Placeholder)
		} else {
			u.User = url.User(user)
		}
	}
	if u.Path != "" {
		segments := strings.Split(u.Path, "/")
		changed := false
		for i, s := range segments {
			if LooksLikeToken(s) {
				segments[i] = Placeholder
				changed = true
			}
		}
		if changed {
			u.Path = strings.Join(segments, "/")
			u.RawPath = ""
		}
	}
	if u.RawQuery != "" {
		q := u.Query()
		for key, values := range q {
			for i, v := range values {
				if LooksLikeToken(v) || secretQueryKey(key) {
					values[i] = Placeholder
				}
			}
			q[key] = values
		}
		u.RawQuery = q.Encode()
	}
	// url.URL.String escapes '*' in the user info; show the placeholder as is.
	out := strings.ReplaceAll(u.String(), "%2A%2A%2A", Placeholder)
	return prefix + out
}

// unparsedURL redacts a URL that net/url refuses: everything between the
// scheme and an '@' is userinfo, and every token-looking piece goes.
func unparsedURL(raw string) string {
	out := Known(raw)
	if at := strings.LastIndex(out, "@"); at >= 0 {
		start := strings.Index(out, "://")
		if start >= 0 && start+3 <= at {
			out = out[:start+3] + Placeholder + out[at:]
		}
	}
	pieces := strings.FieldsFunc(out, func(r rune) bool { return strings.ContainsRune("/:@?&=#", r) })
	for _, p := range pieces {
		if LooksLikeToken(p) {
			out = strings.ReplaceAll(out, p, Placeholder)
		}
	}
	return out
}

func secretQueryKey(key string) bool {
	k := strings.ToLower(key)
	for _, w := range []string{"token", "password", "secret", "key", "auth", "sig"} {
		if strings.Contains(k, w) {
			return true
		}
	}
	return false
}

// Text redacts every URL-looking word in free text (see URL) and every
// secret registered with Register.
func Text(s string) string {
	s = Known(s)
	if !strings.Contains(s, "://") {
		return s
	}
	var b strings.Builder
	for len(s) > 0 {
		i := strings.Index(s, "://")
		if i < 0 {
			b.WriteString(s)
			break
		}
		start := i
		for start > 0 && isURLChar(rune(s[start-1])) {
			start--
		}
		end := i + 3
		for end < len(s) && isURLChar(rune(s[end])) {
			end++
		}
		b.WriteString(s[:start])
		b.WriteString(URL(s[start:end]))
		s = s[end:]
	}
	return b.String()
}

func isURLChar(r rune) bool {
	if r > unicode.MaxASCII || unicode.IsSpace(r) {
		return false
	}
	switch r {
	case '"', '\'', '<', '>', '`', '(', ')', '[', ']', '{', '}', ',':
		return false
	}
	return unicode.IsPrint(r)
}

var (
	knownMu sync.RWMutex
	known   = map[string]struct{}{}
	// knownOrder is known's keys, shortest first (then bytewise), so that
	// redaction does not depend on map order: a registered token is masked
	// before a registered URL that contains it, and the rest of that URL
	// stays readable.
	knownOrder []string
)

// Register adds secrets that Text and Known must remove wherever they appear,
// however they were found. Secrets shorter than 4 bytes are ignored: they
// would redact ordinary words.
func Register(secrets ...string) {
	knownMu.Lock()
	defer knownMu.Unlock()
	for _, s := range secrets {
		if _, dup := known[s]; len(s) >= 4 && !dup {
			known[s] = struct{}{}
			knownOrder = append(knownOrder, s)
		}
	}
	sort.Slice(knownOrder, func(i, j int) bool {
		if len(knownOrder[i]) != len(knownOrder[j]) {
			return len(knownOrder[i]) < len(knownOrder[j])
		}
		return knownOrder[i] < knownOrder[j]
	})
}

// Known replaces every secret registered with Register, and its URL-escaped
// form, with Placeholder.
func Known(s string) string {
	knownMu.RLock()
	defer knownMu.RUnlock()
	for _, secret := range knownOrder {
		if strings.Contains(s, secret) {
			s = strings.ReplaceAll(s, secret, Placeholder)
		}
		if esc := url.QueryEscape(secret); esc != secret && strings.Contains(s, esc) {
			s = strings.ReplaceAll(s, esc, Placeholder)
		}
		if esc := url.PathEscape(secret); esc != secret && strings.Contains(s, esc) {
			s = strings.ReplaceAll(s, esc, Placeholder)
		}
	}
	return s
}

// tokenPrefixes are prefixes of credentials that registries and forges issue.
var tokenPrefixes = []string{
	"cio",                                         // crates.io API tokens
	"ghp_", "gho_", "ghs_", "ghu_", "github_pat_", // GitHub
	"glpat-", "gloas-", // GitLab
	"AKCp", "cmVmd", // JFrog Artifactory API keys and reference tokens
	"eyJ",   // JWT (Entra ID, CodeArtifact-style bearer tokens)
	"npm_",  // npm
	"ATATT", // Atlassian
}

// LooksLikeToken reports whether s, a URL path segment or user name, looks
// like a credential rather than an ordinary name: a known token prefix with a
// random-looking tail, or a long random-looking string. Ordinary registry
// paths ("api", "packages", "acme", "cargo", "_cargo-index.git", version
// numbers) do not.
//
// A canonical UUID (8-4-4-4-12 hexadecimal digits) is an identifier, not a
// credential: Azure Artifacts names feeds and projects by UUID in index
// paths. A UUID used as a password is still a userinfo password to URL.
func LooksLikeToken(s string) bool {
	if s == "" || s == Placeholder {
		return false
	}
	if strings.HasSuffix(s, ".git") {
		s = strings.TrimSuffix(s, ".git")
	}
	if isUUID(s) {
		return false
	}
	for _, p := range tokenPrefixes {
		if strings.HasPrefix(s, p) && len(s)-len(p) >= 16 && randomLooking(s[len(p):], 2.5) {
			return true
		}
	}
	return len(s) >= 16 && randomLooking(s, 3.2)
}

// randomLooking reports whether s is made of token characters, has a run of
// at least 8 characters that mixes digits with letters (words, slugs and
// version numbers do not), and has at least minEntropy bits of Shannon
// entropy per character.
func randomLooking(s string, minEntropy float64) bool {
	mixedRun := false
	for _, piece := range strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune("-_.~+=:%", r) }) {
		hasDigit := strings.ContainsAny(piece, "0123456789")
		hasLetter := strings.IndexFunc(piece, unicode.IsLetter) >= 0
		if len(piece) >= 8 && hasDigit && hasLetter {
			mixedRun = true
		}
	}
	if !mixedRun {
		return false
	}
	var lower, upper, digit int
	counts := map[rune]int{}
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z':
			lower++
		case r >= 'A' && r <= 'Z':
			upper++
		case r >= '0' && r <= '9':
			digit++
		case strings.ContainsRune("-_.~+=:%", r):
		default:
			return false
		}
		counts[r]++
	}
	if digit == 0 || lower+upper == 0 {
		return false
	}
	n := float64(len([]rune(s)))
	entropy := 0.0
	for _, c := range counts {
		p := float64(c) / n
		entropy -= p * math.Log2(p)
	}
	return entropy >= minEntropy
}

// isUUID reports whether s is a UUID in its canonical textual form.
func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, r := range s {
		switch i {
		case 8, 13, 18, 23:
			if r != '-' {
				return false
			}
		default:
			if !strings.ContainsRune("0123456789abcdefABCDEF", r) {
				return false
			}
		}
	}
	return true
}
