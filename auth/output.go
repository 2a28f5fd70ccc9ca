package auth

// The output contract, followed by every command:
//
//   - Results go to stdout; diagnostics, warnings, prompts' context and
//     progress go to stderr. In provider mode (--cargo-plugin) stdout carries
//     only protocol JSON lines and prompts go to the terminal (/dev/tty).
//   - Diagnostics start with "cargo-auth: ", are lower case, have no trailing
//     period, say what the user can act on, and may be followed by
//     "hint: ..." lines.
//   - --json prints one JSON document on stdout with a schema documented in
//     docs/; human output is never parsed by scripts.
//   - Colour and progress appear only when the stream is a terminal, and
//     never when NO_COLOR is set (to any value) or TERM is "dumb".
//   - Tokens are shown masked unless the user asked for the value (the token
//     command, --show-token); URLs are redacted with internal/redact.
//   - Exit codes are the constants in exit.go, documented in
//     docs/exit-codes.md.

import (
	"fmt"
	"io"
	"strings"

	"github.com/cargo-auth/cargo-auth/internal/redact"
)

// Marks used in human output.
const (
	markOK   = "✓"
	markWarn = "!"
	markFail = "✗"
	markSkip = "-"
)

// ui writes human output with the marks and colours of the contract.
type ui struct {
	out, err io.Writer
	color    bool
}

func newUI(f *Factory) *ui {
	return &ui{out: f.Stdout, err: f.Stderr, color: colorEnabled(f, f.StdoutIsTerminal())}
}

// colorEnabled applies the colour rules of the contract to a stream.
func colorEnabled(f *Factory, isTerminal bool) bool {
	if _, set := f.LookupEnv("NO_COLOR"); set {
		return false
	}
	if f.Getenv("TERM") == "dumb" {
		return false
	}
	return isTerminal
}

const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiRed    = "\x1b[31m"
	ansiGreen  = "\x1b[32m"
	ansiYellow = "\x1b[33m"
	ansiGray   = "\x1b[90m"
)

func (u *ui) paint(code, s string) string {
	if !u.color {
		return s
	}
	return code + s + ansiReset
}

// mark returns a status mark, coloured when allowed.
func (u *ui) mark(status string) string {
	switch status {
	case "ok", "pass":
		return u.paint(ansiGreen, markOK)
	case "warn":
		return u.paint(ansiYellow, markWarn)
	case "fail", "error":
		return u.paint(ansiRed, markFail)
	default:
		return u.paint(ansiGray, markSkip)
	}
}

func (u *ui) bold(s string) string { return u.paint(ansiBold, s) }

func (u *ui) gray(s string) string { return u.paint(ansiGray, s) }

// Printf writes a result line to stdout.
func (u *ui) Printf(format string, args ...any) {
	fmt.Fprintf(u.out, format, args...)
}

// Warnf writes a diagnostic to stderr with the cargo-auth prefix.
func (u *ui) Warnf(format string, args ...any) {
	printDiagnostic(u.err, fmt.Sprintf(format, args...))
}

// printDiagnostic writes "cargo-auth: msg" to w, redacting any URL or known
// secret the message carries, and indents continuation lines.
func printDiagnostic(w io.Writer, msg string) {
	msg = redact.Text(strings.TrimRight(msg, "\n"))
	fmt.Fprintf(w, "cargo-auth: %s\n", msg)
}

// hintError carries hints printed under an error message.
type hintError struct {
	err   error
	hints []string
}

func (e *hintError) Error() string { return e.err.Error() }
func (e *hintError) Unwrap() error { return e.err }

// withHint adds "hint: ..." lines shown under the error.
func withHint(err error, hints ...string) error {
	if err == nil {
		return nil
	}
	return &hintError{err: err, hints: hints}
}
