// Command cargo-auth manages private Cargo registry tokens: it keeps them in the
// OS keyring, serves them to cargo as a credential provider, shows what cargo
// will use, rewrites configuration for registries that need tokens in URLs, and
// audits registries for endpoints that leak without authentication.
//
// Cargo runs it as `cargo-auth auth <args>` for `cargo auth <args>`, and as
// `cargo-auth --cargo-plugin` when it is configured as a credential provider.
package main

import (
	"context"
	"io"
	"os"

	"github.com/cargo-auth/cargo-auth/auth"
	"github.com/cargo-auth/cargo-auth/credentials"
)

// Set by the release build through -ldflags "-X main.version=... -X main.commit=... -X main.date=...".
var (
	version = ""
	commit  = ""
	date    = ""
)

func main() {
	os.Exit(run(os.Args, os.Stdin, os.Stdout, os.Stderr))
}

// run wires the real keyrings, HTTP transport and terminal into the app.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	f := auth.NewSystemFactory(stdin, stdout, stderr)
	f.Build = auth.BuildInfo{Version: version, Commit: commit, Date: date}
	f.Store = func(ctx context.Context, backend string) (credentials.Store, error) {
		return credentials.Open(ctx, auth.StoreOptions(f, backend))
	}
	f.Backends = func(ctx context.Context) []credentials.BackendStatus {
		return credentials.Backends(ctx, auth.StoreOptions(f, ""))
	}
	return auth.Main(args, f)
}
