package auth

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/urfave/cli/v2"

	"github.com/cargo-auth/cargo-auth/cargoconfig"
	"github.com/cargo-auth/cargo-auth/credentials"
	"github.com/cargo-auth/cargo-auth/internal/redact"
)

// logoutOptions are what `cargo auth logout` needs.
type logoutOptions struct {
	Factory *Factory

	Registry   string
	ConfigArgs []string
	Backend    string
	// Unconfigure also undoes login's edit of cargo's configuration.
	Unconfigure bool
}

func newLogoutCommand(f *Factory, runF func(context.Context, *logoutOptions) error) *cli.Command {
	return &cli.Command{
		Name:      "logout",
		Usage:     "remove a registry's token from the keyring",
		ArgsUsage: "[NAME | INDEX-URL]",
		Description: "Removes the stored credential (token and token command). With --unconfigure it also\n" +
			"undoes login's edit of $CARGO_HOME/config.toml (exactly, when nothing changed it since;\n" +
			"otherwise it removes only cargo-auth), unless other registries still have tokens in\n" +
			"cargo-auth. Logging out of a registry with no stored token is not an error. Exit\n" +
			"status: 0 done, 1 error, 2 usage (an unknown registry).",
		Flags: []cli.Flag{
			indexFlag(),
			&cli.BoolFlag{Name: "unconfigure", Usage: "also undo login's edit of $CARGO_HOME/config.toml"},
			configFlag(),
			backendFlag(),
		},
		Action: func(c *cli.Context) error {
			registry, err := registryArg(c)
			if err != nil {
				return err
			}
			opts := &logoutOptions{
				Factory:     f,
				Registry:    registry,
				ConfigArgs:  c.StringSlice("config"),
				Backend:     c.String("backend"),
				Unconfigure: c.Bool("unconfigure"),
			}
			if runF != nil {
				return runF(c.Context, opts)
			}
			return logoutRun(c.Context, opts)
		},
	}
}

// logoutRun removes one registry's credential.
func logoutRun(ctx context.Context, opts *logoutOptions) error {
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
	label := target.Label()
	store, err := f.openStore(ctx, opts.Backend)
	if err != nil {
		return withHint(fmt.Errorf("opening the keyring: %w", err), "cargo auth backends shows which backends work here")
	}
	err = store.Delete(ctx, target.IndexURL)
	switch {
	case errors.Is(err, credentials.ErrNotFound):
		u.Printf("%s no token stored for %s in %s\n", u.mark("skip"), label, store.Backend())
	case err != nil:
		return fmt.Errorf("removing the token for %s: %w", label, err)
	default:
		u.Printf("%s removed the token for %s from %s\n", u.mark("ok"), label, store.Backend())
	}
	if target.Registry != nil {
		for _, t := range target.Registry.Tokens {
			u.Warnf("note: cargo still has a token for %s in %s", label, t.Origin)
		}
	}
	if !opts.Unconfigure {
		return nil
	}
	remaining, err := store.List(ctx)
	if err != nil {
		return fmt.Errorf("listing the other tokens in %s: %w", store.Backend(), err)
	}
	key, _ := credentials.Key(target.IndexURL)
	remaining = slices.DeleteFunc(remaining, func(k string) bool { return k == key })
	var others []string
	for _, k := range remaining {
		others = append(others, registryLabelOf(cfg, k))
	}
	res, err := unconfigureProvider(f, cfg, target, unconfigureOptions{StillServed: others, ConfigArgs: opts.ConfigArgs})
	if err != nil {
		return err
	}
	if res.Changed {
		u.Printf("%s removed cargo-auth from cargo's configuration (%s)\n", u.mark("ok"), res.Path)
	}
	if res.Restored != "" {
		u.Printf("%s %s\n", u.mark("ok"), res.Restored)
	}
	for _, w := range res.Warnings {
		u.Warnf("note: %s", w)
	}
	return nil
}

// registryLabelOf names a stored registry key for messages: its name in
// cargo's configuration when it has one, else its redacted URL.
func registryLabelOf(cfg *cargoconfig.Config, key string) string {
	if name, err := cfg.RegistryByIndex(key); err == nil && name != "" {
		return name
	}
	return redact.URL(key)
}
