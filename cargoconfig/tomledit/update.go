package tomledit

import (
	"io/fs"

	"github.com/cargo-auth/cargo-auth/internal/atomicfile"
)

// UpdateFile edits the TOML file at path under a lock: it parses the file (a
// missing file is an empty document), calls edit, and writes the result
// atomically when edit changed anything. A parse error, or an error from
// edit, leaves the file untouched and is returned. perm applies only when the
// file is created (pass 0600 for files that hold secrets); see
// atomicfile.Update for symlinks, modes and the lock.
func UpdateFile(path string, perm fs.FileMode, edit func(*Document) error) error {
	return atomicfile.Update(path, perm, func(old []byte, exists bool) ([]byte, error) {
		d, err := Parse(path, old)
		if err != nil {
			return nil, err
		}
		if err := edit(d); err != nil {
			return nil, err
		}
		if !d.Changed() {
			if !exists {
				return nil, nil
			}
			return old, nil
		}
		return d.Bytes(), nil
	})
}
