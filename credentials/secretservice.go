package credentials

import (
	"context"
	"runtime"
	"strings"

	"github.com/99designs/keyring"
	"github.com/godbus/dbus/v5"
)

// The Secret Service backend stores items through 99designs/keyring in an
// existing, unlocked collection (by default the one the "default" alias
// names: gnome-keyring's "login"), under keys prefixed with the service name
// ("cargo-auth:sparse+https:%2F%2F…"): the collection is shared with every
// other program, and the library matches items by that key alone.
//
// Before each operation the collection is checked over D-Bus: a missing or
// locked collection is reported at once. The library would otherwise create
// the collection or unlock it, which opens a prompt that, without a display,
// never answers.

func openSecretService(ctx context.Context, opts Options) (Store, error) {
	const name = BackendSecretService
	if runtime.GOOS != "linux" {
		return nil, unavailable(name, "only on Linux")
	}
	addr, err := sessionBusAddress(opts.Getenv)
	if err != nil {
		return nil, unavailable(name, "%s; run inside a desktop session (or scripts/with-keyrings) or use --backend keyctl, pass or file", err)
	}
	g := newGuard(name, opts.Timeout)
	var path dbus.ObjectPath
	var ss secretService
	err = g.do(ctx, "probing", func(ctx context.Context) error {
		conn, err := sessionBus(addr)
		if err != nil {
			return unavailable(name, "%s; run inside a desktop session or use --backend file", err)
		}
		ss = secretService{conn: conn}
		running, err := ss.running(ctx)
		if err != nil {
			return unavailable(name, "the session bus did not answer: %s", safeText(err.Error()))
		}
		if !running {
			return unavailable(name, "no Secret Service provider on the session bus; start gnome-keyring-daemon (or KeePassXC's Secret Service integration) or use --backend file")
		}
		path, err = ss.collectionPath(ctx, opts.Collection)
		if err != nil {
			return unavailable(name, "the keyring has no default collection; create a \"login\" keyring (seahorse) or use --backend file")
		}
		return checkCollection(ctx, ss, path)
	})
	if err != nil {
		return nil, err
	}
	if !libraryHas(keyring.SecretServiceBackend) {
		return nil, unavailable(name, "the keyring library found no session bus when cargo-auth started; set DBUS_SESSION_BUS_ADDRESS before starting it")
	}
	ring, err := openLibrary(ctx, g, keyring.Config{
		AllowedBackends:         []keyring.BackendType{keyring.SecretServiceBackend},
		ServiceName:             opts.ServiceName,
		LibSecretCollectionName: decodeCollectionName(path),
	})
	if err != nil {
		return nil, err
	}
	return &keyringStore{
		backend:   name,
		ring:      secretServiceRing{ring},
		guard:     g,
		limits:    itemLimits{maxKey: 4096},
		keyPrefix: opts.ServiceName + ":",
		precheck: func(ctx context.Context) error {
			return checkCollection(ctx, ss, path)
		},
		explain: explainSecretService,
	}, nil
}

// checkCollection fails unless the collection exists and is unlocked.
func checkCollection(ctx context.Context, ss secretService, path dbus.ObjectPath) error {
	collection := decodeCollectionName(path)
	locked, err := ss.collectionLocked(ctx, path)
	if err != nil {
		return unavailable(BackendSecretService, "collection %q does not exist; create it in your keyring app or choose another collection", collection)
	}
	if locked {
		return unavailable(BackendSecretService, "collection %q is locked; unlock it (log in to the desktop, or gnome-keyring-daemon --unlock) or use --backend file", collection)
	}
	return nil
}

func explainSecretService(err error) *storeError {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "locked"):
		return &storeError{msg: "the keyring is locked; unlock it and try again", kind: ErrUnavailable}
	case strings.Contains(msg, "Object does not exist"), strings.Contains(msg, "ServiceUnknown"), strings.Contains(msg, "was not provided by any .service files"):
		return &storeError{msg: "the Secret Service went away; restart the keyring daemon", kind: ErrUnavailable}
	}
	return nil
}

// secretServiceRing gives Remove the not-found answer the library omits.
type secretServiceRing struct {
	keyring.Keyring
}

func (r secretServiceRing) Remove(key string) error {
	if _, err := r.Keyring.Get(key); err != nil {
		return err
	}
	return r.Keyring.Remove(key)
}
