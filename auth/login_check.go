package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/cargo-auth/cargo-auth/cargoconfig"
	"github.com/cargo-auth/cargo-auth/credentials"
	"github.com/cargo-auth/cargo-auth/internal/redact"
)

// The login check: before a token is stored, config.json must answer with
// it. Cargo sends a token only after config.json answered 401 without one,
// so the check first asks without a token, then with it in the form to be
// stored, and, when no scheme was forced and that form is refused, as
// "Bearer <token>" and as Basic: a registry that wants another form than
// cargo's raw header then gets it stored that way.

// loginCheckTimeout bounds each request of the check.
const loginCheckTimeout = 30 * time.Second

// tokenCheck is what the check proved.
type tokenCheck struct {
	// Token is the token in the form the registry accepted (or as given
	// when nothing could be proven).
	Token credentials.Token
	// Proven is true when the registry refused config.json without a
	// token and answered it with Token.
	Proven bool
	// Switched is true when the registry refused the form given and
	// accepted Token's.
	Switched bool
	// Notes say what was not proven, for the user.
	Notes []string
}

// errTokenRejected is wrapped by the error of a token the registry refused.
var errTokenRejected = errors.New("token rejected")

// checkToken checks tok against the registry's config.json. forced says
// the user chose the form (a --scheme, or a whole header value): no other
// form is tried. A registry that cannot be reached is an error, and so is
// one that refuses the token (wrapping errTokenRejected).
func checkToken(ctx context.Context, client *registryClient, target registryTarget, tok credentials.Token, forced bool) (tokenCheck, error) {
	result := tokenCheck{Token: tok}
	label := target.Label()
	configURL, ok := configJSONURL(target.IndexURL)
	if !ok {
		result.Notes = append(result.Notes, fmt.Sprintf("%s has a git index: cargo never sends the token to git, so it could not be checked before storing", label))
		return result, nil
	}
	unreachable := func(err error) error {
		return withHint(fmt.Errorf("registry %s is unreachable: %w", label, err),
			"nothing was stored; check the index URL and the network, or store the token unchecked with --no-verify")
	}
	anon, err := client.get(ctx, configURL, "")
	if err != nil {
		return result, unreachable(err)
	}
	public := false
	switch anon.Status {
	case http.StatusOK:
		if !looksLikeRegistryConfig(anon.Body) {
			return result, withHint(fmt.Errorf("%s does not answer with a registry's config.json (HTTP 200 but not the JSON cargo expects)", redact.URL(configURL)),
				"check the index URL; nothing was stored")
		}
		public = true
	case http.StatusUnauthorized:
	case http.StatusForbidden:
		return result, withHint(fmt.Errorf("%s answers 403 without a token: cargo sends a token only after a 401, so it would never authenticate to this registry", redact.URL(configURL)),
			"ask the registry's operator to answer 401 to anonymous requests; cargo auth verify shows the details; nothing was stored (use --no-verify to store anyway)")
	case http.StatusNotFound, http.StatusGone:
		return result, withHint(fmt.Errorf("%s answers %d: is the index URL right?", redact.URL(configURL), anon.Status),
			"nothing was stored; use --no-verify to store the token anyway")
	default:
		return result, withHint(fmt.Errorf("%s answers %d without a token", redact.URL(configURL), anon.Status),
			"nothing was stored; try again later, or use --no-verify to store the token anyway")
	}

	forms := []credentials.Token{tok}
	if !forced {
		for _, s := range []credentials.Scheme{credentials.SchemeBearer, credentials.SchemeBasic} {
			if s != tok.Scheme() {
				forms = append(forms, withScheme(tok, s, tok.User()))
			}
		}
	}
	var refused []string
	for _, form := range forms {
		resp, err := client.get(ctx, configURL, form.Authorization())
		if err != nil {
			return result, unreachable(err)
		}
		switch {
		case resp.Status == http.StatusOK && looksLikeRegistryConfig(resp.Body):
			result.Token = form
			result.Switched = form.Scheme() != tok.Scheme()
			if public {
				result.Notes = append(result.Notes, fmt.Sprintf("%s answers config.json without any token: the registry is public, or fails to protect it; the check proved that it is reachable, not that the token works", label))
				return result, nil
			}
			result.Proven = true
			return result, nil
		case resp.Status == http.StatusUnauthorized || resp.Status == http.StatusForbidden:
			refused = append(refused, fmt.Sprintf("%s (%d)", schemeLabel(form), resp.Status))
		default:
			return result, withHint(fmt.Errorf("%s answers %d with the token", redact.URL(configURL), resp.Status),
				"nothing was stored; try again later, or use --no-verify to store the token anyway")
		}
	}
	hint := "check that the token is current and has read access; nothing was stored"
	if forced {
		hint += "; without --scheme cargo-auth also tries Bearer and Basic"
	}
	return result, withExitCode(ExitAuth, withHint(fmt.Errorf("%s rejected the token: %w: config.json refused it as %s", label, errTokenRejected, strings.Join(refused, ", ")), hint))
}

// configJSONURL is the config.json of a sparse index; ok is false for git.
func configJSONURL(indexURL string) (string, bool) {
	rest, ok := strings.CutPrefix(indexURL, "sparse+")
	if !ok {
		return "", false
	}
	if !strings.HasSuffix(rest, "/") {
		rest += "/"
	}
	return rest + "config.json", true
}

// looksLikeRegistryConfig reports whether body is a registry's config.json.
func looksLikeRegistryConfig(body []byte) bool {
	var cfg struct {
		DL *string `json:"dl"`
	}
	return json.Unmarshal(body, &cfg) == nil && cfg.DL != nil
}

// newLoginClient is the registry client of the login check, trusting the
// CA bundle cargo would (http.cainfo, CARGO_HTTP_CAINFO).
func newLoginClient(f *Factory, cfg *cargoconfig.Config) (*registryClient, error) {
	caInfo := ""
	if cfg != nil {
		if v, ok, err := cfg.HTTPCAInfo(); err != nil {
			return nil, err
		} else if ok {
			caInfo = v.Value
		}
	}
	return newRegistryClient(f, clientOptions{Timeout: loginCheckTimeout, CAInfo: caInfo})
}
