package credentials_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/cargo-auth/cargo-auth/credentials"
)

// envWithout is a Getenv that hides the named variables.
func envWithout(names ...string) func(string) string {
	return func(k string) string {
		for _, n := range names {
			if k == n {
				return ""
			}
		}
		return os.Getenv(k)
	}
}

func TestSecretServiceWithoutBusSaysSo(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("Secret Service is Linux only")
	}
	opts := credentials.Options{Backend: credentials.BackendSecretService, Getenv: envWithout("DBUS_SESSION_BUS_ADDRESS", "XDG_RUNTIME_DIR")}
	start := time.Now()
	_, err := credentials.Open(context.Background(), opts)
	if !errors.Is(err, credentials.ErrUnavailable) {
		t.Fatalf("err = %v, want ErrUnavailable", err)
	}
	for _, want := range []string{"secret-service: no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS unset)", "--backend"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message %q lacks %q", err, want)
		}
	}
	if time.Since(start) > time.Second {
		t.Errorf("took %v to find there is no bus", time.Since(start))
	}
}

// newLockedCollection makes a collection through gnome-keyring's internal
// interface (which takes the password over D-Bus instead of prompting) and
// locks it.
func newLockedCollection(t *testing.T) string {
	t.Helper()
	conn, err := dbus.SessionBus()
	if err != nil {
		t.Fatal(err)
	}
	svc := conn.Object("org.freedesktop.secrets", "/org/freedesktop/secrets")
	var output dbus.Variant
	var session dbus.ObjectPath
	if err := svc.Call("org.freedesktop.Secret.Service.OpenSession", 0, "plain", dbus.MakeVariant("")).Store(&output, &session); err != nil {
		t.Fatal(err)
	}
	label := uniqueName(t)
	secret := struct {
		Session     dbus.ObjectPath
		Parameters  []byte
		Value       []byte
		ContentType string
	}{session, nil, []byte("collection password"), "text/plain"}
	var path dbus.ObjectPath
	props := map[string]dbus.Variant{"org.freedesktop.Secret.Collection.Label": dbus.MakeVariant(label)}
	if err := svc.Call("org.gnome.keyring.InternalUnsupportedGuiltRiddenInterface.CreateWithMasterPassword", 0, props, secret).Store(&path); err != nil {
		t.Fatalf("creating a collection without a prompt: %v", err)
	}
	t.Cleanup(func() {
		var prompt dbus.ObjectPath
		_ = conn.Object("org.freedesktop.secrets", path).Call("org.freedesktop.Secret.Collection.Delete", 0).Store(&prompt)
	})
	var locked []dbus.ObjectPath
	var prompt dbus.ObjectPath
	if err := svc.Call("org.freedesktop.Secret.Service.Lock", 0, []dbus.ObjectPath{path}).Store(&locked, &prompt); err != nil || len(locked) != 1 {
		t.Fatalf("locking %s: %v (locked %v, prompt %s)", path, err, locked, prompt)
	}
	// gnome-keyring names the object path after the label, escaped.
	return label
}

func TestSecretServiceLockedCollectionIsReported(t *testing.T) {
	if !keyringsProvided() {
		missing(t, credentials.BackendSecretService, "no test keyring daemon (CARGO_AUTH_TEST_KEYRINGS unset)")
	}
	name := newLockedCollection(t)
	start := time.Now()
	_, err := credentials.Open(context.Background(), credentials.Options{Backend: credentials.BackendSecretService, Collection: name, Timeout: 20 * time.Second})
	if !errors.Is(err, credentials.ErrUnavailable) || !strings.Contains(err.Error(), "is locked") {
		t.Fatalf("err = %v, want a locked-collection report", err)
	}
	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Fatalf("reporting a locked collection took %v: it waited", elapsed)
	}
	_, err = credentials.Open(context.Background(), credentials.Options{Backend: credentials.BackendSecretService, Collection: "no-such-collection"})
	if !errors.Is(err, credentials.ErrUnavailable) || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("missing collection: err = %v", err)
	}
}

