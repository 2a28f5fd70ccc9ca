package auth

import (
	"errors"
	"fmt"
)

// Exit codes are a contract with scripts and CI: they are documented in
// docs/exit-codes.md and never renumbered.
const (
	// ExitOK means the command did what was asked.
	ExitOK = 0
	// ExitError means a runtime failure: a registry unreachable, a keyring
	// that cannot be opened, a file that cannot be written.
	ExitError = 1
	// ExitUsage means the command line was wrong: an unknown command or flag,
	// a missing or extra argument, an unknown registry name.
	ExitUsage = 2
	// ExitFindings means an audit found problems: `verify` had at least one
	// failing check, `rewrite-config --check` found a token in a file.
	ExitFindings = 3
	// ExitAuth means authentication does not work: `status` found a registry
	// that cargo cannot use, `login` had its token rejected.
	ExitAuth = 4
)

// exitError carries an exit code with an error. A nil err means the command
// already told the user everything and only the code is left.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// usageErrorf reports a mistake on the command line (exit code 2).
func usageErrorf(format string, args ...any) error {
	return &exitError{code: ExitUsage, err: fmt.Errorf(format, args...)}
}

// withExitCode attaches an exit code to err; a nil err gives a silent exit.
func withExitCode(code int, err error) error {
	return &exitError{code: code, err: err}
}

// exitCodeOf maps an error returned by a command to the process exit code.
func exitCodeOf(err error) int {
	if err == nil {
		return ExitOK
	}
	var e *exitError
	if errors.As(err, &e) {
		return e.code
	}
	return ExitError
}
