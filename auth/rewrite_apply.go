package auth

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"

	"github.com/cargo-auth/cargo-auth/cargoconfig/tomledit"
	"github.com/cargo-auth/cargo-auth/internal/atomicfile"
)

// How rewrite-config changes a file, whatever the change is:
//
//  1. Take the file's lock, then the state's (always in that order).
//  2. Work out the baseline: the file as it would be without
//     rewrite-config. If the file still has the bytes rewrite-config last
//     wrote, that is the original the state keeps; if someone changed it
//     since, it is the file with rewrite-config's entries undone (the
//     user's changes stay, and become the new original).
//  3. Compute the new bytes from the baseline (fileChange.edit): entries
//     that stay are carried over from the file, the registries of this run
//     are applied afresh. The same inputs give the same bytes, so a second
//     run changes nothing.
//  4. Record the state (original, entries, hash of the new bytes), then
//     write the file atomically; a file that will hold a token is made
//     0600 before the token goes in.

// fileChange is one file's edit.
type fileChange struct {
	// Path is the file as the user names it; it is resolved through
	// symbolic links before anything else.
	Path string
	// Edit computes the new content from the baseline. prior are the
	// entries rewrite-config made before (already undone in the baseline);
	// current is the file as it is now, to carry values over from.
	Edit func(baseline, current []byte, prior []stateEntry) (out []byte, entries []stateEntry, err error)
	// Secrets are the tokens the new content holds on purpose: the file
	// becomes 0600, a tracked file needs --force, and the diff masks them.
	Secrets []string
	// Moved are tokens that were in the file and now live in the store:
	// the state keeps markers instead of them (--migrate).
	Moved []movedToken
	// Force allows a token into a file git tracks.
	Force bool
	// DryRun prints the change instead of making it.
	DryRun bool
}

// fileResult says what happened to one file.
type fileResult struct {
	Path    string `json:"path"`
	Changed bool   `json:"changed"`
	Created bool   `json:"created,omitempty"`
	Removed bool   `json:"removed,omitempty"`
	// Rebased is true when the file had changed since rewrite-config last
	// wrote it (the user's changes were kept).
	Rebased bool `json:"rebased,omitempty"`
	// Diff is the change with tokens masked (--dry-run only).
	Diff string `json:"diff,omitempty"`
	// Warnings are one sentence each, for stderr.
	Warnings []string `json:"-"`
}

// applyFileChange runs the steps at the top of this file for one file.
func applyFileChange(ctx context.Context, env *rewriteEnv, ch fileChange) (fileResult, error) {
	path, err := atomicfile.Resolve(ch.Path)
	if err != nil {
		return fileResult{}, err
	}
	res := fileResult{Path: path}
	st, unlock, err := lockForEdit(ctx, env.statePath, path)
	if err != nil {
		return res, err
	}
	defer unlock()

	current, info, err := readIfExists(path)
	if err != nil {
		return res, err
	}
	existed := info != nil
	prior := st.Files[path]
	base, err := baselineOf(ctx, env, path, current, prior)
	if err != nil {
		return res, err
	}
	baseline, rebased := base.bytes, base.rebased
	res.Rebased = rebased
	out, entries, err := ch.Edit(baseline, current, base.entries)
	if err != nil {
		return res, err
	}
	if bytes.Equal(out, current) {
		return res, nil
	}
	res.Changed, res.Created = true, !existed
	if ch.DryRun {
		res.Diff = maskedDiff(env.display(path), current, out, ch.Secrets)
		return res, nil
	}
	if existed && info.Mode().Perm()&0o200 == 0 {
		return res, withHint(fmt.Errorf("%s is read-only", env.display(path)), "make it writable (chmod u+w), or write elsewhere with --file")
	}
	holdsToken := len(ch.Secrets) > 0 && containsAny(out, ch.Secrets)
	if holdsToken {
		switch gitStatusOf(ctx, path) {
		case gitFileTracked:
			if !ch.Force {
				return res, withHint(fmt.Errorf("refusing to write a token into %s: git tracks it, so the token would be committed", env.display(path)),
					"write to $CARGO_HOME/config.toml (the default) or another untracked file with --file; --force writes it anyway")
			}
			res.Warnings = append(res.Warnings, fmt.Sprintf("%s is tracked by git and now holds a token: do not commit it (--force)", env.display(path)))
		case gitFileUntracked:
			res.Warnings = append(res.Warnings, fmt.Sprintf("%s holds a token and is inside a git work tree without being ignored: add it to .gitignore", env.display(path)))
		}
	}

	// Record what was there before. Tokens that live in the store (moved
	// now, or by an earlier --migrate) are kept as markers only.
	moved := append(append([]movedToken(nil), ch.Moved...), base.moved...)
	rec := prior
	if rec == nil || rebased {
		rec = &fileState{Created: !existed, Mode: modeOf(info), OriginalSHA256: sha256Hex(baseline)}
		rec.Original, rec.Marked = markTokens(baseline, moved, nil)
	} else if len(ch.Moved) > 0 {
		rec.Original, rec.Marked = markTokens(rec.Original, ch.Moved, rec.Marked)
	}
	for i := range entries {
		var original []byte
		original, rec.Marked = markTokens([]byte(entries[i].Original), moved, rec.Marked)
		entries[i].Original = string(original)
	}
	rec.Entries = entries
	rec.Written = sha256Hex(out)
	if bytes.Equal(out, baseline) && !rec.Created {
		delete(st.Files, path) // nothing left to restore
	} else {
		st.Files[path] = rec
	}
	if err := st.save(env.statePath); err != nil {
		return res, err
	}
	if holdsToken && existed && info.Mode().Perm()&0o077 != 0 {
		if err := os.Chmod(path, 0o600); err != nil {
			return res, fmt.Errorf("making %s private before writing a token into it: %w", path, err)
		}
	}
	perm := modeOf(nil)
	if holdsToken {
		perm = 0o600
	}
	if err := atomicfile.WriteFile(path, out, perm); err != nil {
		return res, err
	}
	return res, nil
}

