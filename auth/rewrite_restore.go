package auth

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"sort"

	"github.com/cargo-auth/cargo-auth/internal/atomicfile"
)

// restoreResult is the JSON document of --restore.
type restoreResult struct {
	Files  []restoredFile `json:"files"`
	DryRun bool           `json:"dry_run,omitempty"`
}

// restoredFile is one file --restore gave back.
type restoredFile struct {
	Path string `json:"path"`
	// Action is "restored" (byte for byte), "removed" (rewrite-config
	// created it), "undone" (changed since: rewrite-config's entries were
	// undone and the other changes kept) or "unchanged".
	Action string `json:"action"`
	Diff   string `json:"diff,omitempty"`
}

// rewriteRestore is --restore. Without registry names it gives every file
// rewrite-config edited (or the --file one) back byte for byte, with its
// mode, and removes the files it created. A file changed since
// rewrite-config last wrote it is left alone unless --force, which undoes
// rewrite-config's entries and keeps the other changes. With registry
// names, only those registries' entries are undone.
func rewriteRestore(ctx context.Context, env *rewriteEnv) error {
	st, err := loadRewriteState(env.statePath)
	if err != nil {
		return err
	}
	var paths []string
	if env.opts.File != "" {
		path, err := atomicfile.Resolve(env.targetFile())
		if err != nil {
			return err
		}
		if st.Files[path] != nil {
			paths = append(paths, path)
		}
	} else {
		for p := range st.Files {
			paths = append(paths, p)
		}
		sort.Strings(paths)
	}
	out := restoreResult{DryRun: env.opts.DryRun}
	for _, path := range paths {
		var r restoredFile
		var err error
		if len(env.opts.Registries) > 0 {
			r, err = restoreRegistries(ctx, env, path)
		} else {
			r, err = restoreFile(ctx, env, path)
		}
		if err != nil {
			return err
		}
		out.Files = append(out.Files, r)
	}
	if env.opts.JSON {
		if out.Files == nil {
			out.Files = []restoredFile{}
		}
		return env.writeJSON(out)
	}
	if len(out.Files) == 0 {
		env.ui.Printf("nothing to restore: rewrite-config has not edited any file\n")
		return nil
	}
	for _, r := range out.Files {
		env.ui.Printf("%s", r.Diff)
		verb := map[string]string{
			"restored":  "restored %s byte for byte",
			"removed":   "removed %s (rewrite-config created it)",
			"undone":    "undid rewrite-config's entries in %s, keeping the changes made since",
			"unchanged": "%s has nothing of rewrite-config's left",
		}[r.Action]
		if out.DryRun {
			verb = "dry run: would have " + verb
		}
		env.ui.Printf(verb+"\n", env.display(r.Path))
	}
	return nil
}

// restoreFile gives one file back as it was before rewrite-config's first
// edit.
func restoreFile(ctx context.Context, env *rewriteEnv, path string) (restoredFile, error) {
	r := restoredFile{Path: path}
	st, unlock, err := lockForEdit(ctx, env.statePath, path)
	if err != nil {
		return r, err
	}
	defer unlock()
	rec := st.Files[path]
	if rec == nil {
		r.Action = "unchanged"
		return r, nil
	}
	current, info, err := readIfExists(path)
	if err != nil {
		return r, err
	}
	var want []byte
	switch {
	case info != nil && sha256Hex(current) == rec.Written, info == nil && rec.Created:
		want, _, err = unmarkTokens(ctx, env, rec.Original, rec.Marked)
		if err != nil {
			return r, err
		}
		if sha256Hex(want) != rec.OriginalSHA256 {
			return r, fmt.Errorf("the record of %s does not give back the original bytes (the token --migrate moved into the store has changed since); nothing was restored", path)
		}
		r.Action = "restored"
		if rec.Created {
			r.Action = "removed"
		}
	case info != nil && sha256Hex(current) == rec.OriginalSHA256:
		want, r.Action = current, "unchanged"
	case info == nil:
		return r, fmt.Errorf("%s was removed since rewrite-config wrote it; nothing to restore (remove the record with --force)", path)
	case !env.opts.Force:
		return r, withHint(fmt.Errorf("%s changed since rewrite-config last wrote it: restoring the original would lose those changes", env.display(path)),
			"--restore --force undoes only rewrite-config's entries and keeps the other changes",
			"--restore --dry-run --force shows what that would do")
	default:
		want, _, err = undoEntries(ctx, env, path, current, rec)
		if err != nil {
			return r, err
		}
		r.Action = "undone"
	}
	if env.opts.DryRun {
		if r.Action == "removed" {
			want = nil
		}
		if !bytes.Equal(want, current) {
			r.Diff = maskedDiff(env.display(path), current, want, nil)
		}
		return r, nil
	}
	switch {
	case r.Action == "removed" && info != nil:
		if err := os.Remove(path); err != nil {
			return r, fmt.Errorf("removing %s: %w", path, err)
		}
	case r.Action == "restored" || r.Action == "undone":
		if info.Mode().Perm()&0o200 == 0 {
			return r, withHint(fmt.Errorf("%s is read-only", path), "make it writable (chmod u+w) and run --restore again")
		}
		if err := atomicfile.WriteFile(path, want, rec.Mode); err != nil {
			return r, err
		}
		if r.Action == "restored" && rec.Mode != 0 {
			if err := os.Chmod(path, rec.Mode); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return r, fmt.Errorf("giving %s its mode back: %w", path, err)
			}
		}
	}
	delete(st.Files, path)
	return r, st.save(env.statePath)
}

// restoreRegistries undoes the named registries' entries in one file and
// keeps the others (and every --migrate fix of other registries).
func restoreRegistries(ctx context.Context, env *rewriteEnv, path string) (restoredFile, error) {
	skip := map[string]bool{}
	for _, n := range env.opts.Registries {
		skip[n] = true
	}
	st, err := loadRewriteState(env.statePath)
	if err != nil {
		return restoredFile{}, err
	}
	rec := st.Files[path]
	switch {
	case rec == nil || !slices.ContainsFunc(rec.Entries, func(e stateEntry) bool { return skip[e.Registry] }):
		// Nothing of these registries here; a file edited whole (Cargo.lock)
		// comes back only with a --restore of everything.
		return restoredFile{Path: path, Action: "unchanged"}, nil
	case !slices.ContainsFunc(rec.Entries, func(e stateEntry) bool { return !skip[e.Registry] }):
		return restoreFile(ctx, env, path) // nothing of other registries: the whole file goes back
	}
	res, err := applyFileChange(ctx, env, fileChange{
		Path:   path,
		DryRun: env.opts.DryRun,
		Edit: func(baseline, current []byte, prior []stateEntry) ([]byte, []stateEntry, error) {
			ed, err := newTOMLEditor(path, baseline)
			if err != nil {
				return nil, nil, err
			}
			var keep []stateEntry
			for _, e := range prior {
				if !skip[e.Registry] {
					keep = append(keep, e)
				}
			}
			if err := ed.carryOver(current, keep, nil); err != nil {
				return nil, nil, err
			}
			return ed.doc.Bytes(), ed.entries, nil
		},
	})
	r := restoredFile{Path: path, Action: "unchanged", Diff: res.Diff}
	if res.Changed {
		r.Action = "undone"
	}
	return r, err
}
