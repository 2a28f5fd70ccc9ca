package auth

import (
	"context"
	"io"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/cargo-auth/cargo-auth/credentials"
)

// Factory carries what commands depend on. Costly members are functions so a
// command pays only for what it uses, and a test swaps any one of them.
type Factory struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer

	// Build is what --version prints.
	Build BuildInfo

	// Environ returns the environment as KEY=VALUE pairs (os.Environ).
	Environ func() []string
	// Getwd returns the directory cargo's configuration is discovered from.
	Getwd func() (string, error)
	// Now is the clock.
	Now func() time.Time

	// StdoutIsTerminal and StderrIsTerminal decide colour and progress.
	StdoutIsTerminal func() bool
	StderrIsTerminal func() bool
	// OpenTTY opens the controlling terminal for prompts, so prompts never
	// go to stdout (which carries protocol lines in provider mode).
	OpenTTY func() (io.ReadWriteCloser, error)

	// Store opens the credential store; backend "" picks the best one that
	// works on this machine.
	Store func(ctx context.Context, backend string) (credentials.Store, error)
	// Backends reports every known backend and whether it works here.
	Backends func(ctx context.Context) []credentials.BackendStatus
	// HTTPTransport is the base transport for registry requests; the
	// registry client wraps it with timeouts, body limits and redirect rules.
	HTTPTransport func() http.RoundTripper
}

// Getenv returns the value of an environment variable from f.Environ.
func (f *Factory) Getenv(key string) string {
	v, _ := f.LookupEnv(key)
	return v
}

// LookupEnv is os.LookupEnv over f.Environ.
func (f *Factory) LookupEnv(key string) (string, bool) {
	for _, kv := range f.Environ() {
		if len(kv) > len(key) && kv[len(key)] == '=' && kv[:len(key)] == key {
			return kv[len(key)+1:], true
		}
	}
	return "", false
}

// NewSystemFactory returns a factory wired to the real process: its
// environment, working directory and terminal. The keyring and HTTP members
// are left for main to fill, the one place real ones are built.
func NewSystemFactory(stdin io.Reader, stdout, stderr io.Writer) *Factory {
	return &Factory{
		Stdin:            stdin,
		Stdout:           stdout,
		Stderr:           stderr,
		Environ:          os.Environ,
		Getwd:            os.Getwd,
		Now:              time.Now,
		StdoutIsTerminal: sync.OnceValue(func() bool { return isTerminal(stdout) }),
		StderrIsTerminal: sync.OnceValue(func() bool { return isTerminal(stderr) }),
		OpenTTY:          openTTY,
	}
}