// modeOf is the mode a file had, or the mode a new configuration file
// gets (0644, like cargo's own, unless it holds a token).
func modeOf(info fs.FileInfo) fs.FileMode {
	if info == nil {
		return 0o644
	}
	return info.Mode().Perm()
}

// baseline is the file as it would be without rewrite-config (step 2).
type baseline struct {
	bytes []byte
	// entries are the entries rewrite-config had made, for carrying over.
	entries []stateEntry
	// rebased is true when the file changed since rewrite-config wrote it.
	rebased bool
	// moved are the tokens read back from the store for it.
	moved []movedToken
}

// baselineOf works out the file without rewrite-config's entries.
func baselineOf(ctx context.Context, env *rewriteEnv, path string, current []byte, prior *fileState) (baseline, error) {
	if prior == nil {
		return baseline{bytes: current}, nil
	}
	if sha256Hex(current) == prior.Written {
		original, moved, err := unmarkTokens(ctx, env, prior.Original, prior.Marked)
		if err != nil {
			return baseline{}, err
		}
		if prior.OriginalSHA256 != "" && sha256Hex(original) != prior.OriginalSHA256 {
			return baseline{}, fmt.Errorf("rewrite-config's record of %s does not give back the original bytes (a token in the store changed since?)", env.display(path))
		}
		return baseline{bytes: original, entries: prior.Entries, moved: moved}, nil
	}
	undone, moved, err := undoEntries(ctx, env, path, current, prior)
	if err != nil {
		return baseline{}, fmt.Errorf("%s changed since rewrite-config last wrote it, and its entries cannot be undone: %w", env.display(path), err)
	}
	return baseline{bytes: undone, entries: prior.Entries, rebased: true, moved: moved}, nil
}

// undoEntries removes rewrite-config's entries from a file someone changed
// since: keys it added are deleted, values it replaced are set back, unless
// their value changed since rewrite-config wrote it. The rest of the file,
// the other person's changes included, stays.
func undoEntries(ctx context.Context, env *rewriteEnv, path string, current []byte, prior *fileState) ([]byte, []movedToken, error) {
	if len(prior.Entries) == 0 {
		return current, nil, nil
	}
	doc, err := tomledit.Parse(path, current)
	if err != nil {
		return nil, nil, err
	}
	var moved []movedToken
	done := map[string]bool{}
	for i := len(prior.Entries) - 1; i >= 0; i-- {
		e := prior.Entries[i]
		k := strings.Join(e.Key, "\x00")
		if done[k] {
			continue
		}
		done[k] = true
		if now, ok := doc.Get(e.Key...); ok && e.Written != "" && sha256Hex([]byte(now.Raw())) != e.Written {
			continue // changed by someone else since: theirs now
		}
		if !e.Existed {
			if err := doc.Delete(e.Key...); err != nil && !errors.Is(err, tomledit.ErrNotFound) {
				return nil, nil, err
			}
			continue
		}
		raw, found, err := unmarkTokens(ctx, env, []byte(e.Original), prior.Marked)
		if err != nil {
			return nil, nil, err
		}
		moved = append(moved, found...)
		v, err := parseTOMLValue(string(raw))
		if err != nil {
			return nil, nil, err
		}
		if err := doc.Set(v, e.Key...); err != nil {
			return nil, nil, err
		}
	}
	dropEmptiedTables(doc, prior)
	return doc.Bytes(), moved, nil
}

