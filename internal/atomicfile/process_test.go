//go:build unix

package atomicfile

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// appendLines appends "<id>-<i>" lines through Update, count times.
func appendLines(path, id string, count int) error {
	for i := range count {
		line := fmt.Sprintf("%s-%d\n", id, i)
		if err := Update(path, 0o600, func(old []byte, _ bool) ([]byte, error) {
			return append(old, line...), nil
		}); err != nil {
			return err
		}
	}
	return nil
}

// checkAllLines verifies that every writer's every line is there once.
func checkAllLines(t *testing.T, path string, ids []string, count int) {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(readFile(t, path), "\n"), "\n")
	seen := map[string]int{}
	for _, l := range lines {
		seen[l]++
	}
	for _, id := range ids {
		for i := range count {
			if l := fmt.Sprintf("%s-%d", id, i); seen[l] != 1 {
				t.Errorf("line %q appears %d times", l, seen[l])
			}
		}
	}
	if want := len(ids) * count; len(lines) != want {
		t.Errorf("%d lines, want %d: updates were lost or doubled", len(lines), want)
	}
}

func TestUpdateNoLostUpdatesAcrossGoroutines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.toml")
	const writers, count = 16, 20
	var ids []string
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		id := "g" + strconv.Itoa(w)
		ids = append(ids, id)
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- appendLines(path, id, count)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	checkAllLines(t, path, ids, count)
}

func TestUpdateNoLostUpdatesAcrossProcesses(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.toml")
	const procs, goroutines, count = 6, 3, 25
	var ids []string
	var outputs []*bytes.Buffer
	var cmds []interface{ Wait() error }
	for p := range procs {
		id := "p" + strconv.Itoa(p)
		ids = append(ids, id)
		cmd := helperCommand(os.Args[0], "append", path, id, strconv.Itoa(count))
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds, outputs = append(cmds, cmd), append(outputs, &out)
	}
	var wg sync.WaitGroup
	errs := make(chan error, goroutines)
	for g := range goroutines {
		id := "g" + strconv.Itoa(g)
		ids = append(ids, id)
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- appendLines(path, id, count)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Fatalf("helper %d: %v\n%s", i, err, outputs[i])
		}
	}
	checkAllLines(t, path, ids, count)
}

// TestWriteFileSurvivesSIGKILL kills a process that rewrites a large file in
// a loop at random moments: the file must always hold one whole version.
func TestWriteFileSurvivesSIGKILL(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "credentials.toml")
	const lines = 400_000 // 4 MB a version
	if err := WriteFile(path, generation(0, lines), 0o600); err != nil {
		t.Fatal(err)
	}
	// Kill until enough kills have landed mid-write (a temporary file left
	// behind proves it), however loaded the machine is.
	killedMidWrite, iterations, last := 0, 0, 0
	for ; iterations < 300 && (iterations < 30 || killedMidWrite < 3); iterations++ {
		cmd := helperCommand(os.Args[0], "rewrite", path, strconv.Itoa(lines), strconv.Itoa(last+1))
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		if line, _ := bufio.NewReader(stdout).ReadString('\n'); line != "writing\n" {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			t.Fatalf("helper said %q: %s", line, stderr.String())
		}
		time.Sleep(time.Duration(rand.IntN(100)) * time.Millisecond)
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		_ = cmd.Wait()
		if stderr.Len() > 0 {
			t.Fatalf("helper failed: %s", stderr.String())
		}
		data := readFile(t, path)
		gen, ok := wholeGeneration(data, lines)
		if !ok {
			t.Fatalf("iteration %d: file is torn (%d bytes)", iterations, len(data))
		}
		if gen < last {
			t.Fatalf("iteration %d: generation went back from %d to %d", iterations, last, gen)
		}
		last = gen
		switch n := len(temps(t, dir)); {
		case n > 1:
			t.Fatalf("iteration %d: %d temporary files accumulated", iterations, n)
		case n == 1:
			killedMidWrite++
		}
	}
	if killedMidWrite < 3 {
		t.Errorf("only %d of %d kills landed in the middle of a write: the test proved little", killedMidWrite, iterations)
	}
	if err := WriteFile(path, []byte("final"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := temps(t, dir); len(got) != 0 {
		t.Errorf("temporary files left after a clean write: %q", got)
	}
	t.Logf("%d of %d kills interrupted a write; last complete generation %d", killedMidWrite, iterations, last)
}

// wholeGeneration returns the generation a file holds if it holds exactly one.
func wholeGeneration(data string, lines int) (int, bool) {
	if len(data) != 10*lines {
		return 0, false
	}
	first := data[:10]
	if strings.Count(data, first) != lines {
		return 0, false
	}
	gen, err := strconv.Atoi(strings.TrimSpace(first))
	return gen, err == nil
}

func TestLockTimesOutNamingTheLockFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.toml")
	cmd := helperCommand(os.Args[0], "hold", path)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	if line, _ := bufio.NewReader(stdout).ReadString('\n'); line != "locked\n" {
		t.Fatalf("helper said %q", line)
	}
	lockPath, _ := LockPath(path)

	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	unexpected, err := Lock(ctx, path)
	if err == nil {
		_ = unexpected()
	}
	if err == nil || !strings.Contains(err.Error(), lockPath) || !strings.Contains(err.Error(), "timed out") {
		t.Errorf("Lock error = %v, want a time-out naming %s", err, lockPath)
	}
	if waited := time.Since(start); waited > 2*time.Second {
		t.Errorf("Lock waited %v with a 200ms deadline", waited)
	}

	// Without a deadline, LockTimeout bounds the wait.
	defer func(old time.Duration) { LockTimeout = old }(LockTimeout)
	LockTimeout = 150 * time.Millisecond
	if err := Update(path, 0o600, func([]byte, bool) ([]byte, error) { return []byte("x"), nil }); err == nil || !strings.Contains(err.Error(), lockPath) {
		t.Errorf("Update error = %v, want a time-out naming %s", err, lockPath)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("Update wrote without the lock (%v)", err)
	}

	// Once the holder dies, the lock is free.
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	unlock, err := Lock(context.Background(), path)
	if err != nil {
		t.Fatalf("Lock after the holder died: %v", err)
	}
	if err := unlock(); err != nil {
		t.Error(err)
	}
	if err := unlock(); err != nil {
		t.Errorf("second unlock: %v", err)
	}
}

func TestLockHonoursCancellation(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.toml")
	unlock, err := Lock(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = unlock() }()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Lock(ctx, path); err == nil || !strings.Contains(err.Error(), "canceled") {
		t.Errorf("Lock error = %v, want canceled", err)
	}
}
