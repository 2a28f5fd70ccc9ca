package auth

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"

	"github.com/urfave/cli/v2"

	"github.com/cargo-auth/cargo-auth/cargoconfig"
	"github.com/cargo-auth/cargo-auth/internal/redact"
)

// rewriteConfigOptions are the inputs of `cargo auth rewrite-config`.
type rewriteConfigOptions struct {
	Factory *Factory

	// Registries are the registries to rewrite (or restore); none means
	// every registry with a [rewrite.<name>] table in cargo-auth.toml.
	Registries []string
	// Mode, Template and User override cargo-auth.toml for the named
	// registries.
	Mode, Template, User string
	// File is the file the token-bearing replacement goes into; "" means
	// $CARGO_HOME/config.toml.
	File string
	// TokenStdin reads the token of the one named registry from stdin.
	TokenStdin bool
	Backend    string
	ConfigArgs []string
	// Force writes a token into a file git tracks, and restores a file
	// changed since rewrite-config wrote it.
	Force  bool
	DryRun bool
	// NoProbe skips asking the registry whether it supports header
	// authentication.
	NoProbe bool
	JSON    bool

	// Check, Restore and Migrate are the other actions (one at a time).
	Check, Restore, Migrate bool
}

// newRewriteConfigCommand is `cargo auth rewrite-config`.
func newRewriteConfigCommand(f *Factory, runF func(context.Context, *rewriteConfigOptions) error) *cli.Command {
	return &cli.Command{
		Name:      "rewrite-config",
		Usage:     "put token-bearing index URLs where cargo needs them, without leaking them",
		ArgsUsage: "[REGISTRY...]",
		Description: "For registries that need the token inside the index URL (git indexes behind HTTP Basic,\n" +
			"Cloudsmith-style path tokens, cargo older than 1.74), writes a source replacement into\n" +
			"$CARGO_HOME/config.toml (0600) so that Cargo.lock records only the clean URL. --mode native\n" +
			"puts no token in any URL and configures cargo's credential providers instead: use it\n" +
			"whenever the registry supports header authentication.\n\n" +
			"--check fails (exit 3) when a token sits in a config file, a CARGO_REGISTRIES_*_INDEX\n" +
			"variable or the workspace's Cargo.lock; --migrate moves such tokens into the store;\n" +
			"--restore gives every edited file back byte for byte. See docs/rewrite-config.md.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "mode", Usage: "`MODE` for the named registries: path, userinfo or native (default: from cargo-auth.toml)"},
			&cli.StringFlag{Name: "template", Usage: "the token-bearing index `URL` with a {token} placeholder (path mode; userinfo mode optionally)"},
			&cli.StringFlag{Name: "user", Usage: "userinfo mode: the `NAME` in https://NAME:<token>@host/... (default: the stored Basic user, else cargo-auth)"},
			&cli.StringFlag{Name: "file", Usage: "write the replacement into `FILE` (default: $CARGO_HOME/config.toml)", EnvVars: []string{"CARGO_AUTH_REWRITE_FILE"}},
			&cli.BoolFlag{Name: "token-stdin", Usage: "read the token of the one named registry from the first line of stdin"},
			&cli.BoolFlag{Name: "check", Usage: "find tokens in config files, CARGO_REGISTRIES_*_INDEX and Cargo.lock; exit 3 if any"},
			&cli.BoolFlag{Name: "migrate", Usage: "move tokens found in URLs into the store and put the clean URLs back (Cargo.lock too)"},
			&cli.BoolFlag{Name: "restore", Usage: "give the files rewrite-config edited back as they were, byte for byte"},
			&cli.BoolFlag{Name: "dry-run", Usage: "print the change as a diff (tokens masked) and write nothing"},
			&cli.BoolFlag{Name: "force", Usage: "write a token into a file git tracks; restore a file changed since it was rewritten"},
			&cli.BoolFlag{Name: "no-probe", Usage: "do not ask the registry whether it supports header authentication", EnvVars: []string{"CARGO_AUTH_NO_PROBE"}},
			backendFlag(),
			configFlag(),
			jsonFlag(),
		},
		Action: func(c *cli.Context) error {
			opts := &rewriteConfigOptions{
				Factory:    f,
				Registries: c.Args().Slice(),
				Mode:       c.String("mode"),
				Template:   c.String("template"),
				User:       c.String("user"),
				File:       c.String("file"),
				TokenStdin: c.Bool("token-stdin"),
				Backend:    c.String("backend"),
				ConfigArgs: c.StringSlice("config"),
				Force:      c.Bool("force"),
				DryRun:     c.Bool("dry-run"),
				NoProbe:    c.Bool("no-probe"),
				JSON:       c.Bool("json"),
				Check:      c.Bool("check"),
				Restore:    c.Bool("restore"),
				Migrate:    c.Bool("migrate"),
			}
			if err := opts.validate(); err != nil {
				return err
			}
			if runF != nil {
				return runF(c.Context, opts)
			}
			return rewriteConfigRun(c.Context, opts)
		},
	}
}

