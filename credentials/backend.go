package credentials

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/99designs/keyring"
)

// Backend names, as --backend and CARGO_AUTH_BACKEND accept them.
const (
	BackendSecretService = "secret-service"
	BackendKWallet       = "kwallet"
	BackendKeyctl        = "keyctl"
	BackendPass          = "pass"
	BackendFile          = "file"
	BackendKeychain      = "keychain"
	BackendWinCred       = "wincred"
)

// Environment variables the caller reads and passes in Options.
const (
	// EnvBackend selects the backend, like --backend.
	EnvBackend = "CARGO_AUTH_BACKEND"
	// EnvFilePassphrase is the passphrase of the file backend.
	EnvFilePassphrase = "CARGO_AUTH_FILE_PASSPHRASE"
	// EnvServiceName overrides DefaultServiceName: a separate namespace in
	// every backend (keeps tests and experiments out of the real one).
	EnvServiceName = "CARGO_AUTH_SERVICE"
)

// DefaultServiceName names cargo-auth's keyring, item namespace and pass
// folder unless Options.ServiceName says otherwise.
const DefaultServiceName = "cargo-auth"

// AllBackends lists every backend name, in the order Backends reports them.
func AllBackends() []string {
	return []string{BackendSecretService, BackendKWallet, BackendKeyctl, BackendPass, BackendFile, BackendKeychain, BackendWinCred}
}

// preferredBackends is the order Open tries when no backend is named: the
// OS's own keyring first, then pass (present only when the user set it up),
// then keyctl (in memory: lost at reboot, but needs nothing), then the
// encrypted file (needs a passphrase).
func preferredBackends() []string {
	switch runtime.GOOS {
	case "linux":
		return []string{BackendSecretService, BackendPass, BackendKeyctl, BackendFile}
	case "darwin":
		return []string{BackendKeychain, BackendPass, BackendFile}
	case "windows":
		return []string{BackendWinCred, BackendFile}
	}
	return []string{BackendPass, BackendFile}
}

// Options says which backend to open and how.
type Options struct {
	// Backend is one of the Backend* names; "" opens the first of this
	// OS's backends that passes a cheap probe (see Open).
	Backend string
	// ServiceName names the keyctl keyring, the Secret Service item
	// namespace, the pass folder, the Keychain service and the Windows
	// credential prefix. "" means DefaultServiceName.
	ServiceName string
	// Collection is the Secret Service collection; "" means the one the
	// "default" alias points to (gnome-keyring's "login").
	Collection string
	// FileDir is the file backend's directory; "" means DefaultFileDir.
	FileDir string
	// FilePassphrase unlocks the file backend (the caller reads it from
	// CARGO_AUTH_FILE_PASSPHRASE). When empty, PassphrasePrompt is asked.
	FilePassphrase string
	// PassphrasePrompt asks the user for the file backend's passphrase on
	// the terminal (never on stdout, which carries protocol lines). nil
	// means there is no one to ask.
	PassphrasePrompt func(prompt string) (string, error)
	// PassDir is the password store; "" means $PASSWORD_STORE_DIR, then
	// ~/.password-store.
	PassDir string
	// PassPrefix is the folder inside the password store; "" means
	// ServiceName.
	PassPrefix string
	// PassCmd is the pass executable; "" means "pass".
	PassCmd string
	// Timeout bounds each store operation; 0 means DefaultTimeout.
	Timeout time.Duration
	// Getenv reads the environment (HOME, XDG_CONFIG_HOME, APPDATA,
	// PASSWORD_STORE_DIR, DBUS_SESSION_BUS_ADDRESS, XDG_RUNTIME_DIR,
	// DISPLAY). nil means os.Getenv.
	Getenv func(string) string
}

