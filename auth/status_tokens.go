package auth

import (
	"fmt"
	"time"

	"github.com/cargo-auth/cargo-auth/cargoconfig"
)

// expiringWithin is how close to its expiry a token gets a warning.
const expiringWithin = 24 * time.Hour

// chainProblems judges the chain's answer and the tokens around it: no
// token at all, tokens cargo never reads, tokens a provider before
// cargo:token hides, expiry, and where tokens sit in plain text.
func (e *statusEngine) chainProblems(r *statusRegistry, in chainInput) {
	answered := r.AnsweredBy != nil
	if !answered && len(r.Providers) > 0 && in.authRequired {
		// cargo says "no token found" when a provider answered
		// not-found, and that nobody could handle the request when all
		// of them answered url-not-supported.
		says := "no credential providers could handle the request"
		for _, p := range r.Providers {
			if p.Outcome == outcomeNotFound {
				says = "no token found"
			}
		}
		r.add(newProblem(probProviderNoToken,
			"no provider in the chain has a token for this registry: cargo fails with \""+says+"\"",
			e.noTokenFix(r, in)))
	}
	if r.unverified() {
		p := r.Providers[*r.AnsweredBy]
		r.add(newProblem(probProviderNotRun,
			"the token depends on "+p.Name+", which status did not run: the token and the live check with it are unverified",
			"run cargo auth status --run-providers to ask it as cargo would"))
	}
	e.tokenPlacement(r, in)
	if r.Token != nil && r.Token.Expires != nil {
		now := e.opts.Factory.Now()
		switch left := r.Token.Expires.Sub(now); {
		case left <= 0:
			r.add(newProblem(probTokenExpired,
				fmt.Sprintf("the token expired at %s", r.Token.Expires.Format(time.RFC3339)),
				fmt.Sprintf("store a fresh token: cargo auth login %s", in.credName)))
		case left < expiringWithin && r.Token.RenewedBy == "":
			// A token command mints the next token before this one
			// expires: a short life is the design, not a problem.
			r.add(newProblem(probTokenExpiring,
				fmt.Sprintf("the token expires at %s, in %s", r.Token.Expires.Format(time.RFC3339), left.Round(time.Minute)),
				fmt.Sprintf("store a fresh token before then: cargo auth login %s", in.credName)))
		}
	}
}

// noTokenFix suggests the way to give the chain a token that it will
// actually reach.
func (e *statusEngine) noTokenFix(r *statusRegistry, in chainInput) string {
	for _, p := range r.Providers {
		if p.Kind == "cargo-auth" {
			return fmt.Sprintf("store a token: cargo auth login %s", in.credName)
		}
	}
	for _, p := range r.Providers {
		if p.Name == "cargo:token" {
			return fmt.Sprintf("set %s_TOKEN, or run cargo auth login %s",
				cargoconfig.EnvPrefix(in.credName), in.credName)
		}
	}
	return fmt.Sprintf("run cargo auth login %s: it stores the token and makes cargo ask cargo-auth for it", in.credName)
}

// tokenPlacement reports the configured tokens of the registry that cargo
// will not read or that another provider hides, and those kept in plain
// text or in a file git tracks.
func (e *statusEngine) tokenPlacement(r *statusRegistry, in chainInput) {
	reg, ok := e.cfg.Registry(in.credName)
	if !ok || len(reg.Tokens) == 0 {
		return
	}
	tokenIndex := -1
	for i, p := range r.Providers {
		if p.Name == "cargo:token" {
			tokenIndex = i
			break
		}
	}
	for i, tok := range reg.Tokens {
		where := tok.Origin.String()
		switch {
		case len(r.Providers) > 0 && tokenIndex < 0:
			r.add(newProblem(probTokenIgnored,
				fmt.Sprintf("the token in %s is ignored: cargo reads it only through cargo:token, which is not in this registry's provider list", where),
				ignoredTokenFix(in.credName, tok.Origin)))
		case tokenIndex >= 0 && r.AnsweredBy != nil && *r.AnsweredBy < tokenIndex && r.Providers[*r.AnsweredBy].Outcome == outcomeToken:
			r.add(newProblem(probTokenShadowed,
				fmt.Sprintf("the token in %s is not used: %s answers before cargo:token is tried", where, r.Providers[*r.AnsweredBy].Name),
				"remove the unused token, or reorder the provider list (cargo tries the last entry first)"))
		case i > 0:
			r.add(newProblem(probTokenShadowed,
				fmt.Sprintf("the token in %s is not used: cargo:token takes the one in %s first", where, reg.Tokens[0].Origin),
				"remove the unused token so that nobody rotates the wrong one"))
		}
		if tok.Origin.Kind != cargoconfig.OriginFile && !(tok.Origin.Kind == cargoconfig.OriginCLI && tok.Origin.Path != "") {
			continue
		}
		if tok.Origin.Path == e.cfg.CredentialsFile() {
			r.add(newProblem(probTokenPlaintext,
				fmt.Sprintf("a token is kept in plain text in %s", where),
				"move it to the keyring: cargo auth import"))
		} else {
			r.add(newProblem(probTokenPlaintext,
				fmt.Sprintf("a token is kept in plain text in the configuration file %s, which others may read or share", where),
				fmt.Sprintf("remove it from the file and store it with cargo auth login %s", in.credName)))
		}
		if e.opts.gitTracked(tok.Origin.Path) {
			r.add(newProblem(probTokenInGit,
				fmt.Sprintf("a token is in %s, a file git tracks: it is in the repository's history", where),
				"revoke the token, remove it from the file, and store the new one with cargo auth login"))
		}
	}
}

// ignoredTokenFix says how to stop relying on a token cargo ignores.
func ignoredTokenFix(name string, origin cargoconfig.Origin) string {
	if origin.Kind == cargoconfig.OriginEnv {
		return fmt.Sprintf("store the token with cargo auth login %s, or add cargo:token to the registry's credential-provider list", name)
	}
	return fmt.Sprintf("remove the token from %s and store it with cargo auth login %s", origin, name)
}