func TestBackendsAndOpenWithKeyrings(t *testing.T) {
	if !keyringsProvided() {
		missing(t, "every", "no test keyrings (CARGO_AUTH_TEST_KEYRINGS unset)")
	}
	ctx := context.Background()
	opts := credentials.Options{ServiceName: uniqueName(t), FileDir: t.TempDir(), FilePassphrase: "pw"}
	t.Cleanup(func() { unlinkKeyctlKeyring(t, opts.ServiceName) })
	works := map[string]bool{}
	for _, st := range credentials.Backends(ctx, opts) {
		works[st.Name] = st.Works
		if !st.Works && (st.Reason == "" || strings.Contains(st.Reason, "\n") || !strings.HasPrefix(st.Reason, st.Name+": ")) {
			t.Errorf("%s: reason %q is not one line naming the backend", st.Name, st.Reason)
		}
		t.Logf("%-14s works=%-5v %s", st.Name, st.Works, st.Reason)
	}
	for _, name := range []string{credentials.BackendSecretService, credentials.BackendKeyctl, credentials.BackendPass, credentials.BackendFile} {
		if !works[name] {
			t.Errorf("%s does not work under scripts/with-keyrings", name)
		}
	}
	for _, name := range []string{credentials.BackendKWallet, credentials.BackendKeychain, credentials.BackendWinCred} {
		if works[name] {
			t.Errorf("%s reported as working on a headless Linux box", name)
		}
	}
	store, err := credentials.Open(ctx, opts)
	if err != nil || store.Backend() != credentials.BackendSecretService {
		t.Fatalf("Open picked %v, %v; want secret-service", store, err)
	}
}

func TestOpenFallsBackWithoutBus(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the fallback order is Linux's")
	}
	getenv := envWithout("DBUS_SESSION_BUS_ADDRESS", "XDG_RUNTIME_DIR", "PASSWORD_STORE_DIR", "HOME", "DISPLAY", "WAYLAND_DISPLAY")
	ctx := context.Background()
	name := uniqueName(t)
	store, err := credentials.Open(ctx, credentials.Options{Getenv: getenv, ServiceName: name, FilePassphrase: "pw", FileDir: t.TempDir()})
	if err != nil {
		missing(t, credentials.BackendKeyctl, err.Error())
	}
	t.Cleanup(func() { unlinkKeyctlKeyring(t, name) })
	if store.Backend() != credentials.BackendKeyctl {
		t.Fatalf("Open without a bus or a password store picked %s, want keyctl", store.Backend())
	}
	probeName := uniqueName(t)
	t.Cleanup(func() { unlinkKeyctlKeyring(t, probeName) })
	for _, st := range credentials.Backends(ctx, credentials.Options{Getenv: getenv, ServiceName: probeName, FileDir: t.TempDir()}) {
		if st.Name == credentials.BackendSecretService && !strings.Contains(st.Reason, "DBUS_SESSION_BUS_ADDRESS unset") {
			t.Errorf("secret-service reason %q", st.Reason)
		}
		if st.Name == credentials.BackendFile && (st.Works || !strings.Contains(st.Reason, credentials.EnvFilePassphrase)) {
			t.Errorf("file without a passphrase: %+v", st)
		}
	}
}

func TestOpenUnknownBackend(t *testing.T) {
	_, err := credentials.Open(context.Background(), credentials.Options{Backend: "gnome"})
	if err == nil || !strings.Contains(err.Error(), "keyctl") {
		t.Fatalf("err = %v, want the list of backends", err)
	}
}

// secretTool runs secret-tool, the way a user (or cargo:libsecret) would
// have stored an item.
func secretTool(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	cmd := exec.Command("secret-tool", args...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("secret-tool %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return string(out)
}
