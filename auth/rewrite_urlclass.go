package auth

// What a token inside a URL looks like: classifyURL finds it (userinfo,
// path segment, query value, or a token known by value), and gives the
// URL without it and with a {token} placeholder in its place.

import (
	"net/url"
	"strings"

	"github.com/cargo-auth/cargo-auth/internal/redact"
)

// maskURL redacts a URL for display: what redact.URL finds by shape, and
// the token found in it, however it is spelled (a known token can look like
// an ordinary word).
func maskURL(raw, secret string) string {
	out := redact.Known(redact.URL(raw))
	if len(secret) >= 4 {
		for _, spelled := range []string{escapeToken(secret), url.PathEscape(secret), url.QueryEscape(secret), secret} {
			out = strings.ReplaceAll(out, spelled, redact.Placeholder)
		}
	}
	return out
}

// urlClass is what classifyURL found in one URL.
type urlClass struct {
	// kind is a leak* constant, "" for a clean URL.
	kind string
	// secret is the token (unescaped), clean the URL without it (the
	// userinfo, segment or query parameter removed), and template the URL
	// with {token} where the token was.
	secret, clean, template string
	// registry names whose known token it is, when it is one.
	registry string
}

// classifyURL looks for a token in one URL (with or without cargo's
// sparse+/registry+ prefix). known tokens are found whatever they look
// like; unknown ones by their shape.
func classifyURL(raw string, known []knownSecret) urlClass {
	prefix, rest := splitSourcePrefix(raw)
	u, err := url.Parse(rest)
	if err != nil || u.Scheme == "" || u.Host == "" {
		for _, k := range known {
			if containsSecret(raw, k.value) {
				return urlClass{kind: leakKnownToken, secret: k.value, clean: raw, registry: k.registry}
			}
		}
		return urlClass{}
	}
	knownAs := func(s string) (string, bool) {
		for _, k := range known {
			if s == k.value {
				return k.registry, true
			}
		}
		return "", false
	}
	rebuild := func(mod func(*url.URL)) string {
		c := *u
		mod(&c)
		return prefix + c.String()
	}
	if u.User != nil {
		user := u.User.Username()
		password, hasPassword := u.User.Password()
		if hasPassword && password != "" {
			reg, _ := knownAs(password)
			return urlClass{kind: leakUserinfoPassword, secret: password, registry: reg,
				clean:    rebuild(func(c *url.URL) { c.User = nil }),
				template: strings.Replace(rebuild(func(c *url.URL) { c.User = url.UserPassword(user, "TOKENPLACEHOLDER") }), "TOKENPLACEHOLDER", "{token}", 1)}
		}
		if reg, ok := knownAs(user); ok || redact.LooksLikeToken(user) {
			return urlClass{kind: leakUserinfoUser, secret: user, registry: reg,
				clean:    rebuild(func(c *url.URL) { c.User = nil }),
				template: strings.Replace(rebuild(func(c *url.URL) { c.User = url.User("TOKENPLACEHOLDER") }), "TOKENPLACEHOLDER", "{token}", 1)}
		}
	}
	segments := strings.Split(u.EscapedPath(), "/")
	for i, seg := range segments {
		plain, err := url.PathUnescape(seg)
		if err != nil {
			plain = seg
		}
		if reg, ok := knownAs(plain); ok || redact.LooksLikeToken(plain) {
			without := append(append([]string(nil), segments[:i]...), segments[i+1:]...)
			withPlaceholder := append([]string(nil), segments...)
			withPlaceholder[i] = "{token}"
			return urlClass{kind: leakPathToken, secret: plain, registry: reg,
				clean:    rebuild(func(c *url.URL) { setEscapedPath(c, strings.Join(without, "/")) }),
				template: strings.Replace(rebuild(func(c *url.URL) { setEscapedPath(c, strings.Join(withPlaceholder, "/")) }), "%7Btoken%7D", "{token}", 1)}
		}
	}
	if u.RawQuery != "" {
		q := u.Query()
		for key, values := range q {
			for _, v := range values {
				if reg, ok := knownAs(v); ok || redact.LooksLikeToken(v) || (secretQueryKeyName(key) && v != "") {
					return urlClass{kind: leakQueryToken, secret: v, registry: reg,
						clean: rebuild(func(c *url.URL) { q2 := c.Query(); q2.Del(key); c.RawQuery = q2.Encode() })}
				}
			}
		}
	}
	for _, k := range known {
		if containsSecret(raw, k.value) {
			return urlClass{kind: leakKnownToken, secret: k.value, clean: raw, registry: k.registry}
		}
	}
	return urlClass{}
}

func setEscapedPath(u *url.URL, escaped string) {
	if p, err := url.PathUnescape(escaped); err == nil {
		u.Path, u.RawPath = p, escaped
		if u.EscapedPath() != escaped {
			u.RawPath = ""
		}
	}
}

// splitSourcePrefix splits cargo's source-kind prefix off a URL.
func splitSourcePrefix(raw string) (prefix, rest string) {
	for _, p := range []string{"sparse+", "registry+", "git+"} {
		if strings.HasPrefix(raw, p) {
			return p, raw[len(p):]
		}
	}
	return "", raw
}

func secretQueryKeyName(key string) bool {
	k := strings.ToLower(key)
	for _, w := range []string{"token", "password", "secret", "auth"} {
		if strings.Contains(k, w) {
			return true
		}
	}
	return false
}

// containsSecret reports whether text holds secret as is or URL-escaped.
func containsSecret(text, secret string) bool {
	if secret == "" {
		return false
	}
	return strings.Contains(text, secret) || strings.Contains(text, url.PathEscape(secret)) || strings.Contains(text, url.QueryEscape(secret))
}

// urlsIn finds the URL-looking words of a line: a scheme, "://", and the
// characters a URL may hold, up to a quote, space or bracket.
func urlsIn(line string) []string {
	var out []string
	for {
		i := strings.Index(line, "://")
		if i < 0 {
			return out
		}
		start := i
		for start > 0 && isSchemeChar(line[start-1]) {
			start--
		}
		end := i + 3
		for end < len(line) && isURLByte(line[end]) {
			end++
		}
		if start < i {
			out = append(out, line[start:end])
		}
		line = line[end:]
	}
}

func isSchemeChar(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '+' || b == '-' || b == '.'
}

func isURLByte(b byte) bool {
	if b <= ' ' || b >= 0x7f {
		return false
	}
	return !strings.ContainsRune("\"'<>`(){}[],\\", rune(b))
}
