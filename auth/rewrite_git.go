package auth

import (
	"context"
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
