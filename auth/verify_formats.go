package auth

import (
	"encoding/json"
	"io"
)

// docsURL is where the checks are described; SARIF rules link to it.
const docsURL = "https://github.com/cargo-auth/cargo-auth/blob/main/docs/verify.md"

// writeJSONReport prints the report as one JSON document (docs/verify.md,
// "JSON schema").
func writeJSONReport(w io.Writer, r *verifyReport) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}
