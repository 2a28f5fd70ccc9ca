package credentials

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// DefaultTimeout bounds one store operation (a Get, Set, Delete or List,
// with every keyring call it makes) when Options.Timeout is zero.
const DefaultTimeout = 10 * time.Second

// guard runs the keyring calls of one store one at a time, each under a
// deadline. Keyring libraries block in ways a caller cannot interrupt (a
// D-Bus prompt that never answers, a daemon stuck on an invisible wizard),
// so a call runs in its own goroutine; when it overruns its deadline the
// caller gets an error wrapping ErrUnavailable and the guard is broken:
// every later call fails at once instead of queueing behind the stuck one.
// Serialising the calls also keeps the libraries' unsynchronised handles
// (the file backend's cached passphrase, the Secret Service session) safe.
type guard struct {
	backend string
	timeout time.Duration

	sem       chan struct{}
	broken    chan struct{}
	breakOnce sync.Once
}

func newGuard(backend string, timeout time.Duration) *guard {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	return &guard{
		backend: backend,
		timeout: timeout,
		sem:     make(chan struct{}, 1),
		broken:  make(chan struct{}),
	}
}

func (g *guard) markBroken() { g.breakOnce.Do(func() { close(g.broken) }) }

func (g *guard) brokenErr(op string) error {
	return fmt.Errorf("%s: %s: an earlier keyring call did not answer within %s: %w", g.backend, op, g.timeout, ErrUnavailable)
}

// do runs fn under the guard. fn receives a context that expires with the
// call's deadline, for the waits it can bound itself (file locks).
func (g *guard) do(ctx context.Context, op string, fn func(ctx context.Context) error) error {
	select {
	case g.sem <- struct{}{}:
	case <-g.broken:
		return g.brokenErr(op)
	case <-ctx.Done():
		return fmt.Errorf("%s: %s: %w", g.backend, op, ctx.Err())
	}
	select {
	case <-g.broken:
		<-g.sem
		return g.brokenErr(op)
	default:
	}

	done := make(chan error, 1)
	watchdog := time.AfterFunc(g.timeout, g.markBroken)
	go func() {
		defer func() { <-g.sem }()
		// Waits fn bounds itself end a little before the watchdog fires,
		// so a busy lock fails the call without breaking the guard.
		callCtx, cancel := context.WithTimeout(ctx, g.timeout*9/10)
		defer cancel()
		var err error
		func() {
			defer func() {
				if recover() != nil {
					err = fmt.Errorf("%s: %s: the keyring library failed unexpectedly", g.backend, op)
				}
			}()
			err = fn(callCtx)
		}()
		watchdog.Stop()
		done <- err
	}()

	select {
	case err := <-done:
		return err
	case <-g.broken:
		select {
		case err := <-done:
			return err
		default:
		}
		return fmt.Errorf("%s: %s did not answer within %s (a locked keyring waiting for a prompt?): %w", g.backend, op, g.timeout, ErrUnavailable)
	case <-ctx.Done():
		return fmt.Errorf("%s: %s: %w", g.backend, op, ctx.Err())
	}
}
