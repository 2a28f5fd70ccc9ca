package auth

// Token commands: a credential may carry the argv of a program that mints a
// fresh token (a cloud CLI that hands out short-lived tokens). It is run
// without a shell, with the user's environment, stdin closed, its stderr
// passed to the user and its stdout read as the token, under a time limit.
//
// What the command prints on stdout, in one of two shapes:
//
//   - one line: the token itself (or a whole Authorization value such as
//     "Bearer <token>", kept exactly as printed);
//   - one JSON object: {"token": "...", "expires_at": "<RFC 3339>" | <Unix
//     seconds>, "expires_in": <seconds>}. The fields of AWS
//     (authorizationToken, expiration) and Azure (accessToken, expiresOn,
//     expires_on) CLIs' JSON output are understood too.
//
// The token's expiry is the earliest of: what the JSON says, the exp claim
// of a JWT, and now + --token-ttl. With none of them it is
// defaultMintedLifetime. The output never appears in a message.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/cargo-auth/cargo-auth/credentials"
	"github.com/cargo-auth/cargo-auth/internal/redact"
)

const (
	// defaultTokenCommandTimeout bounds one run of a token command; a
	// cloud CLI may need a while, but a hung one must not hang cargo.
	defaultTokenCommandTimeout = 2 * time.Minute
	// envTokenCommandTimeout overrides it (a Go duration such as 30s).
	envTokenCommandTimeout = "CARGO_AUTH_TOKEN_COMMAND_TIMEOUT"
	// defaultMintedLifetime is how long a minted token is trusted when
	// nothing says when it expires: short enough for any cloud token
	// (AWS CodeArtifact's shortest is 15 minutes).
	defaultMintedLifetime = 15 * time.Minute
	// maxRefreshMargin is how long before its expiry a minted token is
	// replaced; shorter for tokens that live less than twice as long.
	maxRefreshMargin = 5 * time.Minute
	// maxTokenOutput bounds what is read from a token command's stdout.
	maxTokenOutput = 1 << 20
)

// tokenCommandName names a token command in messages: its program only,
// since its arguments may hold a client secret.
func tokenCommandName(argv []string) string {
	if len(argv) == 0 {
		return "token command"
	}
	return "token command " + filepath.Base(argv[0])
}

// tokenCommandTimeout is the configured time limit of one run.
func tokenCommandTimeout(f *Factory) time.Duration {
	if v := f.Getenv(envTokenCommandTimeout); v != "" {
		if d, err := time.ParseDuration(v); err == nil && d > 0 {
			return d
		}
	}
	return defaultTokenCommandTimeout
}

// mintSpec is what minting needs besides the command.
type mintSpec struct {
	Argv []string
	// Scheme and User say how to send a token printed bare.
	Scheme credentials.Scheme
	User   string
	// TTL caps the lifetime, 0 for none.
	TTL time.Duration
}

// mintToken runs the token command and returns the token with its expiry.
func mintToken(ctx context.Context, f *Factory, spec mintSpec) (credentials.Token, error) {
	name := tokenCommandName(spec.Argv)
	if len(spec.Argv) == 0 || spec.Argv[0] == "" {
		return credentials.Token{}, errors.New("the token command is empty")
	}
	timeout := tokenCommandTimeout(f)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, spec.Argv[0], spec.Argv[1:]...)
	cmd.Env = f.Environ()
	cmd.Stdin = nil // /dev/null: in provider mode stdin is cargo's pipe
	var stdout cappedBuffer
	stdout.max = maxTokenOutput
	cmd.Stdout = &stdout
	cmd.Stderr = f.Stderr
	// A child that keeps the pipes open (a wrapper script's background
	// process) must not hold us past the deadline.
	cmd.WaitDelay = 2 * time.Second
	start := f.Now()
	err := cmd.Run()
	var exitErr *exec.ExitError
	switch {
	case ctx.Err() == context.DeadlineExceeded:
		return credentials.Token{}, withHint(fmt.Errorf("%s timed out after %s", name, timeout),
			"set "+envTokenCommandTimeout+" (e.g. 5m) if it needs longer")
	case errors.As(err, &exitErr):
		return credentials.Token{}, fmt.Errorf("%s failed (%s); its messages, if any, are above", name, exitErr.ProcessState)
	case errors.Is(err, exec.ErrNotFound):
		return credentials.Token{}, fmt.Errorf("%s: %s is not installed or not on PATH", name, filepath.Base(spec.Argv[0]))
	case err != nil:
		return credentials.Token{}, fmt.Errorf("%s: %s", name, redact.Text(err.Error()))
	}
	if stdout.over {
		return credentials.Token{}, fmt.Errorf("%s printed more than %d bytes", name, maxTokenOutput)
	}
	value, expires, err := parseTokenOutput(stdout.Bytes(), start)
	if err != nil {
		return credentials.Token{}, fmt.Errorf("%s: %w", name, err)
	}
	tok := tokenFromValue(value, spec.Scheme, spec.User)
	if expires.IsZero() {
		expires = tok.Expires() // a JWT's exp claim
	}
	if spec.TTL > 0 && (expires.IsZero() || start.Add(spec.TTL).Before(expires)) {
		expires = start.Add(spec.TTL)
	}
	if expires.IsZero() {
		expires = start.Add(defaultMintedLifetime)
	}
	return tok.WithExpiry(expires.UTC()), nil
}