// dropEmptiedTables deletes the tables rewrite-config's entries created
// ([source.corp], [source.corp-authed]) once undoing them left them empty,
// unless the original file had them.
func dropEmptiedTables(doc *tomledit.Document, prior *fileState) {
	had := map[string]bool{}
	if original, err := tomledit.Parse("original", prior.Original); err == nil {
		for _, t := range original.Tables() {
			had[strings.Join(t, "\x00")] = true
		}
	}
	for _, e := range prior.Entries {
		if e.Existed || len(e.Key) < 2 {
			continue
		}
		table := e.Key[:len(e.Key)-1]
		if had[strings.Join(table, "\x00")] || len(doc.Keys(table...)) > 0 {
			continue
		}
		if slices.ContainsFunc(doc.Tables(), func(t []string) bool { return slices.Equal(t, table) }) {
			_ = doc.Delete(table...)
		}
	}
}

// parseTOMLValue reads one TOML value from its text.
func parseTOMLValue(raw string) (tomledit.Value, error) {
	doc, err := tomledit.Parse("value", []byte("v = "+raw+"\n"))
	if err != nil {
		return tomledit.Value{}, err
	}
	v, _ := doc.Get("v")
	return v, nil
}

// readIfExists reads a file; a missing one is nil content and nil info.
func readIfExists(path string) ([]byte, fs.FileInfo, error) {
	info, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	if !info.Mode().IsRegular() {
		return nil, nil, fmt.Errorf("%s is not a regular file", path)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	return data, info, nil
}

func containsAny(data []byte, secrets []string) bool {
	for _, s := range secrets {
		if s != "" && containsSecret(string(data), s) {
			return true
		}
	}
	return false
}

// tomlEditor records the entries of one file's edit: each key it sets,
// whether the baseline had it, and the baseline's value.
type tomlEditor struct {
	doc, base *tomledit.Document
	entries   []stateEntry
}

func newTOMLEditor(path string, baseline []byte) (*tomlEditor, error) {
	doc, err := tomledit.Parse(path, baseline)
	if err != nil {
		return nil, err
	}
	base, _ := tomledit.Parse(path, baseline)
	return &tomlEditor{doc: doc, base: base}, nil
}

// set writes value at key for registry and records the entry.
func (e *tomlEditor) set(registry string, value tomledit.Value, secret bool, key ...string) error {
	entry := stateEntry{Registry: registry, Key: key, Secret: secret}
	if old, ok := e.base.Get(key...); ok {
		entry.Existed, entry.Original = true, old.Raw()
	}
	if err := e.doc.Set(value, key...); err != nil {
		return err
	}
	if now, ok := e.doc.Get(key...); ok {
		entry.Written = sha256Hex([]byte(now.Raw()))
	}
	for i, old := range e.entries {
		if old.Registry == registry && strings.Join(old.Key, "\x00") == strings.Join(key, "\x00") {
			e.entries[i] = entry
			return nil
		}
	}
	e.entries = append(e.entries, entry)
	return nil
}

// carryOver puts back the entries of registries this run does not touch
// (and every --migrate fix), with the values the file has now, so that a
// run for one registry keeps what an earlier run did for another.
func (e *tomlEditor) carryOver(current []byte, prior []stateEntry, skip map[string]bool) error {
	if len(prior) == 0 {
		return nil
	}
	now, err := tomledit.Parse(e.doc.Path(), current)
	if err != nil {
		return err
	}
	for _, p := range prior {
		if skip[p.Registry] && !p.Migrated {
			continue
		}
		v, ok := now.Get(p.Key...)
		if !ok {
			continue // removed by hand since: stays removed
		}
		if err := e.set(p.Registry, v, p.Secret, p.Key...); err != nil {
			return err
		}
		e.markMigrated(p.Registry, p.Key, p.Migrated)
	}
	return nil
}

// markMigrated sets the Migrated flag of the entry for registry and key.
func (e *tomlEditor) markMigrated(registry string, key []string, migrated bool) {
	for i, old := range e.entries {
		if old.Registry == registry && strings.Join(old.Key, "\x00") == strings.Join(key, "\x00") {
			e.entries[i].Migrated = migrated
		}
	}
}
