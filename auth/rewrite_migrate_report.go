package auth

import (
	"fmt"
	"path/filepath"
	"strings"
)

// migrateResult is the JSON document of --migrate.
type migrateResult struct {
	Registries []migratedRegistry `json:"registries"`
	Files      []fileResult       `json:"files"`
	// Remaining are the leaks --migrate could not fix (an environment
	// variable, a comment, an inline registry-index, a plaintext token).
	Remaining []urlLeak `json:"remaining"`
	DryRun    bool      `json:"dry_run,omitempty"`
}

// migratedRegistry is one registry whose token --migrate moved.
type migratedRegistry struct {
	Registry string `json:"registry"`
	// From is where the token was ("~/.cargo/config.toml:3").
	From []string `json:"from"`
	Kind string   `json:"kind"`
	// IndexURL is the clean URL now configured (and in Cargo.lock).
	IndexURL string `json:"index_url"`
	Mode     string `json:"mode"`
	// ReplacedBy is the token-bearing replacement, redacted; "" in native
	// mode.
	ReplacedBy string   `json:"replaced_by,omitempty"`
	Notes      []string `json:"notes,omitempty"`
}

// remainingLeaks are the findings --migrate did not fix.
func remainingLeaks(leaks []urlLeak, migrations []*migration, dryRun bool) []urlLeak {
	out := []urlLeak{}
	for _, l := range leaks {
		if !l.Fails() {
			continue
		}
		fixed := false
		if dryRun {
			for _, m := range migrations {
				fixed = fixed || l.secret == m.plan.secret() && (l.Key != "" || filepath.Base(l.Path) == "Cargo.lock")
			}
		}
		if !fixed {
			out = append(out, l)
		}
	}
	return out
}

// printMigrate prints the human output (or the JSON) of --migrate, and
// fails with exit code 3 when leaks remain.
func printMigrate(env *rewriteEnv, out migrateResult) error {
	if env.opts.JSON {
		if err := env.writeJSON(out); err != nil {
			return err
		}
	} else {
		u := env.ui
		verb := "moved"
		if out.DryRun {
			verb = "dry run: would move"
		}
		for _, r := range out.Registries {
			u.Printf("%s: %s the token (%s) from %s into cargo-auth's store\n", r.Registry, verb, kindText[r.Kind], strings.Join(r.From, ", "))
			if r.Mode == modeNative {
				u.Printf("%s: index %s, native mode: no token in any URL\n", r.Registry, r.IndexURL)
			} else {
				u.Printf("%s: index %s, %s mode: cargo fetches from %s\n", r.Registry, r.IndexURL, r.Mode, r.ReplacedBy)
			}
		}
		for _, f := range out.Files {
			if out.DryRun {
				u.Printf("%s", f.Diff)
			} else {
				u.Printf("wrote %s\n", env.display(f.Path))
			}
		}
		if len(out.Files) > 0 && !out.DryRun {
			u.Printf("undo with cargo auth rewrite-config --restore\n")
		}
		for _, r := range out.Registries {
			for _, n := range r.Notes {
				env.note("note: %s", n)
			}
		}
		for _, l := range out.Remaining {
			line := fmt.Sprintf("left alone: %s: %s", l.Where, kindText[l.Kind])
			if l.URL != "" {
				line += ": " + l.URL
			}
			u.Printf("%s\n", line)
		}
	}
	if len(out.Remaining) == 0 {
		return nil
	}
	return withExitCode(ExitFindings, withHint(fmt.Errorf("%d tokens are still where they leak; --migrate fixes only index URLs in config files and Cargo.lock", len(out.Remaining)),
		"a CARGO_REGISTRIES_<NAME>_INDEX variable: set it to the clean URL and put the token in CARGO_REGISTRIES_<NAME>_TOKEN",
		"a plaintext token key: cargo auth import moves it into the keyring; a comment or an inline registry-index: edit by hand"))
}
