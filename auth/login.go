package auth

import (
	"context"
	"fmt"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/cargo-auth/cargo-auth/cargoconfig"
	"github.com/cargo-auth/cargo-auth/credentials"
	"github.com/cargo-auth/cargo-auth/internal/redact"
)

// loginOptions are everything `cargo auth login` needs, parsed from flags
// and environment by newLoginCommand; tests build them directly.
type loginOptions struct {
	Factory *Factory

	// Registry is a registry name or an index URL (also given with
	// --index); "" is cargo's default registry or the only one.
	Registry   string
	ConfigArgs []string
	// Backend is the keyring backend ("" for the best that works here);
	// PinBackend is set when it was chosen on the command line, not by
	// CARGO_AUTH_BACKEND, and then goes into cargo's provider entry.
	Backend    string
	PinBackend bool

	// TokenFile reads the token from the first line of a file instead of
	// stdin or the terminal.
	TokenFile string
	// Scheme forces how the token is sent ("" detects it); Username is
	// the user name of a Basic token.
	Scheme   string
	Username string
	// TokenCommand mints the token (and later fresh ones); TokenTTL caps
	// the lifetime of what it mints.
	TokenCommand []string
	TokenTTL     time.Duration

	NoVerify        bool
	NoConfigure     bool
	ReplaceProvider bool
}

func newLoginCommand(f *Factory, runF func(context.Context, *loginOptions) error) *cli.Command {
	return &cli.Command{
		Name:      "login",
		Usage:     "store a registry token in the keyring and make cargo use it",
		ArgsUsage: "[NAME | INDEX-URL]",
		Description: "Reads the token from the first line of stdin when it is piped, else asks for it on the\n" +
			"terminal without echo, or reads --token-file; a token is never a flag value. Checks it\n" +
			"against the registry's config.json, or a read-only web API endpoint when config.json\n" +
			"needs no token (trying Bearer and Basic when the raw token is refused), stores it in the\n" +
			"keyring, and makes cargo ask cargo-auth first, and cargo:token\n" +
			"after it, by editing registry.global-credential-providers in $CARGO_HOME/config.toml.\n" +
			"With --token-command the token comes from a command that is run again whenever the\n" +
			"token is missing or about to expire. Exit status: 0 stored, 4 the registry rejected\n" +
			"the token (nothing stored), 1 error, 2 usage. See docs/tokens.md.",
		Flags: []cli.Flag{
			indexFlag(),
			&cli.StringFlag{Name: "token-file", Usage: "read the token from the first line of `FILE`"},
			&cli.StringFlag{Name: "scheme", Usage: "send the token as `raw|bearer|basic` (default: detect; basic takes USER:SECRET or --username)"},
			&cli.StringFlag{Name: "username", Usage: "user `NAME` of a Basic token (default: PAT, as Azure Artifacts expects)"},
			&cli.StringSliceFlag{Name: "token-command", Usage: "mint the token with `COMMAND`: one value is split like a shell would (no variables, pipes or globs); repeat the flag to give the argv word by word"},
			&cli.DurationFlag{Name: "token-ttl", Usage: "refresh a minted token at least every `DURATION` (default: its JSON or JWT expiry, else 15m)"},
			&cli.BoolFlag{Name: "no-verify", Usage: "store the token without checking it against the registry"},
			&cli.BoolFlag{Name: "no-configure", Usage: "leave cargo's configuration alone"},
			&cli.BoolFlag{Name: "replace-provider", Usage: "remove the registry's own credential-provider from $CARGO_HOME/config.toml when it names another provider"},
			configFlag(),
			backendFlag(),
		},
		Action: func(c *cli.Context) error {
			registry, err := registryArg(c)
			if err != nil {
				return err
			}
			opts := &loginOptions{
				Factory:         f,
				Registry:        registry,
				ConfigArgs:      c.StringSlice("config"),
				Backend:         c.String("backend"),
				TokenFile:       c.String("token-file"),
				Scheme:          c.String("scheme"),
				Username:        c.String("username"),
				TokenTTL:        c.Duration("token-ttl"),
				NoVerify:        c.Bool("no-verify"),
				NoConfigure:     c.Bool("no-configure"),
				ReplaceProvider: c.Bool("replace-provider"),
			}
			opts.PinBackend = opts.Backend != "" && opts.Backend != f.Getenv(credentials.EnvBackend)
			argv, err := parseTokenCommandFlag(c.StringSlice("token-command"))
			if err != nil {
				return err
			}
			opts.TokenCommand = argv
			if runF != nil {
				return runF(c.Context, opts)
			}
			return loginRun(c.Context, opts)
		},
	}
}

