package auth

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/cargo-auth/cargo-auth/cargoconfig"
	"github.com/cargo-auth/cargo-auth/credentials"
	"github.com/cargo-auth/cargo-auth/internal/redact"
)

// The chain simulation: cargo tries a registry's providers in order; only
// not-found and url-not-supported let it go on to the next one, anything
// else ends the chain (cargo-facts.md, "Credential providers"). Each
// provider is judged by reading what it would read, never by running it,
// unless --run-providers asks for that.

// chainInput is what the simulation works on.
type chainInput struct {
	// credName is the registry name cargo reads the credential settings
	// of; indexURL is the index URL cargo sends providers.
	credName, indexURL string
	authRequired       bool
}

// simulateChain fills r.Providers, r.AnsweredBy and r.Token, and the
// problems the chain has.
func (e *statusEngine) simulateChain(ctx context.Context, r *statusRegistry, in chainInput) {
	providers, err := e.cfg.Providers(in.credName, in.authRequired)
	if errors.Is(err, cargoconfig.ErrProviderRequired) {
		r.add(newProblem(probProviderNone,
			"the registry requires authentication and no credential provider is configured: cargo refuses with \"authenticated registries require a credential-provider to be configured\"",
			fmt.Sprintf("run cargo auth login %s (it stores the token and puts cargo-auth before cargo:token in [registry] global-credential-providers)", in.credName)))
		return
	}
	if err != nil {
		r.add(newProblem(probConfigInvalid, "cargo rejects the configuration of its credential providers: "+redact.Text(err.Error()),
			"correct the setting named in the message"))
		return
	}
	stopped := ""
	for _, p := range providers {
		step := describeProvider(p)
		if stopped != "" {
			step.Outcome, step.Detail = outcomeNotReached, stopped
			r.Providers = append(r.Providers, step)
			continue
		}
		e.judgeProvider(ctx, r, in, p, &step)
		r.Providers = append(r.Providers, step)
		i := len(r.Providers) - 1
		switch step.Outcome {
		case outcomeToken, outcomeError:
			r.AnsweredBy = &i
			stopped = "cargo stopped at " + step.Name
		case outcomeNotRun:
			r.AnsweredBy = &i
			stopped = "tried only if " + step.Name + " answers not-found"
		}
	}
	e.chainProblems(r, in)
}

// describeProvider turns a configured provider into its report entry.
func describeProvider(p cargoconfig.Provider) statusProvider {
	step := statusProvider{Name: p.Argv[0], Args: p.Argv[1:], Alias: p.Alias, Origin: originOfConfig(p.Origin)}
	switch {
	case p.Builtin():
		step.Kind = "builtin"
	case isCargoAuthProgram(p.Argv[0]):
		step.Kind = "cargo-auth"
	default:
		step.Kind = "external"
	}
	if len(step.Args) == 0 {
		step.Args = nil
	}
	return step
}

// isCargoAuthProgram reports whether a provider program is cargo-auth
// itself: its name, or a path to it.
func isCargoAuthProgram(program string) bool {
	base := filepath.Base(program)
	return base == "cargo-auth" || base == "cargo-auth.exe"
}

// judgeProvider decides what one provider would answer.
func (e *statusEngine) judgeProvider(ctx context.Context, r *statusRegistry, in chainInput, p cargoconfig.Provider, step *statusProvider) {
	switch {
	case step.Kind == "cargo-auth":
		e.judgeCargoAuth(ctx, r, in, p, step)
	case step.Kind == "external":
		e.judgeExternal(ctx, r, in, p, step)
	default:
		e.judgeBuiltin(ctx, r, in, p, step)
	}
}

