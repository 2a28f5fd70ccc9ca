package auth

// cargo-auth as cargo's credential provider: `cargo-auth --cargo-plugin`,
// run by cargo once per registry on every networked command. The protocol
// codec is credentials.Serve; this file answers its requests from the
// store. stdout carries protocol lines only; stderr only what a user should
// read; prompts go to the terminal.
//
// Start-up is on every cargo command's path, so nothing here runs before a
// request needs it: run() dispatches --cargo-plugin before the command-line
// app is built, cargo's configuration is never loaded for a get, and the
// keyring is opened on the first request.

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/cargo-auth/cargo-auth/credentials"
	"github.com/cargo-auth/cargo-auth/internal/redact"
)

// expiresMinimum is the shortest lifetime for which cargo honours
// cache "expires"; below it cargo treats the answer as "never".
const expiresMinimum = 60 * time.Second

// runProvider serves cargo's credential-provider protocol on stdin/stdout.
func runProvider(ctx context.Context, f *Factory) int {
	disablePromptsIfAsked(f)
	if f.Stdin != nil && isTerminal(f.Stdin) {
		printDiagnostic(f.Stderr, "this is cargo's credential provider: cargo runs it and speaks JSON on its stdin (see docs/tokens.md); for a person, cargo auth --help")
	}
	h := &providerHandler{f: f, stores: map[string]credentials.Store{}}
	err := credentials.Serve(ctx, f.Stdin, f.Stdout, h)
	switch {
	case err == nil:
		return ExitOK
	case errors.Is(err, credentials.ErrNoRequest):
		printDiagnostic(f.Stderr, err.Error())
	default:
		printDiagnostic(f.Stderr, "credential provider: "+err.Error())
	}
	return ExitError
}

// providerHandler answers cargo's requests from the store.
type providerHandler struct {
	f *Factory
	// stores caches opened stores by backend name ("" for the default).
	stores map[string]credentials.Store
	// noted is set once the one stderr line about an unusable keyring
	// has been printed.
	noted bool
}

// providerArgs are the arguments cargo passes in a request's args: those
// configured with the provider (credential-provider = ["cargo-auth",
// "--backend", "file"]) followed by those after `cargo login --`.
type providerArgs struct {
	Backend  string
	Scheme   string
	Username string
	NoVerify bool
}

func parseProviderArgs(args []string) (providerArgs, error) {
	var out providerArgs
	for i := 0; i < len(args); i++ {
		name, value, hasValue := strings.Cut(args[i], "=")
		takeValue := func() (string, error) {
			if hasValue {
				return value, nil
			}
			if i+1 >= len(args) {
				return "", fmt.Errorf("provider argument %s needs a value", name)
			}
			i++
			return args[i], nil
		}
		var err error
		switch name {
		case "--backend":
			out.Backend, err = takeValue()
		case "--scheme":
			out.Scheme, err = takeValue()
		case "--username":
			out.Username, err = takeValue()
		case "--no-verify":
			out.NoVerify = true
		default:
			// Only an option's name is shown: a stray word may be a token.
			shown := "a word that is not an option"
			if strings.HasPrefix(name, "--") {
				shown = fmt.Sprintf("%q", redactArg(name))
			}
			return out, fmt.Errorf("unknown provider argument %s (cargo-auth takes --backend, and for login --scheme, --username, --no-verify)", shown)
		}
		if err != nil {
			return out, err
		}
	}
	if _, err := credentials.ParseScheme(out.Scheme); err != nil {
		return out, err
	}
	return out, nil
}

// store opens (once) the store of the backend the request names, else of
// CARGO_AUTH_BACKEND, else the best that works here.
func (h *providerHandler) store(ctx context.Context, backend string) (credentials.Store, error) {
	if s, ok := h.stores[backend]; ok {
		return s, nil
	}
	s, err := h.f.openStore(ctx, backend)
	if err != nil {
		return nil, err
	}
	h.stores[backend] = s
	return s, nil
}

