package cargoconfig

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/cargo-auth/cargo-auth/internal/redact"
)

// specialSchemes are the WHATWG "special" schemes, whose host cargo's URL
// parser lower-cases and whose default port it drops. `sparse+https` is not
// one of them.
var specialSchemes = map[string]string{"http": "80", "https": "443", "ws": "80", "wss": "443", "ftp": "21", "file": ""}

// parseURL parses an absolute URL and normalises it the way cargo's URL
// parser does for the cases that matter to registry indexes: lower-case
// scheme, lower-case host and no default port for special schemes, `.` and
// `..` segments removed, an empty path of a special URL becomes `/`.
func parseURL(raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return nil, fmt.Errorf("invalid url `%s`: %v", redact.URL(raw), err)
	}
	if u.Scheme == "" {
		return nil, fmt.Errorf("invalid url `%s`: relative URL without a base", redact.URL(raw))
	}
	if u.Opaque != "" {
		return nil, fmt.Errorf("invalid url `%s`: cannot-be-a-base-URLs are not supported", redact.URL(raw))
	}
	u.Scheme = strings.ToLower(u.Scheme)
	if port, special := specialSchemes[u.Scheme]; special {
		u.Host = strings.ToLower(u.Host)
		if port != "" && u.Port() == port {
			u.Host = strings.TrimSuffix(u.Host, ":"+port)
		}
		if u.Path == "" {
			u.Path = "/"
		}
	}
	u.Path = removeDotSegments(u.Path)
	u.RawPath = ""
	return u, nil
}

func removeDotSegments(p string) string {
	if !strings.Contains(p, ".") {
		return p
	}
	segs := strings.Split(p, "/")
	var out []string
	for i, s := range segs {
		last := i == len(segs)-1
		switch s {
		case ".":
			if last {
				out = append(out, "")
			}
		case "..":
			if len(out) > 1 {
				out = out[:len(out)-1]
			}
			if last {
				out = append(out, "")
			}
		default:
			out = append(out, s)
		}
	}
	return strings.Join(out, "/")
}

// canonicalURL is cargo's CanonicalUrl, which decides whether two index
// URLs name the same registry: no trailing slash, GitHub URLs lower-cased
// and moved to https, and no `.git` suffix.
func canonicalURL(raw string) (string, error) {
	u, err := parseURL(raw)
	if err != nil {
		return "", err
	}
	if strings.HasSuffix(u.Path, "/") {
		u.Path = strings.TrimSuffix(u.Path, "/")
	}
	if strings.EqualFold(u.Hostname(), "github.com") && u.Host == strings.ToLower(u.Host) {
		u.Scheme = "https"
		u.Path = strings.ToLower(u.Path)
	}
	if strings.HasSuffix(u.Path, ".git") {
		u.Path = strings.TrimSuffix(u.Path, ".git")
	}
	return u.String(), nil
}

// sourceURL is how cargo shows a registry source in messages: sparse
// indexes keep their `sparse+` scheme, git indexes get `registry+`.
func sourceURL(index string) string {
	u, err := parseURL(index)
	if err != nil {
		return index
	}
	if strings.HasPrefix(u.Scheme, "sparse+") {
		return u.String()
	}
	return "registry+" + u.String()
}
