package auth

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/cargo-auth/cargo-auth/credentials"
)

// tokenOptions are what `cargo auth token` needs.
type tokenOptions struct {
	Factory *Factory

	// Registry is a registry name or an index URL; "" is cargo's default
	// registry or the only one.
	Registry   string
	ConfigArgs []string
	Backend    string
	// Secret prints the bare secret instead of the Authorization value.
	Secret bool
}

func newTokenCommand(f *Factory, runF func(context.Context, *tokenOptions) error) *cli.Command {
	return &cli.Command{
		Name:      "token",
		Usage:     "print a registry's stored token, for scripts",
		ArgsUsage: "[NAME | INDEX-URL]",
		Description: "Prints the token cargo-auth serves cargo for the registry, exactly the Authorization\n" +
			"value cargo sends (\"Bearer ...\" for a bearer token), so that it works as\n" +
			"CARGO_REGISTRIES_<NAME>_TOKEN=\"$(cargo auth token NAME)\" and in curl -H \"Authorization: ...\".\n" +
			"--secret prints the bare secret instead (the password of a Basic token). A token with a\n" +
			"token command is refreshed first when it is about to expire. Exit status: 0 printed,\n" +
			"1 no token or an error, 2 usage (an unknown registry).",
		Flags: []cli.Flag{
			indexFlag(),
			&cli.BoolFlag{Name: "secret", Usage: "print the bare secret, without the scheme cargo sends it with"},
			configFlag(),
			backendFlag(),
		},
		Action: func(c *cli.Context) error {
			registry, err := registryArg(c)
			if err != nil {
				return err
			}
			opts := &tokenOptions{
				Factory:    f,
				Registry:   registry,
				ConfigArgs: c.StringSlice("config"),
				Backend:    c.String("backend"),
				Secret:     c.Bool("secret"),
			}
			if runF != nil {
				return runF(c.Context, opts)
			}
			return tokenRun(c.Context, opts)
		},
	}
}

// tokenRun prints one registry's token.
func tokenRun(ctx context.Context, opts *tokenOptions) error {
	f := opts.Factory
	disablePromptsIfAsked(f)
	cfg, err := f.CargoConfig(opts.ConfigArgs)
	if err != nil {
		return err
	}
	target, err := resolveRegistry(cfg, opts.Registry)
	if err != nil {
		return err
	}
	label := target.Label()
	store, err := f.openStore(ctx, opts.Backend)
	if err != nil {
		return withHint(fmt.Errorf("opening the keyring: %w", err), "cargo auth backends shows which backends work here")
	}
	cred, err := getCredential(ctx, store, target.IndexURL)
	if errors.Is(err, credentials.ErrNotFound) {
		return withHint(fmt.Errorf("no token stored for %s in %s", label, store.Backend()), "store one with cargo auth login "+loginArg(target))
	}
	if err != nil {
		return err
	}
	if cred, err = freshCredential(ctx, f, store, cred); err != nil {
		return err
	}
	if exp := cred.Token.Expires(); !exp.IsZero() && !exp.After(f.Now()) {
		return withHint(fmt.Errorf("the token for %s expired at %s", label, exp.Local().Format(time.RFC3339)), "store a new one with cargo auth login "+loginArg(target))
	}
	value := cred.Token.Authorization()
	if opts.Secret {
		value = cred.Token.Reveal()
	}
	_, err = fmt.Fprintln(f.Stdout, value)
	return err
}

// loginArg is how the login command names the target.
func loginArg(t registryTarget) string {
	if t.Name != "" {
		return t.Name
	}
	return "--index " + t.Label()
}
