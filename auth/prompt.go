package auth

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"
)

// errNoTerminal means a prompt was needed but there is no terminal to ask on.
var errNoTerminal = errors.New("no terminal to prompt on")

// promptSecret asks for a secret on the controlling terminal, without echo.
// The prompt and the answer never touch stdout, which may carry protocol
// lines or command results.
func promptSecret(f *Factory, prompt string) (string, error) {
	if f.OpenTTY == nil {
		return "", errNoTerminal
	}
	tty, err := f.OpenTTY()
	if err != nil {
		return "", fmt.Errorf("%w: %v", errNoTerminal, err)
	}
	defer tty.Close()
	fmt.Fprint(tty, prompt)
	if file, ok := tty.(*os.File); ok && term.IsTerminal(int(file.Fd())) {
		secret, err := term.ReadPassword(int(file.Fd()))
		fmt.Fprintln(tty)
		if err != nil {
			return "", fmt.Errorf("reading from the terminal: %w", err)
		}
		return strings.TrimSpace(string(secret)), nil
	}
	// A test terminal (testscript's ttyin): read one line.
	line, err := bufio.NewReader(io.LimitReader(tty, 64<<10)).ReadString('\n')
	if err != nil && err != io.EOF {
		return "", fmt.Errorf("reading from the terminal: %w", err)
	}
	return strings.TrimSpace(line), nil
}
