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

// The login check: before a token is stored, the registry must accept it.
// Cargo sends a token only after config.json answered 401 without one, so
// the check first asks config.json without a token, then with it in the
// form to be stored, and, when no scheme was forced and that form is
// refused, as "Bearer <token>" and as Basic: a registry that wants another
// form than cargo's raw header then gets it stored that way. When
// config.json answers without a token it cannot judge one, and the same
// forms are tried on a read-only endpoint of the web API that refuses
// anonymous requests instead (api_probe.go), where cargo needs the token
// for publish.

// loginCheckTimeout bounds each request of the check.
const loginCheckTimeout = 30 * time.Second

// tokenCheck is what the check proved.
type tokenCheck struct {
	// Token is the token in the form the registry accepted (or as given
	// when nothing could be proven).
	Token credentials.Token
	// Proven is true when the registry refused a request without a token
	// and answered it with Token.
	Proven bool
	// On names the endpoint that proved it when that is not config.json
	// ("the web API's search"); "" for config.json.
	On string
	// Switched is true when the registry refused the form given and
	// accepted Token's.
	Switched bool
	// Notes say what was not proven, for the user.
	Notes []string
}

// errTokenRejected is wrapped by the error of a token the registry refused.
var errTokenRejected = errors.New("token rejected")

// checkToken checks tok against the registry's config.json, or its web API
// when config.json needs no token. forced says the user chose the form (a
// --scheme, or a whole header value): no other form is tried. A registry
// that cannot be reached is an error, and so is one that refuses the token
// (wrapping errTokenRejected).
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
	switch anon.Status {
	case http.StatusOK:
		if !looksLikeRegistryConfig(anon.Body) {
			return result, withHint(fmt.Errorf("%s does not answer with a registry's config.json (HTTP 200 but not the JSON cargo expects)", redact.URL(configURL)),
				"check the index URL; nothing was stored")
		}
		return checkTokenOnAPI(ctx, client, label, anon.Body, tok, forced)
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

	configJSON := request{URL: configURL}
	accepted := func(resp *response) bool {
		return resp.Status == http.StatusOK && looksLikeRegistryConfig(resp.Body)
	}
	form, refused, resp, err := tryForms(ctx, client, configJSON, accepted, tokenForms(tok, forced))
	switch {
	case err != nil:
		return result, unreachable(err)
	case form != nil:
		result.Token, result.Proven, result.Switched = *form, true, form.Scheme() != tok.Scheme()
		return result, nil
	case resp != nil:
		return result, withHint(fmt.Errorf("%s answers %d with the token", redact.URL(configURL), resp.Status),
			"nothing was stored; try again later, or use --no-verify to store the token anyway")
	}
	return result, rejectedError(label, "config.json", refused, forced)
}

// checkTokenOnAPI judges tok on the web API named by config.json (body),
// which answered without a token. What cannot be judged there (no API, an
// API that needs no token either, one that fails) becomes a note and the
// token is stored as given; a token refused in every form is an error.
func checkTokenOnAPI(ctx context.Context, client *registryClient, label string, body []byte, tok credentials.Token, forced bool) (tokenCheck, error) {
	result := tokenCheck{Token: tok}
	notProven := func(why string) (tokenCheck, error) {
		result.Notes = append(result.Notes, fmt.Sprintf("%s answers config.json without any token (it is public, or fails to protect it), and %s: the check proved that the registry is reachable, not that the token works, nor in which form (cargo publish will tell)", label, why))
		return result, nil
	}
	var cfg struct {
		API string `json:"api"`
	}
	if json.Unmarshal(body, &cfg) != nil || cfg.API == "" {
		return notProven("it names no web API to ask instead")
	}
	ep, why, err := tokenEndpoint(ctx, client.do, cfg.API, "")
	switch {
	case err != nil:
		return notProven("its web API could not be asked instead: " + err.Error())
	case why != "":
		return notProven("its web API needs none either: " + why)
	}
	form, refused, resp, err := tryForms(ctx, client, ep.request(""), ep.served, tokenForms(tok, forced))
	switch {
	case err != nil:
		return notProven(ep.Name + " could not be asked with the token: " + err.Error())
	case form != nil:
		result.Token, result.Proven, result.On, result.Switched = *form, true, ep.Name, form.Scheme() != tok.Scheme()
		return result, nil
	case resp != nil:
		return notProven(fmt.Sprintf("%s answers %d with the token", ep.Name, resp.Status))
	}
	return result, rejectedError(label, ep.Name+" (config.json needs no token)", refused, forced)
}

// tokenForms are the forms of tok the check tries, in order: as given,
// then, unless forced, Bearer and Basic.
func tokenForms(tok credentials.Token, forced bool) []credentials.Token {
	forms := []credentials.Token{tok}
	if !forced {
		for _, s := range []credentials.Scheme{credentials.SchemeBearer, credentials.SchemeBasic} {
			if s != tok.Scheme() {
				forms = append(forms, withScheme(tok, s, tok.User()))
			}
		}
	}
	return forms
}

// tryForms sends req with each form in turn until one is accepted (form).
// A form refused with 401 or 403 adds to refused and the next is tried; any
// other answer stops the check and is returned as resp, with form nil.
func tryForms(ctx context.Context, client *registryClient, req request, accepted func(*response) bool, forms []credentials.Token) (form *credentials.Token, refused []string, resp *response, err error) {
	for _, f := range forms {
		req.Authorization = f.Authorization()
		resp, err := client.do(ctx, req)
		if err != nil {
			return nil, refused, nil, err
		}
		switch {
		case accepted(resp):
			return &f, refused, nil, nil
		case refusedCredential(resp):
			refused = append(refused, fmt.Sprintf("%s (%d)", schemeLabel(f), resp.Status))
		default:
			return nil, refused, resp, nil
		}
	}
	return nil, refused, nil, nil
}

// rejectedError is the error of a token refused in every form tried, on
// the endpoint named where.
func rejectedError(label, where string, refused []string, forced bool) error {
	hint := "check that the token is current and has read access; nothing was stored"
	if forced {
		hint += "; without --scheme cargo-auth also tries Bearer and Basic"
	}
	return withExitCode(ExitAuth, withHint(fmt.Errorf("%s rejected the token: %w: %s refused it as %s", label, errTokenRejected, where, strings.Join(refused, ", ")), hint))
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
