package credentials

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/godbus/dbus/v5"
)

// This file talks to the Secret Service API (freedesktop.org Secret Service
// 0.2: org.freedesktop.Secret.Service at /org/freedesktop/secrets) directly
// over D-Bus, for what 99designs/keyring cannot do: probe a collection's
// lock state without prompting, and read and delete the items cargo's own
// cargo:libsecret provider writes. It never calls Unlock or Prompt, so it
// never opens a window and never waits on one.

const (
	secretsBusName   = "org.freedesktop.secrets"
	secretsPath      = dbus.ObjectPath("/org/freedesktop/secrets")
	secretsInterface = "org.freedesktop.Secret.Service"
	collectionPrefix = "/org/freedesktop/secrets/collection/"
)

// sessionBusAddress finds the session bus the way D-Bus clients do, but
// never autolaunches one (with dbus-x11 installed that would leak a daemon
// per call): DBUS_SESSION_BUS_ADDRESS, else $XDG_RUNTIME_DIR/bus.
func sessionBusAddress(getenv func(string) string) (string, error) {
	if addr := getenv("DBUS_SESSION_BUS_ADDRESS"); addr != "" && addr != "autolaunch:" {
		return addr, nil
	}
	if dir := getenv("XDG_RUNTIME_DIR"); dir != "" {
		path := filepath.Join(dir, "bus")
		if fi, err := os.Stat(path); err == nil && fi.Mode()&os.ModeSocket != 0 {
			return "unix:path=" + path, nil
		}
	}
	return "", errors.New("no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS unset)")
}

var (
	busMu    sync.Mutex
	busConns = map[string]*dbus.Conn{}
)

// sessionBus returns a connection to the bus at addr, shared by the whole
// process and reconnected when it drops.
func sessionBus(addr string) (*dbus.Conn, error) {
	busMu.Lock()
	defer busMu.Unlock()
	if conn := busConns[addr]; conn != nil && conn.Connected() {
		return conn, nil
	}
	conn, err := dbus.Connect(addr)
	if err != nil {
		return nil, fmt.Errorf("cannot connect to the D-Bus session bus: %s", safeText(err.Error()))
	}
	busConns[addr] = conn
	return conn, nil
}

// secretService is a Secret Service client on one connection.
type secretService struct {
	conn *dbus.Conn
}

func (s secretService) call(ctx context.Context, path dbus.ObjectPath, method string, args ...any) *dbus.Call {
	return s.conn.Object(secretsBusName, path).CallWithContext(ctx, method, 0, args...)
}

func (s secretService) property(ctx context.Context, path dbus.ObjectPath, iface, name string) (dbus.Variant, error) {
	var v dbus.Variant
	err := s.call(ctx, path, "org.freedesktop.DBus.Properties.Get", iface, name).Store(&v)
	return v, err
}

// running reports whether a Secret Service provider owns its bus name now.
// An activatable but stopped provider counts as not running: starting one
// from here would give a locked keyring that only a prompt can open.
func (s secretService) running(ctx context.Context) (bool, error) {
	var has bool
	err := s.conn.BusObject().CallWithContext(ctx, "org.freedesktop.DBus.NameHasOwner", 0, secretsBusName).Store(&has)
	return has, err
}

// collectionPath resolves a collection name, "" meaning the default alias.
func (s secretService) collectionPath(ctx context.Context, name string) (dbus.ObjectPath, error) {
	if name != "" {
		return dbus.ObjectPath(collectionPrefix + encodeCollectionName(name)), nil
	}
	var path dbus.ObjectPath
	if err := s.call(ctx, secretsPath, secretsInterface+".ReadAlias", "default").Store(&path); err != nil {
		return "", err
	}
	if path == "/" || path == "" {
		return "", errors.New("no default collection")
	}
	return path, nil
}

// collectionLocked reports the Locked property; an error means the
// collection does not exist (or the service misbehaves).
func (s secretService) collectionLocked(ctx context.Context, path dbus.ObjectPath) (bool, error) {
	v, err := s.property(ctx, path, "org.freedesktop.Secret.Collection", "Locked")
	if err != nil {
		return false, err
	}
	locked, ok := v.Value().(bool)
	if !ok {
		return false, errors.New("the collection's Locked property is not a boolean")
	}
	return locked, nil
}

