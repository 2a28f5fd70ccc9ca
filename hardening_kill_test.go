//go:build linux

package main

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// tempKind is one kind of temporary file a write leaves while it runs: the
// file being replaced, the directory its temporary files go to and how
// their names start.
type tempKind struct {
	name   string
	dir    string
	prefix string
	// inPlace starts the name of the file the temporary file replaces: a
	// kill aimed at this write also fires when that file is modified in
	// place (truncated, written), which an atomic writer never does but a
	// broken one would.
	inPlace string
	// jitter bounds the random delay of a kill aimed at this kind's
	// write: about the time the write takes.
	jitter time.Duration
}

// temps lists the temporary files of kind k now on disk.
func (k tempKind) temps(t *testing.T) []string {
	t.Helper()
	entries, err := os.ReadDir(k.dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), k.prefix) {
			out = append(out, e.Name())
		}
	}
	return out
}

// createWatch reports the names of files created in a few directories
// (inotify), so that a kill can be aimed at a write that has just started
// instead of hoping a random moment falls inside it. An armed watch kills
// the process itself, on its own thread, as soon as the kernel reports the
// file: a write of a small file is over before a goroutine woken through
// the runtime's poller would get to send the signal.
type createWatch struct {
	fd     int
	stop   [2]int // a pipe: writing to it ends the reader
	dirs   map[int32]string
	events chan fileEvent
	armed  atomic.Pointer[armedKill]
	done   chan struct{}
}

// fileEvent is a file created (IN_CREATE) or modified (IN_MODIFY).
type fileEvent struct {
	path string
	mask uint32
}

// armedKill is a kill to send when a file of kind appears.
type armedKill struct {
	kind tempKind
	proc *os.Process
	sent atomic.Bool
}

func watchCreates(t *testing.T, dirs ...string) *createWatch {
	t.Helper()
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC)
	if err != nil {
		t.Fatalf("inotify: %v", err)
	}
	w := &createWatch{fd: fd, dirs: map[int32]string{}, events: make(chan fileEvent, 1024), done: make(chan struct{})}
	if err := unix.Pipe2(w.stop[:], unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	for _, d := range dirs {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
		wd, err := unix.InotifyAddWatch(fd, d, unix.IN_CREATE|unix.IN_MODIFY)
		if err != nil {
			t.Fatalf("inotify watch %s: %v", d, err)
		}
		w.dirs[int32(wd)] = d
	}
	go w.read()
	t.Cleanup(func() {
		unix.Write(w.stop[1], []byte{0})
		<-w.done
		unix.Close(w.fd)
		unix.Close(w.stop[0])
		unix.Close(w.stop[1])
	})
	return w
}

func (w *createWatch) read() {
	runtime.LockOSThread() // blocked in poll(2), woken by the kernel itself
	defer close(w.done)
	defer close(w.events)
	buf := make([]byte, 64<<10)
	fds := []unix.PollFd{{Fd: int32(w.fd), Events: unix.POLLIN}, {Fd: int32(w.stop[0]), Events: unix.POLLIN}}
	for {
		if _, err := unix.Poll(fds, -1); err != nil && !errors.Is(err, unix.EINTR) {
			return
		}
		if fds[1].Revents != 0 {
			return
		}
		if fds[0].Revents == 0 {
			continue
		}
		n, err := unix.Read(w.fd, buf)
		if err != nil {
			if errors.Is(err, unix.EINTR) {
				continue
			}
			return
		}
		for off := 0; off+unix.SizeofInotifyEvent <= n; {
			ev := (*unix.InotifyEvent)(unsafe.Pointer(&buf[off]))
			nameBytes := buf[off+unix.SizeofInotifyEvent : off+unix.SizeofInotifyEvent+int(ev.Len)]
			event := fileEvent{path: filepath.Join(w.dirs[ev.Wd], string(bytes.TrimRight(nameBytes, "\x00"))), mask: ev.Mask}
			off += unix.SizeofInotifyEvent + int(ev.Len)
			if a := w.armed.Load(); a != nil && a.kind.writes(event) && a.sent.CompareAndSwap(false, true) {
				_ = a.proc.Signal(syscall.SIGKILL)
			}
			select {
			case w.events <- event:
			default: // nobody is aiming now; drop it
			}
		}
	}
}

// writes reports whether an event shows the write of kind k under way:
// its temporary file created, or the file it replaces modified in place.
func (k tempKind) writes(e fileEvent) bool {
	if filepath.Dir(e.path) != k.dir {
		return false
	}
	name := filepath.Base(e.path)
	return (e.mask&unix.IN_CREATE != 0 && strings.HasPrefix(name, k.prefix)) ||
		(e.mask&unix.IN_MODIFY != 0 && k.inPlace != "" && strings.HasPrefix(name, k.inPlace))
}

// drain forgets the creations reported so far.
func (w *createWatch) drain() {
	for {
		select {
		case <-w.events:
		default:
			return
		}
	}
}

