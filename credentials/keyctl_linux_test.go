package credentials_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/cargo-auth/cargo-auth/credentials"
)

// The keyctl trap: keys made with the kernel's default permissions grant
// the user only "view", so a process in a fresh session keyring (sudo,
// systemd, pam_keyinit) gets "permission denied". cargo-auth's keyring and
// keys must grant the user every right.
func TestKeyctlGrantsTheUserEveryRight(t *testing.T) {
	store := openReal(t, credentials.Options{Backend: credentials.BackendKeyctl, ServiceName: uniqueName(t)})
	ctx := context.Background()
	const u = "sparse+https://perm.example/"
	if err := store.Set(ctx, credentials.Credential{IndexURL: u, Token: credentials.NewToken("cgatest_keyctl_perm_token", credentials.SchemeRaw)}); err != nil {
		t.Fatal(err)
	}
	urls, _ := store.List(ctx)
	if len(urls) != 1 {
		t.Fatalf("List = %q", urls)
	}
	// Find the service keyring under the user keyring and check it and
	// the key in it.
	ids, err := readKeyring(unix.KEY_SPEC_USER_KEYRING)
	if err != nil {
		t.Fatal(err)
	}
	found := 0
	for _, id := range ids {
		desc, err := unix.KeyctlString(unix.KEYCTL_DESCRIBE, id)
		if err != nil {
			continue
		}
		// type;uid;gid;perm;description
		fields := strings.Split(desc, ";")
		if len(fields) != 5 || fields[0] != "keyring" || !strings.HasPrefix(fields[4], "cargo-auth-test-") {
			continue
		}
		members, err := readKeyring(id)
		if err != nil {
			continue
		}
		for _, m := range append([]int{id}, members...) {
			d, err := unix.KeyctlString(unix.KEYCTL_DESCRIBE, m)
			if err != nil {
				t.Fatal(err)
			}
			perm, _ := strconv.ParseUint(strings.Split(d, ";")[3], 16, 32)
			if user := (perm >> 16) & 0x3f; user != 0x3f {
				t.Errorf("%q grants the user %#x, want every right (0x3f)", d, user)
			}
			found++
		}
	}
	if found < 2 {
		t.Fatalf("found %d keyctl objects of the test keyring, want the keyring and its key", found)
	}
}

func readKeyring(id int) ([]int, error) {
	buf := make([]byte, 4096)
	n, err := unix.KeyctlBuffer(unix.KEYCTL_READ, id, buf, 0)
	if err != nil {
		return nil, err
	}
	var ids []int
	for i := 0; i+4 <= n && i+4 <= len(buf); i += 4 {
		ids = append(ids, int(int32(uint32(buf[i])|uint32(buf[i+1])<<8|uint32(buf[i+2])<<16|uint32(buf[i+3])<<24)))
	}
	return ids, nil
}

// unlinkKeyctlKeyring removes a test's named keyring from the user
// keyring: emptied keyrings left behind count against the kernel's
// per-user quota (200 keys for a non-root user by default).
func unlinkKeyctlKeyring(t *testing.T, name string) {
	id, err := unix.KeyctlSearch(unix.KEY_SPEC_USER_KEYRING, "keyring", name, 0)
	if err != nil {
		return
	}
	if _, err := unix.KeyctlInt(unix.KEYCTL_UNLINK, id, unix.KEY_SPEC_USER_KEYRING, 0, 0); err != nil {
		t.Logf("unlinking keyring %s: %v", name, err)
	}
}
