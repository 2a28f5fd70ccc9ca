package auth

import (
	"context"
	"fmt"
)

// runProvider serves cargo's credential-provider protocol on stdin/stdout.
// Reserved dispatch: the provider itself is built by the tokens issue.
func runProvider(ctx context.Context, f *Factory) int {
	fmt.Fprintln(f.Stdout, `{"v":[1]}`)
	fmt.Fprintln(f.Stdout, `{"Err":{"kind":"operation-not-supported"}}`)
	printDiagnostic(f.Stderr, "the credential provider is not implemented yet")
	return ExitError
}