// unusable prints, once per process, one short stderr line saying why
// cargo-auth cannot answer from its keyring, and returns err (which wraps
// ErrUnavailable, so cargo is told not-found and tries its next provider).
func (h *providerHandler) unusable(req *credentials.Request, err error) error {
	if !h.noted {
		h.noted = true
		reason, _, _ := strings.Cut(err.Error(), "; ")
		if all, _, ok := strings.Cut(reason, ": "); ok && strings.HasPrefix(all, "no keyring backend works") {
			reason = all // the first backend's reason alone would mislead
		}
		printDiagnostic(h.f.Stderr, fmt.Sprintf("no keyring for %s (%s); cargo tries its next credential provider (cargo auth backends says more)", requestLabel(req), reason))
	}
	return err
}

// requestLabel names the registry of a request for messages.
func requestLabel(req *credentials.Request) string {
	if req.Registry.Name != "" {
		return req.Registry.Name
	}
	return redact.URL(req.Registry.IndexURL)
}

// Get answers a get for every operation with the stored token: refreshed
// first when it has a token command and is due, with cache "expires" when
// it has a known expiry more than a minute away, "never" when less,
// "session" otherwise, and operation_independent so that cargo reuses it
// for publish, yank and owner.
func (h *providerHandler) Get(ctx context.Context, req *credentials.Request) (credentials.GetResponse, error) {
	args, err := parseProviderArgs(req.Args)
	if err != nil {
		return credentials.GetResponse{}, err
	}
	store, err := h.store(ctx, args.Backend)
	if errors.Is(err, credentials.ErrUnavailable) {
		return credentials.GetResponse{}, h.unusable(req, err)
	}
	if err != nil {
		return credentials.GetResponse{}, err
	}
	cred, err := getCredential(ctx, store, req.Registry.IndexURL)
	switch {
	case errors.Is(err, credentials.ErrNotFound):
		return credentials.GetResponse{}, err
	case errors.Is(err, credentials.ErrUnavailable):
		return credentials.GetResponse{}, h.unusable(req, err)
	case errors.Is(err, credentials.ErrBadIndexURL):
		return credentials.GetResponse{}, credentials.ErrURLNotSupported
	case err != nil:
		return credentials.GetResponse{}, err
	}
	if cred, err = freshCredential(ctx, h.f, store, cred); err != nil {
		return credentials.GetResponse{}, fmt.Errorf("%s: %s", requestLabel(req), flattenHints(err))
	}
	now := h.f.Now()
	resp := credentials.GetResponse{Token: cred.Token, Cache: credentials.CacheSession, OperationIndependent: true}
	if exp := cred.Token.Expires(); !exp.IsZero() {
		switch left := exp.Sub(now); {
		case left <= 0:
			printDiagnostic(h.f.Stderr, fmt.Sprintf("the token for %s expired at %s; cargo tries its next credential provider (renew it with cargo auth login)", requestLabel(req), exp.Local().Format(time.RFC3339)))
			return credentials.GetResponse{}, credentials.ErrNotFound
		case left > expiresMinimum:
			resp.Cache, resp.Expiration = credentials.CacheExpires, exp
		default:
			resp.Cache = credentials.CacheNever
		}
	}
	return resp, nil
}

// Login stores the token cargo passes (or asks for it on the terminal),
// checked against the registry like `cargo auth login` does unless the
// provider was given --no-verify. A keyring that cannot work here is an
// error, not not-found: cargo would otherwise store the token in plain
// text with the next provider.
func (h *providerHandler) Login(ctx context.Context, req *credentials.Request) error {
	args, err := parseProviderArgs(req.Args)
	if err != nil {
		return err
	}
	scheme, _ := credentials.ParseScheme(args.Scheme)
	if args.Username != "" {
		scheme = credentials.SchemeBasic
	}
	label := requestLabel(req)
	store, err := h.store(ctx, args.Backend)
	if err != nil {
		return fmt.Errorf("cannot store the token for %s: %s", label, err)
	}
	var value string
	if req.Token != nil {
		value = strings.TrimSpace(*req.Token)
		redact.Register(value)
	} else if value, err = h.promptToken(req, label); err != nil {
		return err
	}
	if value == "" {
		return fmt.Errorf("no token given for %s", label)
	}
	forced := args.Scheme != "" || args.Username != "" || headerForm(value) != "raw"
	tok := tokenFromValue(value, scheme, args.Username)
	if !args.NoVerify {
		if tok, err = h.checkLogin(ctx, req, tok, forced); err != nil {
			return err
		}
	}
	cred := credentials.Credential{IndexURL: req.Registry.IndexURL, Registry: req.Registry.Name, Token: tok, Updated: h.f.Now()}
	if err := storeAndReadBack(ctx, store, cred); err != nil {
		return fmt.Errorf("%s", err) // not ErrUnavailable: see above
	}
	printDiagnostic(h.f.Stderr, fmt.Sprintf("stored the token for %s (%s) in %s", label, schemeLabel(tok), store.Backend()))
	return nil
}

