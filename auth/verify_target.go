package auth

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/cargo-auth/cargo-auth/cargoconfig"
	"github.com/cargo-auth/cargo-auth/internal/redact"
)

// The index protocols verify audits.
const (
	protocolSparse = "sparse"
	protocolGit    = "git"
)

// verifyTarget is the registry an audit probes.
type verifyTarget struct {
	registryTarget
	// Protocol is protocolSparse or protocolGit.
	Protocol string
	// Base is the index URL without cargo's "sparse+" or "registry+"
	// prefix; a sparse base ends in "/".
	Base *url.URL
}

// resolveVerifyTarget finds the registry a verify argument names: a
// configured name, a sparse+ index URL or a git index URL. URLs carrying a
// password are refused, so a token never sits on the command line.
func resolveVerifyTarget(cfg *cargoconfig.Config, arg string) (verifyTarget, error) {
	arg = strings.TrimSpace(arg)
	if rest, ok := strings.CutPrefix(arg, "registry+"); ok {
		arg = rest
	}
	if looksLikeIndexURL(arg) {
		u, err := url.Parse(strings.TrimPrefix(arg, "sparse+"))
		if err != nil || u.Host == "" {
			return verifyTarget{}, usageErrorf("%s is not an index URL", redact.URL(arg))
		}
		if _, hasPassword := u.User.Password(); hasPassword || (u.User != nil && redact.LooksLikeToken(u.User.Username())) {
			return verifyTarget{}, withExitCode(ExitUsage, withHint(
				fmt.Errorf("the index URL %s carries a credential: a token never goes on the command line", redact.URL(arg)),
				"pass the URL without it and the token with --token-stdin"))
		}
		if u.Scheme != "https" && u.Scheme != "http" {
			return verifyTarget{}, usageErrorf("verify audits registries over http and https, not %s", u.Scheme)
		}
	}
	reg, err := resolveRegistry(cfg, arg)
	if err != nil {
		return verifyTarget{}, err
	}
	t := verifyTarget{registryTarget: reg, Protocol: protocolGit}
	raw := reg.IndexURL
	if rest, ok := strings.CutPrefix(raw, "sparse+"); ok {
		t.Protocol, raw = protocolSparse, rest
	}
	raw = strings.TrimPrefix(raw, "registry+")
	base, err := url.Parse(raw)
	if err != nil || base.Host == "" || (base.Scheme != "https" && base.Scheme != "http") {
		return verifyTarget{}, usageErrorf("registry %s: index %s is not an http or https URL", t.Label(), redact.URL(raw))
	}
	base.User = nil
	base.Fragment = ""
	if t.Protocol == protocolSparse && !strings.HasSuffix(base.Path, "/") {
		base.Path += "/"
	}
	if t.Protocol == protocolGit {
		base.Path = strings.TrimSuffix(base.Path, "/")
	}
	t.Base = base
	return t, nil
}

// url returns the base joined with a relative path.
func (t verifyTarget) url(rel string) string {
	if t.Protocol == protocolGit {
		return t.Base.String() + "/" + rel
	}
	return t.Base.String() + rel
}

// originOf returns the origin of a URL (scheme, host and port, the port
// always spelled out), the unit cargo's and curl's token rules work in.
func originOf(raw string) (string, error) {
	u, err := url.Parse(strings.TrimPrefix(raw, "sparse+"))
	if err != nil {
		return "", err
	}
	if u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return "", fmt.Errorf("%s is not an http or https URL", redact.URL(raw))
	}
	return urlOrigin(u), nil
}

func urlOrigin(u *url.URL) string {
	return strings.ToLower(u.Scheme) + "://" + strings.ToLower(u.Hostname()) + ":" + effectivePort(u)
}

// displayOrigin is an origin as users write it: the default port left out.
func displayOrigin(origin string) string {
	for _, suffix := range []string{"https:443", "http:80"} {
		scheme, port, _ := strings.Cut(suffix, ":")
		if strings.HasPrefix(origin, scheme+"://") && strings.HasSuffix(origin, ":"+port) {
			return strings.TrimSuffix(origin, ":"+port)
		}
	}
	return origin
}

// cleartextRisk reports whether a URL sends credentials in clear text:
// plain http, except on loopback when the index itself is plain http on
// loopback (a local test registry). An https index whose dl or api is
// plain http is a downgrade even on loopback.
func cleartextRisk(u *url.URL, index *url.URL) bool {
	if u.Scheme != "http" {
		return false
	}
	return !isLoopback(u.Hostname()) || index.Scheme == "https"
}