// validate rejects combinations of flags that mean nothing.
func (o *rewriteConfigOptions) validate() error {
	actions := 0
	for _, on := range []bool{o.Check, o.Restore, o.Migrate} {
		if on {
			actions++
		}
	}
	if actions > 1 {
		return usageErrorf("--check, --migrate and --restore are separate actions: give one")
	}
	if o.TokenStdin && len(o.Registries) != 1 {
		return usageErrorf("--token-stdin reads one token: name exactly one registry")
	}
	if o.Check && (o.DryRun || o.TokenStdin || o.Mode != "" || o.Template != "" || o.Force) {
		return usageErrorf("--check only reads: it takes no --dry-run, --force, --mode, --template or --token-stdin")
	}
	if o.Restore && (o.TokenStdin || o.Mode != "" || o.Template != "" || o.User != "") {
		return usageErrorf("--restore takes no --mode, --template, --user or --token-stdin")
	}
	if (o.Mode != "" || o.Template != "" || o.User != "") && len(o.Registries) == 0 && !o.Migrate {
		return usageErrorf("--mode, --template and --user apply to named registries: name them")
	}
	return nil
}

// rewriteEnv is what one run shares between its steps.
type rewriteEnv struct {
	f         *Factory
	opts      *rewriteConfigOptions
	cfg       *cargoconfig.Config
	statePath string
	tokens    *tokenFinder
	ui        *ui
}

// rewriteConfigRun does what the options ask.
func rewriteConfigRun(ctx context.Context, opts *rewriteConfigOptions) error {
	f := opts.Factory
	disablePromptsIfAsked(f)
	cfg, err := f.CargoConfig(opts.ConfigArgs)
	if err != nil {
		return err
	}
	statePath, err := rewriteStatePath(f)
	if err != nil {
		return err
	}
	env := &rewriteEnv{f: f, opts: opts, cfg: cfg, statePath: statePath, tokens: newTokenFinder(f, opts), ui: newUI(f)}
	switch {
	case opts.Check:
		return rewriteCheck(ctx, env)
	case opts.Restore:
		return rewriteRestore(ctx, env)
	case opts.Migrate:
		return rewriteMigrate(ctx, env)
	}
	return rewriteRegistries(ctx, env)
}

// targetFile is the file replacements go into: --file, else the
// configuration file of $CARGO_HOME that cargo reads.
func (env *rewriteEnv) targetFile() string {
	if env.opts.File != "" {
		if filepath.IsAbs(env.opts.File) {
			return env.opts.File
		}
		return filepath.Join(env.cfg.Cwd(), env.opts.File)
	}
	return cargoHomeConfigPath(env.cfg)
}

// display shows a path for messages: relative to the current directory
// inside it, else with ~ for the home directory.
func (env *rewriteEnv) display(path string) string {
	return displayPath(env.f.Getenv("HOME"), env.cfg.Cwd(), path)
}

// writeJSON prints v as the one JSON document of --json.
func (env *rewriteEnv) writeJSON(v any) error {
	enc := json.NewEncoder(env.f.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// note prints a diagnostic line on stderr (never a token: it is redacted).
func (env *rewriteEnv) note(format string, args ...any) {
	printDiagnostic(env.f.Stderr, redact.Text(fmt.Sprintf(format, args...)))
}
