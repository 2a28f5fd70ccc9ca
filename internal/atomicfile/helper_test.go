//go:build unix

package atomicfile

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"
)

const helperEnv = "ATOMICFILE_TEST_HELPER"

// heldLock keeps the helper's lock alive while it sleeps.
var heldLock func() error

// helperCommand runs the test binary bin as a helper doing mode with args.
func helperCommand(bin, mode string, args ...string) *exec.Cmd {
	cmd := exec.Command(bin, "-test.run=^TestHelperProcess$")
	cmd.Env = append(os.Environ(), helperEnv+"="+mode)
	for i, a := range args {
		cmd.Env = append(cmd.Env, fmt.Sprintf("ATOMICFILE_ARG%d=%s", i, a))
	}
	return cmd
}

func asNobody(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
}

// TestHelperProcess is not a test: the other tests run the test binary as a
// separate process that enters here. Run directly, it returns at once.
func TestHelperProcess(t *testing.T) {
	mode := os.Getenv(helperEnv)
	arg := func(i int) string { return os.Getenv(fmt.Sprintf("ATOMICFILE_ARG%d", i)) }
	switch mode {
	case "":
		return
	case "write":
		if err := WriteFile(arg(0), []byte("new"), 0o600); err != nil {
			fmt.Println(err)
		}
	case "append":
		count, _ := strconv.Atoi(arg(2))
		for i := range count {
			line := fmt.Sprintf("%s-%d\n", arg(1), i)
			if err := Update(arg(0), 0o600, func(old []byte, _ bool) ([]byte, error) {
				return append(old, line...), nil
			}); err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
		}
	case "rewrite":
		// Rewrite a large file forever, each version one generation number
		// repeated, until killed.
		size, _ := strconv.Atoi(arg(1))
		start, _ := strconv.Atoi(arg(2))
		fmt.Println("writing")
		for gen := start; ; gen++ {
			if err := WriteFile(arg(0), generation(gen, size), 0o600); err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
		}
	case "hold":
		// Hold the lock until killed.
		unlock, err := Lock(context.Background(), arg(0))
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		// Keep the lock reachable: a collected lock closes its descriptor.
		heldLock = unlock
		fmt.Println("locked")
		for { // not select {}: with no timer pending, the runtime would call it a deadlock and exit
			time.Sleep(time.Hour)
		}
	default:
		fmt.Fprintln(os.Stderr, "unknown helper mode", mode)
		os.Exit(2)
	}
	os.Exit(0)
}

// generation returns the content of version gen of a file of lines lines.
func generation(gen, lines int) []byte {
	return bytes.Repeat([]byte(fmt.Sprintf("%09d\n", gen)), lines)
}
