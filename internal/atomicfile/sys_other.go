//go:build !unix

package atomicfile

import "os"

// processRuns reports whether a process with this id exists.
func processRuns(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	_ = p.Release()
	return true
}

// syncDir does nothing: directories cannot be synced on this platform, and
// the rename is as durable as the platform makes it.
func syncDir(string) error { return nil }
