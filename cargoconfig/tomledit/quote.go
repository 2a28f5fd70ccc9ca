package tomledit

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// errInvalidUTF8 is returned for strings TOML cannot hold.
var errInvalidUTF8 = errors.New("string is not valid UTF-8")

// renderString writes s as a TOML string in the requested style, falling back
// to a basic string when s cannot be written in it. TOML v1.0.0: "Basic
// strings are surrounded by quotation marks. Any Unicode character may be used
// except those that must be escaped: quotation mark, backslash, and the
// control characters other than tab"; "Literal strings are surrounded by
// single quotes ... There is no escaping."
func renderString(s string, style quoteStyle) (string, error) {
	if !utf8.ValidString(s) {
		return "", errInvalidUTF8
	}
	switch style {
	case styleLiteral:
		if literalOK(s) {
			return "'" + s + "'", nil
		}
	case styleMultilineLiteral:
		if literalOK(strings.ReplaceAll(s, "'", "")) && !strings.Contains(s, "''") && !strings.HasSuffix(s, "'") {
			return "'''" + s + "'''", nil
		}
	case styleMultilineBasic:
		return `"""` + escapeBasic(s) + `"""`, nil
	}
	return `"` + escapeBasic(s) + `"`, nil
}

// literalOK reports whether s can be written between single quotes: no quote,
// no control character other than tab, nothing invisible.
func literalOK(s string) bool {
	for _, r := range s {
		switch {
		case r == '\t':
		case r == '\'' || r < 0x20 || r == 0x7f || (r >= 0x80 && !unicode.IsPrint(r)):
			return false
		}
	}
	return true
}

// escapeBasic escapes s for the inside of a basic string. Printable non-ASCII
// characters are kept as they are; control and invisible characters are
// escaped so the file shows what it holds.
func escapeBasic(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\b':
			b.WriteString(`\b`)
		case '\t':
			b.WriteString(`\t`)
		case '\n':
			b.WriteString(`\n`)
		case '\f':
			b.WriteString(`\f`)
		case '\r':
			b.WriteString(`\r`)
		default:
			switch {
			case r < 0x20 || r == 0x7f || (r >= 0x80 && !unicode.IsPrint(r) && r <= 0xffff):
				fmt.Fprintf(&b, `\u%04X`, r)
			case r > 0xffff && !unicode.IsPrint(r):
				fmt.Fprintf(&b, `\U%08X`, r)
			default:
				b.WriteRune(r)
			}
		}
	}
	return b.String()
}

// isBareKey reports whether k can be written without quotes. TOML v1.0.0:
// "Bare keys may only contain ASCII letters, ASCII digits, underscores, and
// dashes (A-Za-z0-9_-)."
func isBareKey(k string) bool {
	if k == "" {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// quoteKey writes one key part, bare when possible.
func quoteKey(k string) (string, error) {
	if isBareKey(k) {
		return k, nil
	}
	if !utf8.ValidString(k) {
		return "", errInvalidUTF8
	}
	return `"` + escapeBasic(k) + `"`, nil
}

// formatKey writes a dotted key for messages and new lines. Invalid UTF-8 is
// shown escaped rather than refused, so it can always name a key.
func formatKey(key []string) string {
	parts := make([]string, len(key))
	for n, k := range key {
		q, err := quoteKey(k)
		if err != nil {
			q = fmt.Sprintf("%q", k)
		}
		parts[n] = q
	}
	return strings.Join(parts, ".")
}
