// Package registrytest runs an in-process Cargo registry on 127.0.0.1 for
// tests: a sparse index, .crate downloads, the web API and, optionally, a
// git index through the real git http-backend, over http or https with a
// test CA. Its authentication is configurable, every request is recorded
// (who sent which credential, compared by keyed hash, never stored), and
// switches make it misbehave the way real private registries do.
//
// The protocols follow the cargo book (reference/registry-index.html,
// registry-web-api.html, registry-authentication.html); the package's own
// tests run the real cargo against it and pin what cargo does
// (cargofacts_test.go).
//
// # Starting one
//
// In a test, New(t, opts...) starts a registry and closes it at the end of
// the test, printing the request log if the test failed. Elsewhere (a
// testscript command, TestMain), Start(opts...) returns it and Close stops
// it; ParseArgs turns script arguments into options.
//
// # Layout
//
// Three listeners share one handler and one log: the main origin
// (http://127.0.0.1:P, or https with WithTLS), the other origin
// (localhost on another port, same scheme) and a plain-http origin. On
// each:
//
//	/index/config.json                         config.json (ClassConfig)
//	/index/<lowerprefix>/<lowername>           index files (ClassIndex)
//	/api/v1/crates/<crate>/<version>/download  downloads (ClassDownload), as does the dl template
//	/api/v1/...                                the web API (ClassAPI)
//	/index.git/...                             the git index via git http-backend (ClassGit)
//	/me                                        the login_url page (ClassLogin)
//	/<token>/...                               all of the above under a path token (WithPathToken)
//
// # Authentication
//
// By default every class but ClassLogin requires one of the registry's
// tokens (Token, a fresh "cgatest_" token the leak guard knows, or
// WithTokens) in the schemes of WithSchemes (raw by default; git always
// takes Basic with the token as password). A request without a credential
// gets 401 with `WWW-Authenticate: Cargo login_url="<base>/me"` (Basic on
// git); a rejected credential gets 401, except on the API where it gets 403
// as the web API chapter says. Errors are the book's
// {"errors":[{"detail":"..."}]}. WithAnonymous opens classes by design;
// the Switch values break things on purpose and can be flipped at run time
// with Enable and Disable.
//
// # The request log
//
// Requests, RequestsTo, RequestsOn, RequestsCarrying, SawToken, Carried
// and Reset let a test assert who saw a token without the log holding it:
// paths have path tokens replaced by "<path-token>", and credentials are
// kept as keyed hashes under a per-registry random key.
package registrytest
