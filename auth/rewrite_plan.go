package auth

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/cargo-auth/cargo-auth/cargoconfig"
	"github.com/cargo-auth/cargo-auth/credentials"
	"github.com/cargo-auth/cargo-auth/internal/redact"
)

// rewritePlan is what rewrite-config does for one registry.
type rewritePlan struct {
	// Registry is the registry's name in cargo's configuration.
	Registry string
	// Mode is modePath, modeUserinfo or modeNative.
	Mode string
	// CleanURL is the registry's index URL as configured, without a token:
	// the URL cargo records in Cargo.lock.
	CleanURL string
	// TokenURL is the token-bearing URL the replacement source points at;
	// "" in native mode.
	TokenURL string
	// Token is the registry's token; zero in native mode when none was found.
	Token credentials.Token
	// TokenSource says where the token came from, for messages.
	TokenSource string
	// Setting is the resolved setting (flags over cargo-auth.toml).
	Setting rewriteSetting

	// ownProviderIsCargoAuth: native mode finds the registry's own
	// credential-provider already is cargo-auth, so the list stays.
	ownProviderIsCargoAuth bool
}

// secret is the token as it goes into a URL: without an Authorization
// scheme, the password of a Basic token.
func (p *rewritePlan) secret() string { return p.Token.Reveal() }

// authedSource is the name of the replacement source holding the token URL.
func authedSource(registry string) string { return registry + "-authed" }

// resolveSetting puts the flags over the registry's cargo-auth.toml table
// and checks the result.
func resolveSetting(opts *rewriteConfigOptions, settings map[string]rewriteSetting, name string) (rewriteSetting, error) {
	return validateSetting(name, overlayFlags(opts, settings[name]))
}

// overlayFlags puts --mode, --template and --user over a setting.
func overlayFlags(opts *rewriteConfigOptions, s rewriteSetting) rewriteSetting {
	for _, kv := range [][2]*string{{&s.Mode, &opts.Mode}, {&s.Template, &opts.Template}, {&s.User, &opts.User}} {
		if *kv[1] != "" {
			*kv[0] = *kv[1]
			s.Origin = "the command line"
		}
	}
	return s
}

// validateSetting checks a registry's setting: a known mode, a template
// that can work in it, --user only for userinfo.
func validateSetting(name string, s rewriteSetting) (rewriteSetting, error) {
	if s.Mode == "" && s.Template != "" {
		s.Mode = modePath
	}
	switch s.Mode {
	case modePath, modeUserinfo, modeNative:
	case "":
		return s, usageErrorf("no mode for registry %s: give --mode path|userinfo|native, or add [rewrite.%s] to .cargo/%s", name, name, rewriteSettingsFile)
	default:
		return s, usageErrorf("unknown mode %q for registry %s (from %s): want path, userinfo or native", s.Mode, name, s.Origin)
	}
	switch {
	case s.Mode == modePath || s.Mode == modeUserinfo && s.Template != "":
		if err := validateTemplate(s.Template, s.Mode); err != nil {
			return s, withExitCode(ExitUsage, fmt.Errorf("registry %s: %w", name, err))
		}
	case s.Template != "":
		return s, usageErrorf("registry %s: native mode puts no token in any URL, so it takes no template", name)
	}
	if s.User != "" && s.Mode != modeUserinfo {
		return s, usageErrorf("registry %s: --user is for --mode userinfo", name)
	}
	return s, nil
}

// validateTemplate checks a template: one {token}, in the path (path mode)
// or the userinfo (userinfo mode) of an https URL (http only on loopback),
// and no other credential in it.
func validateTemplate(template, mode string) error {
	if template == "" {
		return withHint(errors.New("path mode needs a --template with a {token} placeholder"),
			"for example --template 'sparse+https://dl.example.com/{token}/acme/repo/cargo/'")
	}
	if n := strings.Count(template, "{token}"); n != 1 {
		return withHint(fmt.Errorf("the template %s must contain {token} exactly once, not %d times", redact.URL(template), n),
			"put {token} where the registry expects the token, e.g. https://dl.example.com/{token}/acme/repo/cargo/index.git")
	}
	probe := strings.Replace(template, "{token}", "TOKENPLACEHOLDER", 1)
	_, rest := splitSourcePrefix(probe)
	u, err := url.Parse(rest)
	if err != nil || u.Host == "" {
		return fmt.Errorf("the template %s is not an absolute URL", redact.URL(template))
	}
	if err := credentialsAllowed(u); err != nil || (u.Scheme != "https" && u.Scheme != "http") {
		return fmt.Errorf("the template %s must be an https URL: a token in a plain-http URL travels in clear", redact.URL(template))
	}
	inPath := strings.Contains(u.EscapedPath(), "TOKENPLACEHOLDER")
	inUserinfo := u.User != nil && strings.Contains(u.User.String(), "TOKENPLACEHOLDER")
	switch {
	case mode == modePath && !inPath:
		return fmt.Errorf("the template %s must have {token} in its path (use --mode userinfo for user:{token}@host)", redact.URL(template))
	case mode == modeUserinfo && !inUserinfo:
		return fmt.Errorf("the template %s must have {token} in its userinfo (https://user:{token}@host/...)", redact.URL(template))
	}
	clean := probe
	if inUserinfo {
		u.User = nil
		_, clean = "", u.String()
	}
	if c := classifyURL(clean, nil); c.kind != "" && c.secret != "TOKENPLACEHOLDER" {
		return withHint(fmt.Errorf("the template %s already holds a credential (%s)", redact.URL(template), c.kind),
			"keep only the {token} placeholder in it; the token comes from the store, CARGO_REGISTRIES_<NAME>_TOKEN or --token-stdin")
	}
	return nil
}

