package auth

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/cargo-auth/cargo-auth/cargoconfig"
	"github.com/cargo-auth/cargo-auth/credentials"
	"github.com/cargo-auth/cargo-auth/internal/redact"
)

// Where an audit's token came from (the JSON report's token.source).
const (
	tokenFromStdin  = "stdin"
	tokenFromFile   = "file"
	tokenFromStore  = "store"
	tokenFromConfig = "cargo-config"
	tokenNone       = "none"
)

// verifyToken is the credential an audit sends as "the real token". It
// never prints its value: only the source, the origin and the form.
type verifyToken struct {
	// Source is one of the tokenFrom* constants.
	Source string
	// Origin says where exactly, for the report ("environment variable
	// CARGO_REGISTRIES_CORP_TOKEN"); never the value.
	Origin string
	token  credentials.Token
	// header is the Authorization value cargo would send.
	header string
}

// form names how header presents the secret: raw, bearer or basic.
func (t *verifyToken) form() string { return headerForm(t.header) }

// headerForm tells the form of an Authorization value.
func headerForm(header string) string {
	scheme, _, ok := strings.Cut(header, " ")
	if ok {
		switch strings.ToLower(scheme) {
		case "bearer":
			return "bearer"
		case "token":
			return "token"
		case "basic":
			return "basic"
		}
	}
	return "raw"
}

// alternatives are the other forms the same secret can take, tried when
// the registry refuses the form cargo sends: name and header value.
func (t *verifyToken) alternatives() [][2]string {
	secret := t.token.Reveal()
	user := t.token.User()
	if user == "" {
		user = "PAT"
	}
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+secret))
	redact.Register(basic)
	var out [][2]string
	for _, alt := range [][2]string{{"bearer", "Bearer " + secret}, {"token", "token " + secret}, {"basic", basic}, {"raw", secret}} {
		if alt[1] != t.header {
			out = append(out, alt)
		}
	}
	return out
}

// gitHeader is the credential git and libgit2 send for a git index: Basic
// with the token as password (cargo's own token never goes to git).
func (t *verifyToken) gitHeader() string {
	if t.token.Scheme() == credentials.SchemeBasic {
		return t.token.Authorization()
	}
	user := t.token.User()
	if user == "" {
		user = "cargo-auth"
	}
	h := "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+t.token.Reveal()))
	redact.Register(h)
	return h
}

// loadVerifyToken finds the token: --token-stdin, else (for a registry
// cargo knows) cargo-auth's store, else what cargo's `cargo:token` provider
// would use. No token at all is not an error: the audit then runs the
// anonymous and bogus-token checks only.
func loadVerifyToken(ctx context.Context, opts *verifyOptions, cfg *cargoconfig.Config, target verifyTarget) (*verifyToken, error) {
	f := opts.Factory
	if opts.TokenStdin {
		return readStdinToken(f, opts.Scheme)
	}
	if opts.TokenFile != "" {
		file, err := os.Open(opts.TokenFile)
		if err != nil {
			return nil, fmt.Errorf("--token-file: %w", err)
		}
		defer file.Close()
		tok, err := readTokenLine(file, opts.Scheme, "--token-file")
		if tok != nil {
			tok.Source, tok.Origin = tokenFromFile, "the first line of "+opts.TokenFile
		}
		return tok, err
	}
	if tok := storeToken(ctx, opts, target); tok != nil {
		return tok, nil
	}
	if target.Name != "" {
		src, ok, err := cfg.Token(target.Name)
		if err != nil {
			return nil, fmt.Errorf("reading the token of %s from cargo's configuration: %w", target.Name, err)
		}
		if ok && !src.Token.IsZero() {
			raw := src.Token.Reveal()
			redact.Register(raw)
			return &verifyToken{
				Source: tokenFromConfig,
				Origin: src.Origin.String(),
				token:  credentials.ParseAuthorization(raw),
				header: raw,
			}, nil
		}
	}
	return nil, nil
}

