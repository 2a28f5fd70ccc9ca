package auth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/cargo-auth/cargo-auth/credentials"
	"github.com/cargo-auth/cargo-auth/internal/atomicfile"
)

// rewriteStateVersion is the version of the state file's format.
const rewriteStateVersion = 1

// rewriteState is what rewrite-config remembers of every file it edited, so
// that --restore gives each file back byte for byte and --check knows which
// tokens it put somewhere on purpose. It lives in one 0600 file in
// cargo-auth's configuration directory (never next to the edited file, so a
// project directory gets no new file), keyed by the edited file's absolute
// path. It holds no token rewrite-config moved into the store: those are
// replaced by markers and read back from the store on restore.
type rewriteState struct {
	Version int                   `json:"version"`
	Files   map[string]*fileState `json:"files"`
}

// fileState is one edited file.
type fileState struct {
	// Created is true when the file did not exist before the first edit:
	// restoring it removes it.
	Created bool `json:"created,omitempty"`
	// Original is the file before the first edit, with marked tokens.
	Original []byte `json:"original,omitempty"`
	// OriginalSHA256 checks that restoring the markers gave the original
	// back exactly.
	OriginalSHA256 string `json:"original_sha256,omitempty"`
	// Mode is the file's permission bits before the first edit.
	Mode fs.FileMode `json:"mode,omitempty"`
	// Marked are the tokens replaced by markers in Original and in the
	// entries' original values.
	Marked []markedToken `json:"marked,omitempty"`
	// Written is the SHA-256 of the bytes rewrite-config last wrote: a
	// file that still has them was not touched since.
	Written string `json:"written"`
	// Entries are the keys rewrite-config set, oldest first.
	Entries []stateEntry `json:"entries,omitempty"`
}

// stateEntry is one key rewrite-config set in a file.
type stateEntry struct {
	// Registry is the registry the entry is for.
	Registry string `json:"registry"`
	// Key is the dotted key path.
	Key []string `json:"key"`
	// Existed says whether the key was in the file before; Original is then
	// its value's TOML text (tokens marked), set back by an undo.
	Existed  bool   `json:"existed,omitempty"`
	Original string `json:"original,omitempty"`
	// Written is the SHA-256 of the value's TOML text as rewrite-config
	// wrote it: undoing leaves a value someone changed since alone.
	Written string `json:"written,omitempty"`
	// Secret is true when the value written holds a token.
	Secret bool `json:"secret,omitempty"`
	// Migrated marks a clean URL that --migrate put in place of a
	// token-bearing one: it stays when the registry is rewritten again.
	Migrated bool `json:"migrated,omitempty"`
}

// markedToken is a token that was in an original file and now lives in the
// store: the marker stands for it, encoded as it was written.
type markedToken struct {
	// Marker is the text that replaced the token.
	Marker string `json:"marker"`
	// IndexURL is the store key the token is kept under.
	IndexURL string `json:"index_url"`
	// Encoding is how the token was spelled: "raw", "path" (a path
	// segment) or "query" (a query value), see encodeMarked.
	Encoding string `json:"encoding"`
}

// rewriteStatePath is the state file: next to the file keyring, in the
// user's configuration directory ($XDG_CONFIG_HOME/cargo-auth on Linux).
func rewriteStatePath(f *Factory) (string, error) {
	dir, err := credentials.DefaultFileDir(f.Getenv)
	if err != nil {
		return "", err
	}
	return filepath.Join(filepath.Dir(dir), "rewrite-state.json"), nil
}

// loadRewriteState reads the state file; a missing one is an empty state.
func loadRewriteState(path string) (*rewriteState, error) {
	st := &rewriteState{Version: rewriteStateVersion, Files: map[string]*fileState{}}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading rewrite-config's state: %w", err)
	}
	if err := json.Unmarshal(data, st); err != nil {
		return nil, fmt.Errorf("reading rewrite-config's state %s: %v (move it away to start over; --restore then cannot undo earlier runs)", path, err)
	}
	if st.Version != rewriteStateVersion {
		return nil, fmt.Errorf("rewrite-config's state %s has version %d, this cargo-auth reads %d", path, st.Version, rewriteStateVersion)
	}
	if st.Files == nil {
		st.Files = map[string]*fileState{}
	}
	return st, nil
}

// save writes the state atomically, 0600; an empty state removes the file.
func (st *rewriteState) save(path string) error {
	if len(st.Files) == 0 {
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("removing rewrite-config's state: %w", err)
		}
		return nil
	}
	data, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	if err := atomicfile.WriteFile(path, append(data, '\n'), 0o600); err != nil {
		return fmt.Errorf("saving rewrite-config's state: %w", err)
	}
	return nil
}

// lockRewriteState takes the state file's lock. Callers take the locks of
// the files they edit first, then this one, so two runs never deadlock.
func lockRewriteState(ctx context.Context, path string) (func() error, error) {
	unlock, err := atomicfile.Lock(ctx, path)
	if err != nil {
		return nil, fmt.Errorf("another cargo-auth is editing configuration: %w", err)
	}
	return unlock, nil
}

// lockForEdit takes the edited file's lock, then the state's, and reads
// the state: the start of every read-modify-write of a recorded file.
// unlock releases both.
func lockForEdit(ctx context.Context, statePath, path string) (st *rewriteState, unlock func(), err error) {
	unlockFile, err := atomicfile.Lock(ctx, path)
	if err != nil {
		return nil, nil, fmt.Errorf("another cargo-auth is editing %s: %w", path, err)
	}
	unlockState, err := lockRewriteState(ctx, statePath)
	if err != nil {
		unlockFile()
		return nil, nil, err
	}
	unlock = func() { unlockState(); unlockFile() }
	if st, err = loadRewriteState(statePath); err != nil {
		unlock()
		return nil, nil, err
	}
	return st, unlock, nil
}

func sha256Hex(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// managedKeys are the dotted keys holding tokens that rewrite-config
// manages in a file.
func (s *fileState) managedKeys() map[string]bool {
	out := map[string]bool{}
	if s == nil {
		return out
	}
	for _, e := range s.Entries {
		if e.Secret {
			out[strings.Join(e.Key, ".")] = true
		}
	}
	return out
}

// markManaged sets Managed on findings that rewrite-config put in place on
// purpose (per its state file). A state that cannot be read marks
// nothing: every finding then counts.
func markManaged(f *Factory, leaks []urlLeak) {
	if len(leaks) == 0 {
		return
	}
	path, err := rewriteStatePath(f)
	if err != nil {
		return
	}
	st, err := loadRewriteState(path)
	if err != nil {
		return
	}
	for i := range leaks {
		l := &leaks[i]
		if l.Path == "" || l.Key == "" {
			continue
		}
		resolved, err := atomicfile.Resolve(l.Path)
		if err != nil {
			continue
		}
		l.Managed = st.Files[resolved].managedKeys()[l.Key]
	}
}