// parseTokenCommandFlag turns --token-command values into argv: one value
// is split like a shell would, several are the argv word by word.
func parseTokenCommandFlag(values []string) ([]string, error) {
	switch len(values) {
	case 0:
		return nil, nil
	case 1:
		argv, err := splitCommandLine(values[0])
		if err != nil {
			return nil, usageErrorf("--token-command: %v", err)
		}
		if len(argv) == 0 {
			return nil, usageErrorf("--token-command is empty")
		}
		return argv, nil
	}
	if values[0] == "" {
		return nil, usageErrorf("--token-command: the program is empty")
	}
	return values, nil
}

// validate checks what needs no configuration, before anything is read.
func (o *loginOptions) validate() (credentials.Scheme, error) {
	scheme, err := credentials.ParseScheme(o.Scheme)
	if err != nil {
		return "", usageErrorf("--scheme: %v", err)
	}
	if o.TokenFile != "" && len(o.TokenCommand) > 0 {
		return "", usageErrorf("--token-file and --token-command cannot be combined: the command gives the token")
	}
	if o.TokenTTL != 0 && len(o.TokenCommand) == 0 {
		return "", usageErrorf("--token-ttl applies to tokens minted by --token-command")
	}
	if o.TokenTTL < 0 {
		return "", usageErrorf("--token-ttl must be positive")
	}
	if o.Username != "" && o.Scheme != "" && scheme != credentials.SchemeBasic {
		return "", usageErrorf("--username applies to --scheme basic")
	}
	if o.Username != "" {
		scheme = credentials.SchemeBasic
	}
	if looksLikeIndexURL(o.Registry) && redact.URL(o.Registry) != o.Registry {
		return "", withExitCode(ExitUsage, withHint(fmt.Errorf("the index URL %s carries a credential: a token never goes on the command line", redact.URL(o.Registry)),
			"give the URL without it; the token goes on stdin"))
	}
	return scheme, nil
}

// loginRun checks, stores and configures one registry's token.
func loginRun(ctx context.Context, opts *loginOptions) error {
	scheme, err := opts.validate()
	if err != nil {
		return err
	}
	f := opts.Factory
	disablePromptsIfAsked(f)
	u := newUI(f)
	cfg, err := f.CargoConfig(opts.ConfigArgs)
	if err != nil {
		return err
	}
	target, err := resolveRegistry(cfg, opts.Registry)
	if err != nil {
		return err
	}
	if target.Name == "" {
		if _, err := credentials.Key(target.IndexURL); err != nil {
			return usageErrorf("%v", err)
		}
	}
	label := target.Label()
	store, err := f.openStore(ctx, opts.Backend)
	if err != nil {
		return withHint(fmt.Errorf("opening the keyring: %w", err), "nothing was stored; cargo auth backends shows which backends work here")
	}

	forced := opts.Scheme != "" || opts.Username != ""
	var tok credentials.Token
	if len(opts.TokenCommand) > 0 {
		tok, err = mintToken(ctx, f, mintSpec{Argv: opts.TokenCommand, Scheme: scheme, User: opts.Username, TTL: opts.TokenTTL})
		if err != nil {
			return withHint(err, "nothing was stored")
		}
	} else {
		value, err := readLoginToken(f, opts.TokenFile, label)
		if err != nil {
			return err
		}
		forced = forced || headerForm(value) != "raw"
		tok = tokenFromValue(value, scheme, opts.Username)
	}

	if opts.NoVerify {
		u.Printf("%s %s: not checked against the registry (--no-verify)\n", u.mark("skip"), label)
	} else {
		client, err := newLoginClient(f, cfg)
		if err != nil {
			return err
		}
		check, err := checkToken(ctx, client, target, tok, forced)
		if err != nil {
			return err
		}
		if check.Switched {
			u.Warnf("%s refused the token as %s but accepted it as %s: storing it that way (--scheme %s)", label, schemeLabel(tok), schemeLabel(check.Token), check.Token.Scheme())
		}
		tok = check.Token.WithExpiry(tok.Expires())
		for _, note := range check.Notes {
			u.Warnf("note: %s", note)
		}
		if check.Proven {
			u.Printf("%s %s accepted the token (%s)%s\n", u.mark("ok"), label, schemeLabel(tok), provenOn(check))
		}
	}

	cred := credentials.Credential{
		IndexURL:     target.IndexURL,
		Registry:     target.Name,
		Token:        tok,
		TokenCommand: opts.TokenCommand,
		TokenTTL:     opts.TokenTTL,
		Updated:      f.Now(),
	}
	if err := storeAndReadBack(ctx, store, cred); err != nil {
		return err
	}
	u.Printf("%s stored the token for %s (%s) in %s%s\n", u.mark("ok"), label, tok.Masked(), store.Backend(), expiryNote(tok, f.Now()))
	if len(opts.TokenCommand) > 0 {
		u.Printf("%s %s mints a fresh token when this one is about to expire\n", u.mark("ok"), tokenCommandName(opts.TokenCommand))
	}
	warnPlaintextToken(u, target)
	if opts.NoConfigure {
		return nil
	}
	pin := ""
	if opts.PinBackend {
		pin = store.Backend()
	}
	res, err := configureProvider(f, cfg, target, configureOptions{
		PinBackend:              pin,
		StoredIn:                store.Backend(),
		ReplaceRegistryProvider: opts.ReplaceProvider,
		ConfigArgs:              opts.ConfigArgs,
	})
	if err != nil {
		return fmt.Errorf("the token is stored, but %w", err)
	}
	reportConfigure(u, res, label)
	return nil
}

