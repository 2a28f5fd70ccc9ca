package auth

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/cargo-auth/cargo-auth/credentials"
	"github.com/cargo-auth/cargo-auth/internal/redact"
)

// Reading a token for login: the first line of stdin when it is piped, a
// prompt without echo on the terminal when stdin is one, or the first line of
// --token-file. A token is never a flag value.

// maxTokenLine bounds what is read for one token.
const maxTokenLine = 64 << 10

// envNoPrompt, when set to anything, makes cargo-auth behave as if there
// were no terminal: no prompt for a token or a passphrase ever appears.
const envNoPrompt = "CARGO_AUTH_NO_PROMPT"

// disablePromptsIfAsked applies CARGO_AUTH_NO_PROMPT to the factory.
func disablePromptsIfAsked(f *Factory) {
	if _, set := f.LookupEnv(envNoPrompt); set {
		f.OpenTTY = nil
	}
}

// readLoginToken reads the token's text for label (a registry name).
func readLoginToken(f *Factory, tokenFile, label string) (string, error) {
	if tokenFile != "" {
		file, err := os.Open(tokenFile)
		if err != nil {
			return "", fmt.Errorf("--token-file: %w", err)
		}
		defer file.Close()
		return firstLine(file, "--token-file: the first line of "+tokenFile+" is empty")
	}
	if f.Stdin != nil && isTerminal(f.Stdin) {
		value, err := promptSecret(f, fmt.Sprintf("token for %s (input hidden): ", label))
		if errors.Is(err, errNoTerminal) {
			return "", withHint(errors.New("no token: stdin is a terminal but it cannot be prompted on"),
				"pipe the token: cargo auth login "+label+" < token-file")
		}
		if err != nil {
			return "", err
		}
		if value == "" {
			return "", errors.New("no token: nothing was typed")
		}
		return value, nil
	}
	if f.Stdin == nil {
		return "", errors.New("no token: no standard input")
	}
	value, err := firstLine(f.Stdin, "no token: the first line of stdin is empty")
	if err != nil {
		return "", withHint(err, "pipe the token on stdin (cargo auth login "+label+" < token-file), use --token-file, or run in a terminal to be asked")
	}
	return value, nil
}

// firstLine reads the first line of r, trimmed; empty is an error with the
// given message.
func firstLine(r io.Reader, emptyMsg string) (string, error) {
	line, err := bufio.NewReader(io.LimitReader(r, maxTokenLine)).ReadString('\n')
	if err != nil && err != io.EOF {
		return "", fmt.Errorf("reading the token: %w", err)
	}
	value := strings.TrimSpace(line)
	if value == "" {
		return "", errors.New(emptyMsg)
	}
	redact.Register(value)
	return value, nil
}

// tokenFromValue turns what the user gave (or a token command printed) into
// a token. A value that already is an Authorization header ("Bearer x",
// "Basic base64(u:p)") keeps exactly that form; otherwise scheme says how to
// send it. For basic, user is the user name; without one a value
// "USER:SECRET" is split, and a bare secret goes under the user name "PAT"
// (what Azure Artifacts expects with a personal access token).
func tokenFromValue(value string, scheme credentials.Scheme, user string) credentials.Token {
	redact.Register(value)
	if headerForm(value) != "raw" {
		if t := credentials.ParseAuthorization(value); t.Authorization() == value {
			return t
		}
		return credentials.NewToken(value, credentials.SchemeRaw)
	}
	switch scheme {
	case credentials.SchemeBasic:
		secret := value
		if user == "" {
			var ok bool
			if user, secret, ok = strings.Cut(value, ":"); !ok {
				user, secret = defaultBasicUser, value
			}
		}
		return credentials.NewBasic(user, secret)
	case credentials.SchemeBearer:
		return credentials.NewToken(value, credentials.SchemeBearer)
	}
	return credentials.NewToken(value, credentials.SchemeRaw)
}

// defaultBasicUser is the user name of a Basic token given without one.
const defaultBasicUser = "PAT"

// withScheme sends the same secret with another scheme (scheme detection).
func withScheme(t credentials.Token, scheme credentials.Scheme, user string) credentials.Token {
	var out credentials.Token
	switch scheme {
	case credentials.SchemeBasic:
		if user == "" {
			user = defaultBasicUser
		}
		out = credentials.NewBasic(user, t.Reveal())
	default:
		out = credentials.NewToken(t.Reveal(), scheme)
	}
	redact.Register(out.Authorization())
	return out
}

// schemeLabel names how a token is sent, for messages.
func schemeLabel(t credentials.Token) string {
	switch t.Scheme() {
	case credentials.SchemeBearer:
		return "Bearer"
	case credentials.SchemeBasic:
		return "Basic, user " + t.User()
	}
	return "raw"
}
