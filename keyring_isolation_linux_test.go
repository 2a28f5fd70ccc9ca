package main

import "golang.org/x/sys/unix"

// removeKeyctlKeyring unlinks a script's own keyctl keyring (named after its
// CARGO_AUTH_SERVICE) from the user keyring, so runs leave nothing behind
// in the kernel keyring, which outlives the test's HOME.
func removeKeyctlKeyring(name string) {
	id, err := unix.KeyctlSearch(unix.KEY_SPEC_USER_KEYRING, "keyring", name, 0)
	if err != nil {
		return
	}
	_, _ = unix.KeyctlInt(unix.KEYCTL_UNLINK, id, unix.KEY_SPEC_USER_KEYRING, 0, 0)
}
