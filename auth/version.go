package auth

import (
	"fmt"
	"runtime/debug"
	"strings"
)

// BuildInfo describes the binary. Release builds set all three fields through
// ldflags; a `go install` build leaves them empty and they are filled from the
// module and VCS information the Go toolchain embeds.
type BuildInfo struct {
	Version string
	Commit  string
	Date    string
}

// resolved fills the empty fields from the embedded build information.
func (b BuildInfo) resolved() BuildInfo {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return b.withDefaults()
	}
	if b.Version == "" && info.Main.Version != "" && info.Main.Version != "(devel)" {
		b.Version = info.Main.Version
	}
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			if b.Commit == "" {
				b.Commit = s.Value
			}
		case "vcs.time":
			if b.Date == "" {
				b.Date = s.Value
			}
		case "vcs.modified":
			if s.Value == "true" && b.Commit != "" && !strings.HasSuffix(b.Commit, "-dirty") {
				b.Commit += "-dirty"
			}
		}
	}
	return b.withDefaults()
}

func (b BuildInfo) withDefaults() BuildInfo {
	if b.Version == "" {
		b.Version = "devel"
	}
	if b.Commit == "" {
		b.Commit = "unknown"
	}
	if b.Date == "" {
		b.Date = "unknown"
	}
	return b
}

// String is the text `cargo auth --version` prints after the program name.
func (b BuildInfo) String() string {
	r := b.resolved()
	commit := r.Commit
	if len(commit) > 12 && !strings.Contains(commit, "-") {
		commit = commit[:12]
	}
	return fmt.Sprintf("%s (commit %s, built %s)", strings.TrimPrefix(r.Version, "v"), commit, r.Date)
}