// promptToken asks for a login token on the terminal.
func (h *providerHandler) promptToken(req *credentials.Request, label string) (string, error) {
	prompt := fmt.Sprintf("token for %s", label)
	if req.LoginURL != "" {
		prompt += fmt.Sprintf(" (get one at %s)", redact.URL(req.LoginURL))
	}
	value, err := promptSecret(h.f, prompt+": ")
	if errors.Is(err, errNoTerminal) {
		return "", fmt.Errorf("no token given and no terminal to ask on: pipe it, as in cargo login --registry %s < token-file", label)
	}
	return value, err
}

// checkLogin checks a login token against the registry, as cargo auth
// login does; notes go to stderr.
func (h *providerHandler) checkLogin(ctx context.Context, req *credentials.Request, tok credentials.Token, forced bool) (credentials.Token, error) {
	cfg, err := h.f.CargoConfig(nil)
	if err != nil {
		cfg = nil // the CA bundle from the environment is still unknown; cargo read it fine
	}
	client, err := newLoginClient(h.f, cfg)
	if err != nil {
		return tok, err
	}
	target := registryTarget{Name: req.Registry.Name, IndexURL: req.Registry.IndexURL}
	check, err := checkToken(ctx, client, target, tok, forced)
	if err != nil {
		return tok, errors.New(flattenHints(err))
	}
	if check.Switched {
		printDiagnostic(h.f.Stderr, fmt.Sprintf("%s refused the token as %s but accepted it as %s: storing it that way", target.Label(), schemeLabel(tok), schemeLabel(check.Token)))
	}
	for _, note := range check.Notes {
		printDiagnostic(h.f.Stderr, "note: "+note)
	}
	if check.Proven && check.On != "" {
		printDiagnostic(h.f.Stderr, fmt.Sprintf("%s accepted the token (%s)%s", target.Label(), schemeLabel(check.Token), provenOn(check)))
	}
	return check.Token, nil
}

// Logout removes the stored credential; not-found when there is none,
// which cargo reports as "not currently logged in".
func (h *providerHandler) Logout(ctx context.Context, req *credentials.Request) error {
	args, err := parseProviderArgs(req.Args)
	if err != nil {
		return err
	}
	store, err := h.store(ctx, args.Backend)
	if err != nil {
		return fmt.Errorf("cannot reach the keyring for %s: %s", requestLabel(req), err)
	}
	err = store.Delete(ctx, req.Registry.IndexURL)
	if err != nil && !errors.Is(err, credentials.ErrNotFound) {
		return fmt.Errorf("%s", err)
	}
	return err
}

// cratesIOIndexes are the two names of crates.io's index: cargo's
// configuration knows the git one, the sparse one is what cargo uses by
// default. A token stored under either serves both.
var cratesIOIndexes = []string{"https://github.com/rust-lang/crates.io-index", "sparse+https://index.crates.io/"}

// getCredential is store.Get, trying crates.io's other index name too.
func getCredential(ctx context.Context, store credentials.Store, indexURL string) (credentials.Credential, error) {
	cred, err := store.Get(ctx, indexURL)
	if !errors.Is(err, credentials.ErrNotFound) {
		return cred, err
	}
	for i, u := range cratesIOIndexes {
		if credentials.MatchIndexURL(u, indexURL) {
			if other, err2 := store.Get(ctx, cratesIOIndexes[1-i]); err2 == nil {
				return other, nil
			}
		}
	}
	return cred, err
}

// flattenHints puts an error's hints into one line, for the protocol's
// message (cargo prints only the message).
func flattenHints(err error) string {
	msg := err.Error()
	var h *hintError
	if errors.As(err, &h) {
		for _, hint := range h.hints {
			msg += "; " + hint
		}
	}
	return msg
}
