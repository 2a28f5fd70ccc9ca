package atomicfile

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/gofrs/flock"
)

// LockTimeout bounds the wait for a lock when the caller's context has no
// earlier deadline, so a stuck process cannot make cargo-auth hang forever.
var LockTimeout = 10 * time.Second

// retryDelay is how often a held lock is tried again.
const retryDelay = 20 * time.Millisecond

// inProcess serialises lockers within this process too, whatever the
// platform's file locks do between two descriptors of one process.
var inProcess sync.Map // lock file path -> chan struct{}

// LockPath returns the lock file that guards path: ".<name>.lock" next to the
// file path resolves to. Lock files are left in place after use; removing
// one while another process waits on it would break the lock.
func LockPath(path string) (string, error) {
	target, err := Resolve(path)
	if err != nil {
		return "", err
	}
	dir, base := filepath.Split(target)
	return filepath.Join(dir, "."+base+".lock"), nil
}

// Lock takes an exclusive advisory lock on the lock file of path (see
// LockPath), so that two cargo-auth processes cannot interleave a
// read-modify-write of path. It waits until ctx is done or LockTimeout has
// passed, whichever comes first, and then fails with an error naming the lock
// file. The parent directory is created (0700) when missing. Call unlock when
// done; it is safe to call more than once. The lock is not reentrant: taking
// it again before unlocking waits for the time-out.
func Lock(ctx context.Context, path string) (unlock func() error, err error) {
	lockPath, err := LockPath(path)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(lockPath), 0o700); err != nil {
		return nil, fmt.Errorf("locking %s: %w", path, err)
	}
	ctx, cancel := context.WithTimeout(ctx, LockTimeout)
	defer cancel()

	sem, _ := inProcess.LoadOrStore(lockPath, make(chan struct{}, 1))
	ch := sem.(chan struct{})
	select {
	case ch <- struct{}{}:
	case <-ctx.Done():
		return nil, timeoutError(lockPath, ctx.Err())
	}
	fl := flock.New(lockPath, flock.SetPermissions(0o600))
	locked, err := fl.TryLockContext(ctx, retryDelay)
	if !locked {
		<-ch
		if err == nil || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
			return nil, timeoutError(lockPath, err)
		}
		return nil, fmt.Errorf("locking %s: %w", lockPath, err)
	}
	var once sync.Once
	var unlockErr error
	return func() error {
		once.Do(func() {
			unlockErr = fl.Unlock()
			<-ch
			if unlockErr != nil {
				unlockErr = fmt.Errorf("unlocking %s: %w", lockPath, unlockErr)
			}
		})
		return unlockErr
	}, nil
}

// timeoutError explains a lock that could not be had in time.
func timeoutError(lockPath string, cause error) error {
	if errors.Is(cause, context.Canceled) {
		return fmt.Errorf("waiting for the lock %s: %w", lockPath, cause)
	}
	return fmt.Errorf("timed out waiting for the lock %s: another cargo-auth process is editing the file; try again, or remove the lock file if no such process runs", lockPath)
}

// Update runs a locked read-modify-write of the file at path: it takes the
// lock, reads the file (exists is false when it is missing, which is not an
// error), calls fn, and writes fn's result with WriteFile only when it
// differs from the old content (nil for a missing file writes nothing).
// Missing parent directories are created as WriteFile does. An error from fn leaves the file untouched
// and is returned as is. It waits at most LockTimeout for the lock.
func Update(path string, perm fs.FileMode, fn func(old []byte, exists bool) ([]byte, error)) error {
	return UpdateContext(context.Background(), path, perm, fn)
}

// UpdateContext is Update with a context that bounds the wait for the lock.
func UpdateContext(ctx context.Context, path string, perm fs.FileMode, fn func(old []byte, exists bool) ([]byte, error)) (err error) {
	target, err := Resolve(path)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(target), dirPerm(perm)); err != nil {
		return fmt.Errorf("writing %s: %w", target, err)
	}
	unlock, err := Lock(ctx, path)
	if err != nil {
		return err
	}
	defer func() {
		if unlockErr := unlock(); err == nil {
			err = unlockErr
		}
	}()
	old, err := os.ReadFile(path)
	exists := err == nil
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("reading %s: %w", path, err)
	}
	data, err := fn(old, exists)
	if err != nil {
		return err
	}
	if (exists && string(data) == string(old)) || (!exists && data == nil) {
		return nil
	}
	return WriteFile(path, data, perm)
}