// cappedBuffer keeps at most max bytes and remembers that more came.
type cappedBuffer struct {
	bytes.Buffer
	max  int
	over bool
}

func (b *cappedBuffer) Write(p []byte) (int, error) {
	if room := b.max - b.Len(); room < len(p) {
		b.over = true
		if room > 0 {
			b.Buffer.Write(p[:room])
		}
		return len(p), nil
	}
	return b.Buffer.Write(p)
}

// JSON field names understood in a token command's output, in order of
// preference.
var (
	tokenOutputFields   = []string{"token", "access_token", "accessToken", "authorizationToken"}
	expiresAtFields     = []string{"expires_at", "expiration", "expiresOn", "expires_on", "expiresAt"}
	expiresInFieldNames = []string{"expires_in", "expiresIn"}
)

// parseTokenOutput reads a token command's stdout. Errors never quote it.
func parseTokenOutput(out []byte, now time.Time) (value string, expires time.Time, err error) {
	text := strings.TrimSpace(string(out))
	if text == "" {
		return "", time.Time{}, errors.New("printed nothing on stdout (it must print the token)")
	}
	if !strings.HasPrefix(text, "{") {
		if strings.ContainsAny(text, "\r\n") {
			return "", time.Time{}, errors.New("printed more than one line: it must print only the token, or a JSON object (see docs/tokens.md)")
		}
		redact.Register(text)
		return text, time.Time{}, nil
	}
	var fields map[string]json.RawMessage
	if json.Unmarshal([]byte(text), &fields) != nil {
		return "", time.Time{}, errors.New("printed something that starts like JSON but is not a JSON object")
	}
	for _, name := range tokenOutputFields {
		if raw, ok := fields[name]; ok {
			if json.Unmarshal(raw, &value) != nil || strings.TrimSpace(value) == "" {
				return "", time.Time{}, fmt.Errorf("printed JSON whose %q is not a non-empty string", name)
			}
			value = strings.TrimSpace(value)
			break
		}
	}
	if value == "" {
		return "", time.Time{}, fmt.Errorf("printed JSON without a token (want a %q field)", "token")
	}
	redact.Register(value)
	for _, name := range expiresAtFields {
		if raw, ok := fields[name]; ok {
			if expires, err = parseExpiry(raw); err != nil {
				return "", time.Time{}, fmt.Errorf("printed JSON whose %q is not a time: %v", name, err)
			}
			break
		}
	}
	if expires.IsZero() {
		for _, name := range expiresInFieldNames {
			if raw, ok := fields[name]; ok {
				var seconds json.Number
				if json.Unmarshal(raw, &seconds) != nil {
					var s string
					if json.Unmarshal(raw, &s) != nil {
						return "", time.Time{}, fmt.Errorf("printed JSON whose %q is not a number of seconds", name)
					}
					seconds = json.Number(s)
				}
				n, err := seconds.Float64()
				if err != nil || n <= 0 {
					return "", time.Time{}, fmt.Errorf("printed JSON whose %q is not a positive number of seconds", name)
				}
				expires = now.Add(time.Duration(n * float64(time.Second)))
				break
			}
		}
	}
	return value, expires, nil
}

// parseExpiry reads a point in time: Unix seconds (or milliseconds) as a
// number or string, RFC 3339, or the local "2006-01-02 15:04:05.999999"
// that `az account get-access-token` prints.
func parseExpiry(raw json.RawMessage) (time.Time, error) {
	var s string
	if json.Unmarshal(raw, &s) != nil {
		s = string(raw)
	}
	s = strings.TrimSpace(s)
	if n, err := strconv.ParseFloat(s, 64); err == nil {
		if n <= 0 {
			return time.Time{}, errors.New("not positive")
		}
		if n > 1e12 { // milliseconds
			n /= 1000
		}
		return time.Unix(int64(n), 0).UTC(), nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	for _, layout := range []string{"2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05.999999999"} {
		if t, err := time.ParseInLocation(layout, s, time.Local); err == nil {
			return t, nil
		}
	}
	return time.Time{}, errors.New("want RFC 3339 or Unix seconds")
}

// refreshDue reports whether a credential's token command must run: no
// token yet, or less than the refresh margin left before its expiry.
func refreshDue(cred credentials.Credential, now time.Time) bool {
	if len(cred.TokenCommand) == 0 {
		return false
	}
	if cred.Token.IsZero() {
		return true
	}
	expires := cred.Token.Expires()
	if expires.IsZero() {
		return false
	}
	return !now.Add(refreshMargin(cred.Updated, expires)).Before(expires)
}

// refreshMargin is min(5 minutes, half the token's lifetime): a 12-hour
// token is replaced 5 minutes early, a 4-second test token 2 seconds early.
func refreshMargin(issued, expires time.Time) time.Duration {
	if issued.IsZero() || !expires.After(issued) {
		return maxRefreshMargin
	}
	return min(maxRefreshMargin, expires.Sub(issued)/2)
}