// readStdinToken reads the token from stdin: the first line of a pipe or
// file, or a line typed without echo when stdin is a terminal (the prompt
// goes to stderr).
func readStdinToken(f *Factory, schemeName string) (*verifyToken, error) {
	if f.Stdin == nil {
		return nil, errors.New("--token-stdin: no standard input")
	}
	in := f.Stdin
	if file, ok := f.Stdin.(*os.File); ok && isTerminal(file) {
		fmt.Fprint(f.Stderr, "token: ")
		line, err := term.ReadPassword(int(file.Fd()))
		fmt.Fprintln(f.Stderr)
		if err != nil {
			return nil, fmt.Errorf("--token-stdin: reading the token: %w", err)
		}
		in = strings.NewReader(string(line))
	}
	tok, err := readTokenLine(in, schemeName, "--token-stdin")
	if tok != nil {
		tok.Source, tok.Origin = tokenFromStdin, "the first line of stdin"
	}
	return tok, err
}

// readTokenLine reads a token from the first line of r. A value that
// already is a header ("Bearer ...", "Basic ...") is sent as is; otherwise
// scheme says how: raw, bearer, or basic (with USER:SECRET, or SECRET under
// the user name "PAT" as Azure Artifacts expects).
func readTokenLine(r io.Reader, schemeName, flag string) (*verifyToken, error) {
	line, err := bufio.NewReader(io.LimitReader(r, 64<<10)).ReadString('\n')
	if err != nil && err != io.EOF {
		return nil, fmt.Errorf("%s: reading the token: %w", flag, err)
	}
	value := strings.TrimSpace(line)
	if value == "" {
		return nil, withHint(fmt.Errorf("%s: the first line is empty", flag),
			"give the token on the first line: cargo auth verify corp --token-stdin < token-file")
	}
	redact.Register(value)
	tok := &verifyToken{}
	if form := headerForm(value); form != "raw" {
		tok.token = credentials.ParseAuthorization(value)
		tok.header = value
		return tok, nil
	}
	scheme, err := credentials.ParseScheme(schemeName)
	if err != nil {
		return nil, usageErrorf("--scheme: %v", err)
	}
	tok.token = tokenFromValue(value, scheme, "")
	tok.header = tok.token.Authorization()
	redact.Register(tok.header)
	return tok, nil
}

// storeToken asks cargo-auth's store for the registry's credential. A store
// that is missing, unavailable or empty falls through to cargo's
// configuration, with a note on stderr when something looked wrong.
func storeToken(ctx context.Context, opts *verifyOptions, target verifyTarget) *verifyToken {
	f := opts.Factory
	if f.Store == nil {
		return nil
	}
	store, err := f.Store(ctx, opts.Backend)
	if err != nil {
		if !errors.Is(err, credentials.ErrUnavailable) || opts.Backend != "" {
			printDiagnostic(f.Stderr, "note: cargo-auth's store could not be opened, using cargo's configuration: "+err.Error())
		}
		return nil
	}
	cred, err := store.Get(ctx, target.IndexURL)
	switch {
	case err == nil && !cred.Token.IsZero():
		return &verifyToken{
			Source: tokenFromStore,
			Origin: "cargo-auth's store (" + store.Backend() + ")",
			token:  cred.Token,
			header: cred.Token.Authorization(),
		}
	case err == nil, errors.Is(err, credentials.ErrNotFound):
		return nil
	default:
		printDiagnostic(f.Stderr, "note: reading cargo-auth's store failed, using cargo's configuration: "+err.Error())
		return nil
	}
}

// bogusSecret is a random token no registry issued, shaped like a real one.
func bogusSecret() string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic("verify: reading randomness: " + err.Error())
	}
	return "cargo-auth-verify-bogus-" + hex.EncodeToString(b)
}

// bogusHeader presents secret in the same form as the real token (raw when
// there is none), so a refusal is about the secret, not its form.
func bogusHeader(real *verifyToken, secret string) string {
	form := "raw"
	if real != nil {
		form = real.form()
	}
	switch form {
	case "bearer":
		return "Bearer " + secret
	case "token":
		return "token " + secret
	case "basic":
		return "Basic " + base64.StdEncoding.EncodeToString([]byte("cargo-auth:"+secret))
	}
	return secret
}
