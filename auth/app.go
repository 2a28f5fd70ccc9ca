// Package auth is the cargo-auth application: the command-line app, one file
// per command, the registry HTTP client and the audit checks.
package auth

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/urfave/cli/v2"

	"github.com/cargo-auth/cargo-auth/internal/redact"
)

// Main runs cargo-auth with the process arguments and returns the exit code.
// Cargo runs a subcommand plugin as `cargo-auth auth <args>` and a credential
// provider as `cargo-auth --cargo-plugin`; running `cargo-auth <args>`
// directly works too.
func Main(args []string, f *Factory) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return run(ctx, args, f)
}

func run(ctx context.Context, args []string, f *Factory) int {
	if len(args) == 0 {
		args = []string{"cargo-auth"}
	}
	if len(args) > 1 && args[1] == "auth" {
		args = append([]string{args[0]}, args[2:]...)
	}
	for _, a := range args[1:] {
		if a == "--cargo-plugin" {
			return runProvider(ctx, f)
		}
	}
	app := NewApp(f)
	err := app.RunContext(ctx, reorderFlags(app, args))
	return reportError(f, err)
}

// NewApp builds the command-line app. Commands are listed here, in the
// order `cargo auth --help` shows them.
func NewApp(f *Factory) *cli.App {
	app := &cli.App{
		Name:     "cargo-auth",
		HelpName: "cargo auth",
		Usage:    "keep private Cargo registry tokens safe, and prove that registries require them",
		Description: "cargo-auth keeps registry tokens in the OS keyring and serves them to cargo as a\n" +
			"credential provider, shows which token cargo will use for each registry and whether\n" +
			"it works, and audits registries for endpoints that answer without authentication.",
		Version:              f.Build.String(),
		Reader:               f.Stdin,
		Writer:               f.Stdout,
		ErrWriter:            f.Stderr,
		EnableBashCompletion: true,
		HideHelpCommand:      true,
		// --config takes TOML values such as arrays, which contain commas.
		DisableSliceFlagSeparator: true,
		Commands: []*cli.Command{
			newLoginCommand(f, nil),
			newLogoutCommand(f, nil),
			newTokenCommand(f, nil),
			newStatusCommand(f, nil),
			newVerifyCommand(f, nil),
			newRewriteConfigCommand(f, nil),
			newImportCommand(f, nil),
			newBackendsCommand(f, nil),
			newCompletionCommand(f),
		},
		Action: func(c *cli.Context) error {
			if c.Args().Present() {
				return usageErrorf("unknown command %q", redactArg(c.Args().First()))
			}
			return cli.ShowAppHelp(c)
		},
		ExitErrHandler: func(*cli.Context, error) {},
		OnUsageError:   onUsageError,
	}
	for _, cmd := range app.Commands {
		setUsageErrorHandler(cmd)
	}
	return app
}

func setUsageErrorHandler(cmd *cli.Command) {
	cmd.OnUsageError = onUsageError
	for _, sub := range cmd.Subcommands {
		setUsageErrorHandler(sub)
	}
}

func onUsageError(_ *cli.Context, err error, _ bool) error {
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "flag provided but not defined: "); ok {
		name = strings.TrimLeft(name, "-")
		if len(name) > 1 {
			msg = "unknown flag --" + name
		} else {
			msg = "unknown flag -" + name
		}
	}
	return usageErrorf("%s", msg)
}

// redactArg masks a command-line word that looks like a token, so a token
// pasted in the wrong place is not echoed back in an error.
func redactArg(arg string) string {
	if redact.LooksLikeToken(arg) || redact.Known(arg) != arg {
		return redact.Mask(arg)
	}
	return arg
}

// reportError prints err the way the output contract says and returns the
// exit code for it.
func reportError(f *Factory, err error) int {
	code := exitCodeOf(err)
	var silent *exitError
	if err == nil || (errors.As(err, &silent) && silent.err == nil) {
		return code
	}
	printDiagnostic(f.Stderr, err.Error())
	var h *hintError
	if errors.As(err, &h) {
		for _, hint := range h.hints {
			printHint(f.Stderr, hint)
		}
	} else if code == ExitUsage {
		printHint(f.Stderr, "run `cargo auth --help` for usage")
	}
	return code
}

func printHint(w interface{ Write([]byte) (int, error) }, hint string) {
	fmt.Fprintf(w, "hint: %s\n", hint)
}

// reorderFlags moves a command's flags in front of its arguments, so that
// `cargo auth login corp --no-verify` works: urfave/cli v2 stops parsing
// flags at the first argument.
func reorderFlags(app *cli.App, args []string) []string {
	out := []string{args[0]}
	rest := args[1:]
	var cmd *cli.Command
	commands := app.Commands
	for len(rest) > 0 {
		name := rest[0]
		if strings.HasPrefix(name, "-") {
			out = append(out, name)
			rest = rest[1:]
			continue
		}
		next := findCommand(commands, name)
		if next == nil {
			break
		}
		cmd = next
		commands = cmd.Subcommands
		out = append(out, name)
		rest = rest[1:]
		if len(commands) == 0 {
			break
		}
	}
	if cmd == nil {
		return append(out, rest...)
	}
	var flags, positional []string
	for i := 0; i < len(rest); i++ {
		a := rest[i]
		if a == "--" {
			positional = append(positional, rest[i:]...)
			break
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			positional = append(positional, a)
			continue
		}
		flags = append(flags, a)
		if flagTakesValue(cmd, a) && !strings.Contains(a, "=") && i+1 < len(rest) {
			i++
			flags = append(flags, rest[i])
		}
	}
	return append(append(out, flags...), positional...)
}

func findCommand(commands []*cli.Command, name string) *cli.Command {
	for _, c := range commands {
		if c.HasName(name) {
			return c
		}
	}
	return nil
}

func flagTakesValue(cmd *cli.Command, arg string) bool {
	name := strings.TrimLeft(arg, "-")
	name, _, _ = strings.Cut(name, "=")
	for _, fl := range cmd.Flags {
		for _, n := range fl.Names() {
			if n == name {
				if d, ok := fl.(cli.DocGenerationFlag); ok {
					return d.TakesValue()
				}
				return false
			}
		}
	}
	return false
}
