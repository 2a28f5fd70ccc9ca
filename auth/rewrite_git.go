package auth

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// gitTracked reports whether git tracks path (it is in the index of the
// repository around it). Without git, or outside a repository, it is
// false: nothing is committed there.
func gitTracked(ctx context.Context, path string) bool {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "git", "-C", filepath.Dir(path), "ls-files", "--error-unmatch", "--", filepath.Base(path))
	cmd.Env = append(cmd.Environ(), "GIT_OPTIONAL_LOCKS=0")
	return cmd.Run() == nil
}

// gitFileStatus is what git makes of a file.
type gitFileStatus int

const (
	// gitFileOutside: no git work tree around it, or git is missing.
	gitFileOutside gitFileStatus = iota
	// gitFileIgnored: inside a work tree, ignored.
	gitFileIgnored
	// gitFileUntracked: inside a work tree, neither tracked nor ignored
	// (git add -A would pick it up).
	gitFileUntracked
	// gitFileTracked: in the index.
	gitFileTracked
)

// gitStatusOf asks git about path, which need not exist yet.
func gitStatusOf(ctx context.Context, path string) gitFileStatus {
	if gitTracked(ctx, path) {
		return gitFileTracked
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	dir := filepath.Dir(path)
	for {
		if _, err := os.Stat(dir); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return gitFileOutside
		}
		dir = parent
	}
	rel, err := filepath.Rel(dir, path)
	if err != nil {
		return gitFileOutside
	}
	cmd := exec.CommandContext(ctx, "git", "-C", dir, "check-ignore", "-q", "--no-index", "--", rel)
	cmd.Env = append(cmd.Environ(), "GIT_OPTIONAL_LOCKS=0")
	err = cmd.Run()
	var exitErr *exec.ExitError
	switch {
	case err == nil:
		return gitFileIgnored
	case errors.As(err, &exitErr) && exitErr.ExitCode() == 1:
		return gitFileUntracked
	}
	return gitFileOutside
}

// markTracked sets Tracked on every finding in a file git tracks, asking
// git once per file and only for files with findings, so a clean scan
// runs no process at all.
func markTracked(ctx context.Context, leaks []urlLeak) {
	tracked := map[string]bool{}
	for i := range leaks {
		p := leaks[i].Path
		if p == "" {
			continue
		}
		t, seen := tracked[p]
		if !seen {
			t = gitTracked(ctx, p)
			tracked[p] = t
		}
		leaks[i].Tracked = t
	}
}