func (e *statusEngine) judgeBuiltin(ctx context.Context, r *statusRegistry, in chainInput, p cargoconfig.Provider, step *statusProvider) {
	goos := e.opts.goos
	switch p.Argv[0] {
	case "cargo:token":
		tok, ok, err := e.cfg.Token(in.credName)
		switch {
		case err != nil:
			step.Outcome, step.Detail = outcomeError, redact.Text(err.Error())
			r.add(newProblem(probConfigInvalid, "cargo:token cannot read its tokens: "+redact.Text(err.Error()),
				"correct the file named in the message"))
		case ok && !tok.Token.IsZero():
			raw := tok.Token.Reveal()
			source := sourceConfig
			switch {
			case tok.Origin.Kind == cargoconfig.OriginEnv:
				source = sourceEnv
			case tok.Origin.Path != "" && tok.Origin.Path == e.cfg.CredentialsFile():
				source = sourceCredentialsFile
			}
			e.setToken(r, step, source, tok.Origin.String(), credentials.ParseAuthorization(raw), raw)
		default:
			env := cargoconfig.EnvPrefix(in.credName) + "_TOKEN"
			if in.credName == cargoconfig.CratesIO {
				env = "CARGO_REGISTRY_TOKEN"
			}
			step.Outcome = outcomeNotFound
			step.Detail = "no token: " + env + " is not set, and neither credentials.toml nor the configuration has one"
		}
	case "cargo:libsecret":
		e.judgeLibsecret(ctx, r, in, step)
	case "cargo:macos-keychain", "cargo:wincred":
		own := map[string]string{"cargo:macos-keychain": "darwin", "cargo:wincred": "windows"}[p.Argv[0]]
		if goos != own {
			step.Outcome = outcomeNotSupported
			step.Detail = "not available on " + goos + ": cargo skips it"
			return
		}
		step.Outcome, step.Detail = outcomeNotRun, "status does not read the OS keychain; cargo asks it for cargo-registry:"+redact.URL(in.indexURL)
	case "cargo:paseto":
		step.Outcome, step.Detail = outcomeError, "cargo:paseto needs nightly cargo with -Z asymmetric-token; stable cargo stops here"
		r.add(newProblem(probProviderUnsupported, "the chain reaches cargo:paseto, which stable cargo refuses",
			"remove cargo:paseto from the provider list, or put a working provider after it"))
	case "cargo:token-from-stdout":
		e.judgeTokenFromStdout(ctx, r, in, p, step)
	default:
		step.Outcome, step.Detail = outcomeError, "unknown built-in provider"
	}
}

// judgeLibsecret looks cargo:libsecret's item up directly over D-Bus. Any
// failure other than "no such item" is an error cargo does not fall
// through (the headless trap).
func (e *statusEngine) judgeLibsecret(ctx context.Context, r *statusRegistry, in chainInput, step *statusProvider) {
	if e.opts.goos != "linux" {
		step.Outcome, step.Detail = outcomeNotSupported, "not available on "+e.opts.goos+": cargo skips it"
		return
	}
	fail := func(why string) {
		step.Outcome, step.Detail = outcomeError, why
		r.add(newProblem(probLibsecretFails,
			"cargo:libsecret fails on this machine ("+why+") and cargo does not fall through to the providers after it",
			"list cargo:libsecret only where a desktop keyring runs, or put cargo-auth (or cargo:token) last so cargo tries it first"))
	}
	if !e.opts.libsecretLoadable() {
		fail("libsecret-1.so.0 is not installed")
		return
	}
	c, err := e.opts.libsecretToken(ctx, in.indexURL)
	switch {
	case errors.Is(err, credentials.ErrNotFound):
		step.Outcome, step.Detail = outcomeNotFound, "no cargo:libsecret item for this index URL"
	case errors.Is(err, credentials.ErrUnavailable):
		fail("no Secret Service: " + redact.Text(err.Error()))
	case err != nil:
		fail(redact.Text(err.Error()))
	case c.Locked:
		fail("its item is in a locked collection")
	default:
		e.setToken(r, step, sourceLibsecret, c.Where(), c.Token, c.Token.Authorization())
	}
}

