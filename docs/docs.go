// Package docs generates cargo-auth's command reference, man page and shell
// completions from the command-line app itself, so they cannot drift from
// the code. The generated files are committed under docs/; TestGenerated
// fails when they are stale, and `go test ./docs -update` rewrites them.
package docs

import (
	"fmt"

	"github.com/cargo-auth/cargo-auth/auth"
)

// Generated returns every generated file by its path relative to docs/.
func Generated() (map[string][]byte, error) {
	app := auth.NewApp(&auth.Factory{Build: auth.BuildInfo{Version: "VERSION", Commit: "COMMIT", Date: "DATE"}})
	files := map[string][]byte{}
	markdown, err := app.ToMarkdown()
	if err != nil {
		return nil, fmt.Errorf("generating the markdown reference: %w", err)
	}
	files["reference.md"] = []byte("<!-- Generated from the app by `go test ./docs -update`; do not edit. -->\n\n" + markdown)
	man, err := app.ToManWithSection(1)
	if err != nil {
		return nil, fmt.Errorf("generating the man page: %w", err)
	}
	files["man/cargo-auth.1"] = []byte(man)
	for shell, name := range map[string]string{
		"bash": "completions/cargo-auth.bash",
		"zsh":  "completions/_cargo-auth",
		"fish": "completions/cargo-auth.fish",
	} {
		script, err := auth.CompletionScript(app, shell)
		if err != nil {
			return nil, err
		}
		files[name] = []byte(script)
	}
	return files, nil
}
