package credentials

import (
	"context"
	"errors"
	"strings"
	"syscall"

	"github.com/99designs/keyring"
)

// The keyctl backend keeps items in the kernel's keyring: a keyring named
// after the service, linked into the user keyring ("user" scope), so every
// process of the user finds it whatever its session keyring. Keys are
// created with all rights for the user as well as the possessor: with the
// kernel's default (possessor only) a process in a fresh session keyring
// (sudo, systemd units, pam_keyinit) cannot read them.
//
// The kernel keyring lives in memory: it survives logouts while the user
// has processes, not reboots. A "user" key holds at most 32767 bytes, and a
// non-root user may keep 20000 bytes in all by default
// (/proc/sys/kernel/keys/maxbytes).

// keyctlPerm grants possessor and user every right, group and others none.
var keyctlPerm = keyring.GetPermissions(keyring.KEYCTL_PERM_ALL, keyring.KEYCTL_PERM_ALL, 0, 0)

func openKeyctl(ctx context.Context, opts Options) (Store, error) {
	const name = BackendKeyctl
	g := newGuard(name, opts.Timeout)
	ring, err := openLibrary(ctx, g, keyring.Config{
		AllowedBackends: []keyring.BackendType{keyring.KeyCtlBackend},
		ServiceName:     opts.ServiceName,
		KeyCtlScope:     "user",
		KeyCtlPerm:      keyctlPerm,
	})
	if err != nil {
		return nil, withHint(err, "containers often block keyctl: use --backend file")
	}
	return &keyringStore{
		backend: name,
		ring:    ring,
		guard:   g,
		// KEY_MAX_DESC_SIZE is 4096 with the NUL; a user key's payload is
		// at most 32767 bytes.
		limits:  itemLimits{maxKey: 4000, maxData: 32767},
		explain: explainKeyctl,
	}, nil
}

// explainKeyctl maps the kernel's errors; the library formats some of them
// with %v, so the text is matched too.
func explainKeyctl(err error) *storeError {
	is := func(errno syscall.Errno) bool {
		return errors.Is(err, errno) || strings.Contains(err.Error(), errno.Error())
	}
	switch {
	case is(syscall.EDQUOT):
		return &storeError{msg: "the kernel keyring quota is exhausted (see /proc/sys/kernel/keys/maxbytes and maxkeys); remove unused keys or use another backend"}
	case is(syscall.EACCES), is(syscall.EPERM):
		return &storeError{msg: "the kernel keyring denied access; a key of the same name made by another tool may lack user rights (keyctl show @u)", kind: ErrUnavailable}
	case is(syscall.ENOSYS):
		return &storeError{msg: "this kernel or container does not offer keyctl; use --backend file", kind: ErrUnavailable}
	}
	return nil
}