// judgeCargoAuth reads cargo-auth's own store and answers as the provider
// (provider.go) would: unknown arguments are an error, a store that cannot
// work here and a missing or expired credential are not-found (cargo goes
// on), and a due token command mints a fresh token, which status does only
// with --run-providers.
func (e *statusEngine) judgeCargoAuth(ctx context.Context, r *statusRegistry, in chainInput, p cargoconfig.Provider, step *statusProvider) {
	if _, err := e.opts.lookPath(p.Argv[0]); err != nil {
		e.missingProgram(r, p, step)
		return
	}
	args, err := parseProviderArgs(p.Argv[1:])
	if err != nil {
		e.providerFailed(r, step, redact.Text(err.Error()))
		return
	}
	backend := e.opts.Backend
	if args.Backend != "" {
		backend = args.Backend
	}
	store, err := e.openStore(ctx, backend)
	if err != nil {
		if !errors.Is(err, credentials.ErrUnavailable) && !errors.Is(err, errNoStore) {
			e.providerFailed(r, step, "cargo-auth's store: "+redact.Text(err.Error()))
			return
		}
		step.Outcome = outcomeNotFound
		step.Detail = "no keyring works here, so it answers not-found: " + redact.Text(err.Error())
		return
	}
	cred, err := store.Get(ctx, in.indexURL)
	switch {
	case errors.Is(err, credentials.ErrNotFound), errors.Is(err, credentials.ErrUnavailable):
		step.Outcome, step.Detail = outcomeNotFound, "no credential for this index in cargo-auth's store ("+store.Backend()+")"
		return
	case errors.Is(err, credentials.ErrBadIndexURL):
		step.Outcome, step.Detail = outcomeNotSupported, "not an index URL cargo-auth keys credentials by"
		return
	case err != nil:
		e.providerFailed(r, step, "cargo-auth's store: "+redact.Text(err.Error()))
		return
	}
	origin := "cargo-auth's store (" + store.Backend() + ")"
	if refreshDue(cred, e.opts.Factory.Now()) {
		if !e.opts.RunProviders {
			step.Outcome = outcomeNotRun
			step.Detail = "would run its token command " + tokenCommandName(cred.TokenCommand) + " for a fresh token: not run (--run-providers runs it)"
			return
		}
		if cred, err = freshCredential(ctx, e.opts.Factory, store, cred); err != nil {
			e.providerFailed(r, step, "its token command fails: "+redact.Text(flattenHints(err)))
			return
		}
		origin += ", minted by " + tokenCommandName(cred.TokenCommand)
	}
	if cred.Token.IsZero() {
		step.Outcome, step.Detail = outcomeNotFound, "an empty credential in cargo-auth's store"
		return
	}
	if exp := cred.Token.Expires(); !exp.IsZero() && !exp.After(e.opts.Factory.Now()) {
		step.Outcome = outcomeNotFound
		step.Detail = "its stored token expired at " + exp.UTC().Format(time.RFC3339) + ", so it answers not-found"
		r.add(newProblem(probStoredExpired,
			"the token cargo-auth keeps for this registry expired at "+exp.UTC().Format(time.RFC3339)+": cargo-auth answers not-found and cargo tries the next provider",
			"store a fresh token: cargo auth login "+in.credName))
		return
	}
	e.setToken(r, step, sourceCargoAuth, origin, cred.Token, cred.Token.Authorization())
	if len(cred.TokenCommand) > 0 && r.Token != nil {
		r.Token.RenewedBy = tokenCommandName(cred.TokenCommand)
	}
}

// judgeExternal names an external provider, or runs it when asked.
func (e *statusEngine) judgeExternal(ctx context.Context, r *statusRegistry, in chainInput, p cargoconfig.Provider, step *statusProvider) {
	if _, err := e.opts.lookPath(p.Argv[0]); err != nil {
		e.missingProgram(r, p, step)
		return
	}
	if !e.opts.RunProviders {
		step.Outcome, step.Detail = outcomeNotRun, "an external provider: not run (--run-providers runs it as cargo would)"
		return
	}
	e.runExternal(ctx, r, in, p, step)
}

func (e *statusEngine) judgeTokenFromStdout(ctx context.Context, r *statusRegistry, in chainInput, p cargoconfig.Provider, step *statusProvider) {
	if len(p.Argv) < 2 {
		step.Outcome, step.Detail = outcomeError, "cargo:token-from-stdout needs a command"
		r.add(newProblem(probConfigInvalid, "cargo:token-from-stdout is configured without a command",
			"give it the command that prints the token: [\"cargo:token-from-stdout\", \"PROGRAM\", \"ARGS...\"]"))
		return
	}
	step.Name, step.Args = p.Argv[0], p.Argv[1:]
	if _, err := e.opts.lookPath(p.Argv[1]); err != nil {
		e.missingProgram(r, cargoconfig.Provider{Argv: p.Argv[1:], Origin: p.Origin}, step)
		return
	}
	if !e.opts.RunProviders {
		step.Outcome, step.Detail = outcomeNotRun, "runs "+p.Argv[1]+": not run (--run-providers runs it as cargo would)"
		return
	}
	e.runTokenFromStdout(ctx, r, in, p, step)
}

// missingProgram is a provider whose program cargo cannot start: cargo
// stops with an error.
func (e *statusEngine) missingProgram(r *statusRegistry, p cargoconfig.Provider, step *statusProvider) {
	step.Outcome = outcomeError
	step.Detail = "cargo cannot start " + p.Argv[0] + ": not found or not executable"
	r.add(newProblem(probProviderMissing,
		fmt.Sprintf("the provider program %s (%s) is not found or not executable, and cargo stops there", p.Argv[0], p.Origin),
		"install it, or give its absolute path in the provider list"))
}

// setToken records the token a provider answers with.
func (e *statusEngine) setToken(r *statusRegistry, step *statusProvider, source, origin string, tok credentials.Token, header string) {
	step.Outcome = outcomeToken
	step.Detail = "answers with the token from " + origin
	redact.Register(tok.Reveal(), header)
	r.secret, r.header = tok, header
	t := &statusToken{Source: source, Origin: origin, Masked: tok.Masked(), Scheme: headerForm(header)}
	if e.opts.ShowToken {
		t.Value = header
	}
	if exp := tok.Expires(); !exp.IsZero() {
		exp = exp.UTC()
		t.Expires = &exp
	}
	r.Token = t
}