// provenOn says where the check proved the token when that was not
// config.json.
func provenOn(check tokenCheck) string {
	if check.On == "" {
		return ""
	}
	return " on " + check.On + ": config.json needs no token, so it could not tell"
}

// storeAndReadBack stores cred and reads it back: a keyring that silently
// dropped or mangled it is caught here, not at the next cargo build.
func storeAndReadBack(ctx context.Context, store credentials.Store, cred credentials.Credential) error {
	if err := store.Set(ctx, cred); err != nil {
		return fmt.Errorf("storing the token: %w", err)
	}
	back, err := store.Get(ctx, cred.IndexURL)
	if err != nil {
		return fmt.Errorf("reading the token back from %s: %w", store.Backend(), err)
	}
	if back.Token.Authorization() != cred.Token.Authorization() {
		return fmt.Errorf("the token read back from %s differs from the one stored", store.Backend())
	}
	return nil
}

// expiryNote says when a token expires, if known.
func expiryNote(tok credentials.Token, now time.Time) string {
	exp := tok.Expires()
	if exp.IsZero() {
		return ""
	}
	if !exp.After(now) {
		return fmt.Sprintf(", expired %s", exp.Local().Format(time.RFC3339))
	}
	return fmt.Sprintf(", expires %s (in %s)", exp.Local().Format(time.RFC3339), exp.Sub(now).Round(time.Second))
}

// reportConfigure prints what configureProvider did and its warnings.
func reportConfigure(u *ui, res configureResult, label string) {
	switch {
	case res.Changed:
		u.Printf("%s cargo now asks cargo-auth for %s's token (edited %s)\n", u.mark("ok"), label, res.Path)
	default:
		u.Printf("%s cargo already asks cargo-auth for %s's token\n", u.mark("ok"), label)
	}
	for _, w := range res.Warnings {
		u.Warnf("warning: %s", w)
	}
}

// warnPlaintextToken notes a token cargo:token still keeps for the
// registry in plain text (credentials.toml, a config file).
func warnPlaintextToken(u *ui, target registryTarget) {
	if target.Name == "" || target.Registry == nil {
		return
	}
	for _, t := range target.Registry.Tokens {
		if t.Origin.Kind == cargoconfig.OriginFile {
			u.Warnf("note: %s still holds a plaintext token for %s; remove it (cargo-auth is asked first, so it is not needed)", t.Origin, target.Name)
		}
	}
}
