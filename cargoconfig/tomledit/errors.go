package tomledit

import (
	"errors"
	"fmt"
)

// ParseError reports malformed TOML at a precise place. Its message has the
// form "path:line:col: what is wrong", which editors and terminals turn into a
// link to the spot.
type ParseError struct {
	// Path is the file name given to Parse.
	Path string
	// Line is the 1-based line of the error.
	Line int
	// Column is the 1-based column of the error, counted in bytes from the
	// start of the line (as the Go toolchain does); a leading byte order mark
	// is not counted.
	Column int
	// Offset is the 0-based byte offset of the error in the source, byte
	// order mark included.
	Offset int
	// Message says what is wrong, in lower case. It never quotes a value
	// from the file, so a token cannot leak through it.
	Message string
}

// Error returns "path:line:col: message".
func (e *ParseError) Error() string {
	return fmt.Sprintf("%s:%d:%d: %s", e.Path, e.Line, e.Column, e.Message)
}

// ErrRefused is matched (with errors.Is) by every RefusedError, so callers can
// tell "edit this by hand" apart from other failures.
var ErrRefused = errors.New("edit refused")

// RefusedError explains why an edit cannot be made without rewriting parts of
// the file the caller did not ask to change, and what to do by hand instead.
type RefusedError struct {
	// Path is the file name given to Parse.
	Path string
	// Line is the 1-based line of the construct that blocks the edit, or 0
	// when no line is involved.
	Line int
	// Op is "set" or "delete".
	Op string
	// Key is the dotted key the caller asked to edit, quoted as TOML would.
	Key string
	// Reason says what stands in the way.
	Reason string
	// Hint says what the user can do by hand.
	Hint string
}

// Error returns "path:line: cannot <op> <key>: <reason>; <hint>".
func (e *RefusedError) Error() string {
	where := e.Path
	if e.Line > 0 {
		where = fmt.Sprintf("%s:%d", e.Path, e.Line)
	}
	msg := fmt.Sprintf("%s: cannot %s %s: %s", where, e.Op, e.Key, e.Reason)
	if e.Hint != "" {
		msg += "; " + e.Hint
	}
	return msg
}

// Is reports whether target is ErrRefused.
func (e *RefusedError) Is(target error) bool {
	return target == ErrRefused
}