func (o Options) withDefaults() Options {
	if o.Getenv == nil {
		o.Getenv = os.Getenv
	}
	if o.ServiceName == "" {
		o.ServiceName = DefaultServiceName
	}
	if o.PassPrefix == "" {
		o.PassPrefix = o.ServiceName
	}
	if o.PassCmd == "" {
		o.PassCmd = "pass"
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	return o
}

// DefaultFileDir is where the file backend keeps its items: the user's
// configuration directory, not $CARGO_HOME, because CI systems cache and
// upload $CARGO_HOME and the keyring belongs to the user, not to one Rust
// installation:
//
//	Linux, BSD  $XDG_CONFIG_HOME/cargo-auth/keyring (~/.config/cargo-auth/keyring)
//	macOS       ~/Library/Application Support/cargo-auth/keyring
//	Windows     %APPDATA%\cargo-auth\keyring
func DefaultFileDir(getenv func(string) string) (string, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	var base string
	switch runtime.GOOS {
	case "windows":
		base = getenv("APPDATA")
	case "darwin":
		if home := getenv("HOME"); home != "" {
			base = filepath.Join(home, "Library", "Application Support")
		}
	default:
		base = getenv("XDG_CONFIG_HOME")
		if !filepath.IsAbs(base) {
			base = ""
			if home := getenv("HOME"); home != "" {
				base = filepath.Join(home, ".config")
			}
		}
	}
	if base == "" {
		return "", errors.New("cannot place the file keyring: HOME is not set (set HOME or XDG_CONFIG_HOME)")
	}
	return filepath.Join(base, "cargo-auth", "keyring"), nil
}

// Open opens the named backend, or when Options.Backend is "" the first
// of this OS's backends that passes a cheap probe (a session bus with an
// unlocked collection, an initialised password store, a usable kernel
// keyring, a passphrase for the file): on Linux secret-service, pass,
// keyctl, file; on macOS keychain, pass, file; on Windows wincred, file.
// KWallet is never picked (see openKWallet). A backend that cannot work
// here gives an error wrapping ErrUnavailable whose text says why and what
// to do.
func Open(ctx context.Context, opts Options) (Store, error) {
	opts = opts.withDefaults()
	if opts.Backend != "" {
		return openBackend(ctx, opts.Backend, opts)
	}
	var reasons []string
	for _, name := range preferredBackends() {
		store, err := openBackend(ctx, name, opts)
		if err == nil {
			return store, nil
		}
		if ctx.Err() != nil {
			return nil, err
		}
		reasons = append(reasons, err.Error())
	}
	return nil, &storeError{
		msg:  "no keyring backend works here: " + strings.Join(reasons, "; "),
		kind: ErrUnavailable,
	}
}

// openBackend opens one backend after its cheap probe.
func openBackend(ctx context.Context, name string, opts Options) (Store, error) {
	switch name {
	case BackendSecretService:
		return openSecretService(ctx, opts)
	case BackendKWallet:
		return openKWallet(ctx, opts)
	case BackendKeyctl:
		return openKeyctl(ctx, opts)
	case BackendPass:
		return openPass(ctx, opts)
	case BackendFile:
		return openFile(ctx, opts)
	case BackendKeychain:
		return openKeychain(ctx, opts)
	case BackendWinCred:
		return openWinCred(ctx, opts)
	}
	return nil, fmt.Errorf("unknown keyring backend %q (want one of %s)", name, strings.Join(AllBackends(), ", "))
}

// unavailable is the error of a backend that cannot work here.
func unavailable(backend, format string, args ...any) error {
	return &storeError{msg: backend + ": " + fmt.Sprintf(format, args...), kind: ErrUnavailable}
}

// libraryHas reports whether 99designs/keyring registered the backend in
// this process (it registers Secret Service and KWallet only when its
// init() reached a session bus).
func libraryHas(b keyring.BackendType) bool {
	return slices.Contains(keyring.AvailableBackends(), b)
}

// openLibrary opens a 99designs/keyring backend under the guard: opening
// Secret Service or KWallet already talks to the bus.
func openLibrary(ctx context.Context, g *guard, cfg keyring.Config) (keyring.Keyring, error) {
	var ring keyring.Keyring
	err := g.do(ctx, "opening", func(context.Context) error {
		var err error
		ring, err = keyring.Open(cfg)
		return err
	})
	if err != nil {
		var se *storeError
		if errors.As(err, &se) || errors.Is(err, ErrUnavailable) {
			return nil, err
		}
		return nil, &storeError{msg: g.backend + ": opening: " + safeText(err.Error()), kind: ErrUnavailable}
	}
	return ring, nil
}

// Backends reports every backend, whether it works on this machine and,
// when not, why in one line with what to do. A backend works when a real
// round trip (store, read back, delete a probe item) succeeded; the file
// backend without CARGO_AUTH_FILE_PASSPHRASE is only checked for a usable
// directory and a way to ask for the passphrase, so that listing backends
// never prompts. The probes run concurrently, each under Options.Timeout.
func Backends(ctx context.Context, opts Options) []BackendStatus {
	opts = opts.withDefaults()
	names := AllBackends()
	statuses := make([]BackendStatus, len(names))
	var wg sync.WaitGroup
	for i, name := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses[i] = probeBackend(ctx, name, opts)
		}()
	}
	wg.Wait()
	return statuses
}

func probeBackend(ctx context.Context, name string, opts Options) BackendStatus {
	status := BackendStatus{Name: name}
	if !slices.Contains(preferredBackends(), name) && name != BackendKWallet {
		status.Reason = name + ": " + notOnThisOS(name)
		return status
	}
	store, err := openBackend(ctx, name, opts)
	if err != nil {
		status.Reason = err.Error()
		return status
	}
	ks, ok := store.(*keyringStore)
	if !ok {
		status.Works = true
		return status
	}
	if name == BackendFile && opts.FilePassphrase == "" {
		status.Works = true // directory and prompt checked by openFile
		return status
	}
	if err := ks.roundTrip(ctx); err != nil {
		status.Reason = err.Error()
		return status
	}
	status.Works = true
	return status
}

func notOnThisOS(name string) string {
	switch name {
	case BackendKeychain:
		return "only on macOS"
	case BackendWinCred:
		return "only on Windows"
	case BackendSecretService, BackendKWallet, BackendKeyctl:
		return "only on Linux"
	}
	return "not supported on " + runtime.GOOS
}

// probeKey is the item a round trip writes; its '~' keeps it out of List.
const probeKey = "~probe"

// roundTrip stores, reads back and removes a probe item.
func (s *keyringStore) roundTrip(ctx context.Context) error {
	key := s.keyPrefix + probeKey
	value := []byte("cargo-auth probe " + newGeneration())
	return s.run(ctx, opSet, "round trip", key, true, func() error {
		if err := s.ring.Set(keyring.Item{Key: key, Label: "cargo-auth probe", Data: value, KeychainNotSynchronizable: true}); err != nil {
			return err
		}
		item, err := s.ring.Get(key)
		if err != nil {
			return err
		}
		if err := s.ring.Remove(key); err != nil {
			return err
		}
		if string(item.Data) != string(value) {
			return errors.New("the probe item read back differs from what was stored")
		}
		return nil
	})
}

// withHint appends what to do to a store error's message.
func withHint(err error, hint string) error {
	var se *storeError
	if errors.As(err, &se) {
		return &storeError{msg: se.msg + "; " + hint, kind: se.kind}
	}
	return err
}