// killPlan says when one run is killed: after a random delay, or just
// after a temporary file of one kind appears (plus a short random delay,
// so the kill lands anywhere from the first byte to the rename).
type killPlan struct {
	after  time.Duration
	aimAt  *tempKind
	jitter time.Duration
}

// randomPlan picks a plan: half the runs are killed at a random moment of
// their whole life (up to a little more than typical, so some finish),
// the other half aimed at one of the writes the command makes.
func randomPlan(typical time.Duration, aims []tempKind) killPlan {
	if len(aims) == 0 || rand.IntN(2) == 0 {
		return killPlan{after: time.Duration(rand.Int64N(int64(typical)*5/4 + 1))}
	}
	k := aims[rand.IntN(len(aims))]
	return killPlan{aimAt: &k, jitter: time.Duration(rand.Int64N(int64(k.jitter) + 1))}
}

// runAndKill starts cmd and kills it (SIGKILL) as plan says, unless it
// exits first. It returns whether the kill found the process running. The
// process is always reaped.
func runAndKill(t *testing.T, cmd *exec.Cmd, plan killPlan, watch *createWatch) (killed bool) {
	t.Helper()
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = nil, &stderr
	watch.drain()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()

	var fire <-chan time.Time
	var events <-chan fileEvent
	switch {
	case plan.aimAt != nil && plan.jitter == 0:
		// The watch's own thread kills at once.
		watch.armed.Store(&armedKill{kind: *plan.aimAt, proc: cmd.Process})
		defer watch.armed.Store(nil)
	case plan.aimAt != nil:
		events = watch.events
	default:
		timer := time.NewTimer(plan.after)
		defer timer.Stop()
		fire = timer.C
	}
	for {
		select {
		case err := <-done:
			return exited(t, cmd, err, &stderr)
		case event, ok := <-events:
			if !ok {
				t.Fatal("the inotify watch stopped")
			}
			if !plan.aimAt.writes(event) {
				continue
			}
			events = nil
			timer := time.NewTimer(plan.jitter)
			defer timer.Stop()
			fire = timer.C
		case <-fire:
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil && !errors.Is(err, os.ErrProcessDone) {
				t.Fatalf("killing %s: %v", cmd.Args[0], err)
			}
			return exited(t, cmd, <-done, &stderr)
		}
	}
}

// exited reports whether the process died of SIGKILL; any other failure
// fails the test.
func exited(t *testing.T, cmd *exec.Cmd, err error, stderr *bytes.Buffer) bool {
	t.Helper()
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		if ws, ok := exitErr.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL {
			return true
		}
	}
	if err != nil {
		t.Fatalf("%s failed on its own (%v):\n%s", strings.Join(cmd.Args[:min(len(cmd.Args), 4)], " "), err, stderr.String())
	}
	return false
}

// crashTally counts, per kind of temporary file, the kills that landed
// while one existed (the writer's temporary file was left behind).
type crashTally struct {
	kinds     []tempKind
	midWrite  map[string]int
	kills     int
	runs      int
	completed int
}

func newCrashTally(kinds ...tempKind) *crashTally {
	return &crashTally{kinds: kinds, midWrite: map[string]int{}}
}

// observe records one run: before are the temporary files that existed
// before it. It fails the test when temporary files pile up: a killed
// writer may leave one, and the next write of that file removes it.
func (c *crashTally) observe(t *testing.T, iteration int, killed bool, before map[string][]string) {
	t.Helper()
	c.runs++
	if killed {
		c.kills++
	} else {
		c.completed++
	}
	for _, k := range c.kinds {
		now := k.temps(t)
		if len(now) > 1 {
			t.Fatalf("run %d: %d temporary files of %s piled up in %s: %q", iteration, len(now), k.name, k.dir, now)
		}
		for _, name := range now {
			if !slices.Contains(before[k.name], name) {
				if !killed {
					t.Fatalf("run %d: %s finished but left the temporary file %s", iteration, k.name, name)
				}
				c.midWrite[k.name]++
			}
		}
	}
}

// snapshot returns the temporary files of every kind now on disk.
func (c *crashTally) snapshot(t *testing.T) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, k := range c.kinds {
		out[k.name] = k.temps(t)
	}
	return out
}

// enough reports whether every kind was hit mid-write at least n times.
func (c *crashTally) enough(n int) bool {
	for _, k := range c.kinds {
		if c.midWrite[k.name] < n {
			return false
		}
	}
	return true
}

func (c *crashTally) String() string {
	var parts []string
	for _, k := range c.kinds {
		parts = append(parts, fmt.Sprintf("%s %d", k.name, c.midWrite[k.name]))
	}
	return fmt.Sprintf("%d runs, %d killed, %d completed; killed mid-write: %s", c.runs, c.kills, c.completed, strings.Join(parts, ", "))
}
