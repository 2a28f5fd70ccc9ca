package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/cargo-auth/cargo-auth/credentials"
)

// backendsOptions are what `cargo auth backends` needs.
type backendsOptions struct {
	Factory *Factory
	JSON    bool
}

func newBackendsCommand(f *Factory, runF func(context.Context, *backendsOptions) error) *cli.Command {
	return &cli.Command{
		Name:  "backends",
		Usage: "list keyring backends and whether each works on this machine",
		Description: "Tries every backend (store, read back and delete a probe item; the file backend\n" +
			"without CARGO_AUTH_FILE_PASSPHRASE only checks its directory, so this never prompts) and\n" +
			"says which one cargo-auth uses: CARGO_AUTH_BACKEND when set, else the first that works of\n" +
			"secret-service, pass, keyctl, file (Linux), keychain, pass, file (macOS), wincred, file\n" +
			"(Windows). Exit status: 0 a backend works, 1 none does.",
		Flags: []cli.Flag{jsonFlag()},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usageErrorf("backends takes no arguments")
			}
			opts := &backendsOptions{Factory: f, JSON: c.Bool("json")}
			if runF != nil {
				return runF(c.Context, opts)
			}
			return backendsRun(c.Context, opts)
		},
	}
}

// backendsReport is the JSON output of `cargo auth backends --json`.
type backendsReport struct {
	Backends []backendEntry `json:"backends"`
	// Selected is the backend cargo-auth uses here, "" when none works.
	Selected string `json:"selected"`
	// SelectedBy is "CARGO_AUTH_BACKEND" or "auto".
	SelectedBy string `json:"selected_by"`
	// SelectedError says why the selected backend cannot be opened.
	SelectedError string `json:"selected_error,omitempty"`
}

type backendEntry struct {
	credentials.BackendStatus
	Selected bool `json:"selected"`
}

func backendsRun(ctx context.Context, opts *backendsOptions) error {
	f := opts.Factory
	if f.Backends == nil {
		return errNoStore
	}
	// Listing must never prompt, whatever the backend.
	canPrompt := false
	if f.OpenTTY != nil {
		if tty, err := f.OpenTTY(); err == nil {
			canPrompt = true
			tty.Close()
		}
	}
	f.OpenTTY = nil
	statuses := f.Backends(ctx)
	hasPassphrase := f.Getenv(credentials.EnvFilePassphrase) != ""
	for i, st := range statuses {
		if st.Name == credentials.BackendFile && st.Works && !hasPassphrase && !canPrompt {
			statuses[i].Works = false
			statuses[i].Reason = "file: no passphrase: set " + credentials.EnvFilePassphrase + " (there is no terminal to ask on)"
		}
	}
	report := backendsReport{SelectedBy: "auto"}
	if env := f.Getenv(credentials.EnvBackend); env != "" {
		report.Selected, report.SelectedBy = env, credentials.EnvBackend
	}
	if store, err := f.openStore(ctx, report.Selected); err == nil {
		report.Selected = store.Backend()
	} else if report.SelectedBy != "auto" {
		report.SelectedError = err.Error()
	} else {
		report.Selected = ""
	}
	works := false
	for _, st := range statuses {
		works = works || st.Works
		report.Backends = append(report.Backends, backendEntry{BackendStatus: st, Selected: st.Name == report.Selected})
	}
	if opts.JSON {
		enc := json.NewEncoder(f.Stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		if err := enc.Encode(report); err != nil {
			return err
		}
	} else {
		printBackends(newUI(f), report)
	}
	if !works {
		return withExitCode(ExitError, withHint(errors.New("no keyring backend works here"),
			"on a headless machine set CARGO_AUTH_FILE_PASSPHRASE for the file backend, or install keyutils for keyctl"))
	}
	return nil
}

func printBackends(u *ui, report backendsReport) {
	for _, b := range report.Backends {
		status, note := "fail", b.Reason
		if b.Works {
			status, note = "ok", "works"
		}
		if b.Selected {
			note += u.bold(" (used: " + selectedHow(report.SelectedBy) + ")")
		}
		u.Printf("%s %-15s %s\n", u.mark(status), b.Name, note)
	}
	if report.SelectedError != "" {
		u.Warnf("%s=%s cannot be used: %s", credentials.EnvBackend, report.Selected, report.SelectedError)
	}
}

func selectedHow(by string) string {
	if by == "auto" {
		return "the first that works"
	}
	return fmt.Sprintf("set by %s", by)
}