// escapeToken percent-encodes every byte of s but the unreserved characters
// of RFC 3986 (letters, digits, -._~), so a token is one path segment or
// one userinfo field whatever it holds ('/', '@', ':', '%', '#', ...).
func escapeToken(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// tokenURL builds the token-bearing URL of a path or userinfo plan.
func (p *rewritePlan) tokenURL() (string, error) {
	secret := p.secret()
	switch p.Mode {
	case modePath:
		return strings.Replace(p.Setting.Template, "{token}", escapeToken(secret), 1), nil
	case modeUserinfo:
		if p.Setting.Template != "" {
			return strings.Replace(p.Setting.Template, "{token}", escapeToken(secret), 1), nil
		}
		base := p.Setting.URL
		if base == "" {
			base = p.CleanURL
		}
		prefix, rest := splitSourcePrefix(base)
		u, err := url.Parse(rest)
		if err != nil || u.Host == "" {
			return "", fmt.Errorf("registry %s: %s is not an absolute URL", p.Registry, redact.URL(base))
		}
		if err := credentialsAllowed(u); err != nil || (u.Scheme != "https" && u.Scheme != "http") {
			return "", fmt.Errorf("registry %s: userinfo mode needs an https URL, not %s: a token in a plain-http URL travels in clear", p.Registry, redact.URL(base))
		}
		user := p.Setting.User
		if user == "" {
			user = p.Token.User()
		}
		if user == "" {
			user = "cargo-auth"
		}
		u.User = nil
		scheme, after, _ := strings.Cut(u.String(), "://")
		return prefix + scheme + "://" + escapeToken(user) + ":" + escapeToken(secret) + "@" + after, nil
	}
	return "", nil
}

// buildPlan resolves one registry: its clean index from cargo's
// configuration, its setting, its token and the token URL.
func buildPlan(ctx context.Context, cfg *cargoconfig.Config, tokens *tokenFinder, name string, setting rewriteSetting) (*rewritePlan, error) {
	if looksLikeIndexURL(name) {
		return nil, usageErrorf("rewrite-config takes registry names, not URLs: %s", redact.URL(name))
	}
	if name == cargoconfig.CratesIO {
		return nil, usageErrorf("crates-io takes its token in a header; there is nothing to rewrite")
	}
	target, err := resolveRegistry(cfg, name)
	if err != nil {
		return nil, err
	}
	if c := classifyURL(target.IndexURL, tokens.known); c.kind != "" {
		index, _ := cfg.RegistryIndex(name)
		return nil, withExitCode(ExitUsage, withHint(
			fmt.Errorf("the index URL of %s holds a token (%s, %s): %s", name, c.kind, index.Origin, redact.URL(target.IndexURL)),
			"run `cargo auth rewrite-config --migrate` to move the token into the store and put the clean URL back"))
	}
	p := &rewritePlan{Registry: name, Mode: setting.Mode, CleanURL: target.IndexURL, Setting: setting}
	p.Token, p.TokenSource, err = tokens.find(ctx, name, target.IndexURL)
	if err != nil {
		return nil, err
	}
	if p.Mode == modeNative {
		return p, nil
	}
	if p.Token.IsZero() {
		hints := []string{fmt.Sprintf("store one with `cargo auth login %s`, set %s_TOKEN, or pipe it to `cargo auth rewrite-config %s --token-stdin`",
			name, cargoconfig.EnvPrefix(name), name)}
		if h := tokens.storeHint(); h != "" {
			hints = append(hints, h)
		}
		return nil, withHint(fmt.Errorf("no token for %s", name), hints...)
	}
	if p.TokenURL, err = p.tokenURL(); err != nil {
		return nil, err
	}
	redact.Register(p.TokenURL)
	return p, nil
}
