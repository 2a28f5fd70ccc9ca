// Package atomicfile replaces files so that readers and crashes only ever see
// the whole old content or the whole new one, and serialises the
// read-modify-write cycles of concurrent cargo-auth processes with a lock
// file.
//
// WriteFile writes a temporary file in the target's directory, named
// ".<name>.tmp-<pid>-<random>", syncs it, renames it over the target and syncs
// the directory. A process killed mid-write leaves its temporary file behind;
// the next write to the same target removes the temporaries of processes
// that no longer run, so at most one such file per killed writer exists, and
// only until the next write.
package atomicfile

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// maxSymlinks bounds the symlinks followed to the final target, as the
// kernel's ELOOP does.
const maxSymlinks = 40

// hooks lets tests make each step of a write fail.
var hooks = struct {
	write, sync, close, rename func(string) error
}{}

// WriteFile replaces the file at path with data, atomically.
//
// A symlink at path is followed to its final target, which is replaced while
// the link stays a link. An existing file keeps its permission bits; perm
// (with the umask applied) is used only for a new file: pass 0600 for files
// that hold secrets. Missing parent directories are created with 0700 when
// perm grants nothing to group and others, and 0755 otherwise.
//
// If WriteFile fails before the rename, the old file is intact and no
// temporary file is left. After the rename the new content is in place; an
// error syncing the directory is still reported, since the change may not
// survive a power loss.
func WriteFile(path string, data []byte, perm fs.FileMode) error {
	target, err := Resolve(path)
	if err != nil {
		return err
	}
	dir, base := filepath.Split(target)
	if dir == "" {
		dir = "."
	}
	mode := perm
	info, err := os.Stat(target)
	switch {
	case err == nil && !info.Mode().IsRegular():
		return fmt.Errorf("writing %s: not a regular file", target)
	case err == nil:
		mode = info.Mode().Perm()
	case errors.Is(err, fs.ErrNotExist):
		if err := os.MkdirAll(dir, dirPerm(perm)); err != nil {
			return fmt.Errorf("writing %s: %w", target, err)
		}
	default:
		return fmt.Errorf("writing %s: %w", target, err)
	}
	removeStaleTemps(dir, base)

	// The temporary file starts with the mode the file will have, never
	// perm: replacing a private file that holds a token with perm 0644
	// would leave the token readable by others until fill's chmod, and
	// for good if the process is killed in between.
	tmp, f, err := createTemp(dir, base, mode)
	if err != nil {
		return fmt.Errorf("writing %s: creating a temporary file: %w", target, err)
	}
	if err := fill(f, tmp, data, mode, info != nil); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("writing %s: %w", target, err)
	}
	if err := step(hooks.rename, tmp, func() error { return os.Rename(tmp, target) }); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("writing %s: %w", target, err)
	}
	if err := syncDir(dir); err != nil {
		return fmt.Errorf("writing %s: syncing its directory: %w", target, err)
	}
	return nil
}

// dirPerm returns the mode of directories created for a file of mode perm.
func dirPerm(perm fs.FileMode) fs.FileMode {
	if perm&0o077 == 0 {
		return 0o700
	}
	return 0o755
}

// fill writes, chmods, syncs and closes the temporary file.
func fill(f *os.File, tmp string, data []byte, mode fs.FileMode, keepMode bool) error {
	err := step(hooks.write, tmp, func() error { _, err := f.Write(data); return err })
	if err == nil && keepMode {
		err = f.Chmod(mode)
	}
	if err == nil {
		err = step(hooks.sync, tmp, f.Sync)
	}
	if closeErr := step(hooks.close, tmp, f.Close); err == nil {
		err = closeErr
	}
	return err
}

// step runs fn unless a test hook fails first.
func step(hook func(string) error, name string, fn func() error) error {
	if hook != nil {
		if err := hook(name); err != nil {
			return err
		}
	}
	return fn()
}

// tempPrefix returns the prefix of the temporary files of target base.
func tempPrefix(base string) string { return "." + base + ".tmp-" }

// createTemp creates a new temporary file next to the target, with perm so
// the umask applies as it would to a new file.
func createTemp(dir, base string, perm fs.FileMode) (string, *os.File, error) {
	for range 100 {
		var random [6]byte
		if _, err := rand.Read(random[:]); err != nil {
			return "", nil, err
		}
		name := filepath.Join(dir, tempPrefix(base)+strconv.Itoa(os.Getpid())+"-"+hex.EncodeToString(random[:]))
		f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		return name, f, err
	}
	return "", nil, errors.New("no free temporary file name")
}

// removeStaleTemps removes the temporary files that writers of base left
// when they were killed: those whose process no longer runs.
func removeStaleTemps(dir, base string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	prefix := tempPrefix(base)
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name(), prefix)
		if !ok {
			continue
		}
		pidText, _, ok := strings.Cut(rest, "-")
		pid, err := strconv.Atoi(pidText)
		if !ok || err != nil || pid == os.Getpid() || processRuns(pid) {
			continue
		}
		_ = os.Remove(filepath.Join(dir, e.Name()))
	}
}

// Resolve follows symlinks at path (the last element, then each link's
// target) to the file a write must replace. A path that does not exist, or
// a link to one that does not, resolves to the path that would be created.
func Resolve(path string) (string, error) {
	for range maxSymlinks {
		info, err := os.Lstat(path)
		if errors.Is(err, fs.ErrNotExist) {
			return path, nil
		}
		if err != nil {
			return "", fmt.Errorf("resolving %s: %w", path, err)
		}
		if info.Mode()&fs.ModeSymlink == 0 {
			return path, nil
		}
		link, err := os.Readlink(path)
		if err != nil {
			return "", fmt.Errorf("resolving %s: %w", path, err)
		}
		if !filepath.IsAbs(link) {
			link = filepath.Join(filepath.Dir(path), link)
		}
		path = link
	}
	return "", fmt.Errorf("resolving %s: too many levels of symbolic links", path)
}
