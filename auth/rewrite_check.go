package auth

import (
	"context"
	"fmt"
	"slices"
)

// checkReport is the JSON document of --check.
type checkReport struct {
	// Clean is true when nothing fails the check.
	Clean bool `json:"clean"`
	// Leaks are every finding, those that do not fail the check (Managed)
	// included.
	Leaks []urlLeak `json:"leaks"`
}

// kindText says what a leak kind means, for the human output.
var kindText = map[string]string{
	leakUserinfoPassword: "password in the URL's userinfo",
	leakUserinfoUser:     "token as the URL's user name",
	leakPathToken:        "token in the URL's path",
	leakQueryToken:       "token in the URL's query",
	leakKnownToken:       "known token",
	leakPlaintextToken:   "plaintext token key",
}

// rewriteCheck is --check: a pre-commit and CI gate that exits 3 when a
// token sits in a config file, a CARGO_REGISTRIES_*_INDEX variable or the
// workspace's Cargo.lock. It prints nothing when all is clean, never
// prompts (the store is asked only if it opens without a passphrase
// prompt), and runs no process unless there is a finding (git, to tell
// tracked files).
func rewriteCheck(ctx context.Context, env *rewriteEnv) error {
	f := env.f
	openTTY := f.OpenTTY
	f.OpenTTY = nil // a gate never prompts, not even for the file keyring's passphrase
	defer func() { f.OpenTTY = openTTY }()
	store := env.tokens.openStore(ctx)
	leaks, err := findURLLeaks(ctx, f, env.cfg, leakScanOptions{ConfigArgs: env.opts.ConfigArgs, Store: store})
	if err != nil {
		return err
	}
	if len(env.opts.Registries) > 0 {
		leaks = slices.DeleteFunc(leaks, func(l urlLeak) bool { return !slices.Contains(env.opts.Registries, l.Registry) })
	}
	failing := 0
	for _, l := range leaks {
		if l.Fails() {
			failing++
		}
	}
	if env.opts.JSON {
		if leaks == nil {
			leaks = []urlLeak{}
		}
		if err := env.writeJSON(checkReport{Clean: failing == 0, Leaks: leaks}); err != nil {
			return err
		}
		if failing > 0 {
			return withExitCode(ExitFindings, nil)
		}
		return nil
	}
	if failing == 0 {
		return nil
	}
	for _, l := range leaks {
		if !l.Fails() {
			continue
		}
		line := fmt.Sprintf("%s: %s", l.Where, kindText[l.Kind])
		if l.Registry != "" {
			line += " (" + l.Registry + ")"
		}
		if l.URL != "" {
			line += ": " + l.URL
		}
		if l.Tracked {
			line += " [tracked by git]"
		}
		env.ui.Printf("%s\n", line)
	}
	noun := "tokens"
	if failing == 1 {
		noun = "token"
	}
	return withExitCode(ExitFindings, withHint(fmt.Errorf("found %d %s where they leak (Cargo.lock, shared config, CI logs)", failing, noun),
		"cargo auth rewrite-config --migrate moves tokens in index URLs into the store and cleans Cargo.lock",
		"revoke a token that was committed or pushed: it stays in the history"))
}