// searchItems finds items in every collection whose attributes include
// attrs: the unlocked ones and the locked ones.
func (s secretService) searchItems(ctx context.Context, attrs map[string]string) (unlocked, locked []dbus.ObjectPath, err error) {
	err = s.call(ctx, secretsPath, secretsInterface+".SearchItems", attrs).Store(&unlocked, &locked)
	return unlocked, locked, err
}

// openSession opens a "plain" transfer session: secrets travel unencrypted
// over the local bus, as libsecret does by default between processes of the
// same user.
func (s secretService) openSession(ctx context.Context) (dbus.ObjectPath, error) {
	var output dbus.Variant
	var session dbus.ObjectPath
	err := s.call(ctx, secretsPath, secretsInterface+".OpenSession", "plain", dbus.MakeVariant("")).Store(&output, &session)
	return session, err
}

func (s secretService) closeSession(ctx context.Context, session dbus.ObjectPath) {
	_ = s.conn.Object(secretsBusName, session).CallWithContext(ctx, "org.freedesktop.Secret.Session.Close", 0).Err
}

// secretValue is the Secret struct of the API: (oayays).
type secretValue struct {
	Session     dbus.ObjectPath
	Parameters  []byte
	Value       []byte
	ContentType string
}

func (s secretService) secret(ctx context.Context, item, session dbus.ObjectPath) ([]byte, error) {
	var sv secretValue
	if err := s.call(ctx, item, "org.freedesktop.Secret.Item.GetSecret", session).Store(&sv); err != nil {
		return nil, err
	}
	return sv.Value, nil
}

func (s secretService) itemLabel(ctx context.Context, item dbus.ObjectPath) (string, error) {
	v, err := s.property(ctx, item, "org.freedesktop.Secret.Item", "Label")
	if err != nil {
		return "", err
	}
	label, _ := v.Value().(string)
	return label, nil
}

func (s secretService) itemAttributes(ctx context.Context, item dbus.ObjectPath) (map[string]string, error) {
	v, err := s.property(ctx, item, "org.freedesktop.Secret.Item", "Attributes")
	if err != nil {
		return nil, err
	}
	attrs, ok := v.Value().(map[string]string)
	if !ok {
		return nil, errors.New("the item's Attributes property is not a string map")
	}
	return attrs, nil
}

// errNeedsPrompt means the service wanted to show a prompt, which this
// client never does.
var errNeedsPrompt = errors.New("the keyring asked for a confirmation prompt; unlock it in your desktop session and try again")

func (s secretService) deleteItem(ctx context.Context, item dbus.ObjectPath) error {
	var prompt dbus.ObjectPath
	if err := s.call(ctx, item, "org.freedesktop.Secret.Item.Delete").Store(&prompt); err != nil {
		return err
	}
	if prompt != "/" && prompt != "" {
		_ = s.conn.Object(secretsBusName, prompt).CallWithContext(ctx, "org.freedesktop.Secret.Prompt.Dismiss", 0).Err
		return errNeedsPrompt
	}
	return nil
}

// encodeCollectionName escapes a name as gnome-keyring does in object
// paths: every byte outside [A-Za-z0-9] becomes _XX.
func encodeCollectionName(name string) string {
	var b strings.Builder
	for i := 0; i < len(name); i++ {
		c := name[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "_%02x", c)
	}
	return b.String()
}

// decodeCollectionName reverses encodeCollectionName on the last element
// of a collection path.
func decodeCollectionName(path dbus.ObjectPath) string {
	elem := string(path)[strings.LastIndexByte(string(path), '/')+1:]
	var b strings.Builder
	for i := 0; i < len(elem); i++ {
		if elem[i] == '_' && i+2 < len(elem) {
			if n, err := strconv.ParseUint(elem[i+1:i+3], 16, 8); err == nil {
				b.WriteByte(byte(n))
				i += 2
				continue
			}
		}
		b.WriteByte(elem[i])
	}
	return b.String()
}
