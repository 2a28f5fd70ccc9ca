package auth

// Undoing login's edit of cargo's configuration exactly. login adds
// cargo-auth, and cargo:token when it is missing, to
// registry.global-credential-providers (creating the key, the [registry]
// table or the file itself when they are missing) and, with
// --replace-provider, deletes a registry's own credential-provider.
// logout --unconfigure, once no other registry needs cargo-auth, gives the
// file back as it was before login's first edit, byte for byte, when
// nothing else changed it since.
//
// For that cargo-auth keeps, per edited file, a record in its own
// configuration directory (configure-state.json next to the file keyring and
// rewrite-config's state, 0600), never in the user's file:
//
//   - the SHA-256 of the file before login's first edit and after its last
//     one, and the splices that turn the one back into the other: the spans
//     login changed with the bytes they held (provider entries, and the
//     lines --replace-provider removed);
//   - the list before login's first edit (or that there was none, and
//     whether the [registry] table was there), whether login added
//     cargo:token, and the list login last wrote.
//
// logout --unconfigure then:
//
//   - the file exactly as login left it: the splices give the original back
//     (a file login created is removed);
//   - the file edited since, but not the list: the list is set back to what
//     it was (or removed, with the [registry] table login added when that is
//     left empty);
//   - the list edited since: only cargo-auth is removed, every other entry
//     (cargo:token included) stays, and logout says so;
//   - no record (configured by hand or by an older cargo-auth): only
//     cargo-auth is removed.
//
// In every case no cargo-auth entry is left in the list afterwards. Nothing
// that looks like a token is recorded: splices that would hold one are
// dropped (no exact undo), and a list that holds one gets no record at all.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/cargo-auth/cargo-auth/cargoconfig/tomledit"
	"github.com/cargo-auth/cargo-auth/credentials"
	"github.com/cargo-auth/cargo-auth/internal/atomicfile"
	"github.com/cargo-auth/cargo-auth/internal/redact"
)

// configureStateVersion is the version of the record's format.
const configureStateVersion = 1

// configureState is login's record of its edits, keyed by the edited file's
// resolved absolute path.
type configureState struct {
	Version int                         `json:"version"`
	Files   map[string]*configureRecord `json:"files"`
}

// configureRecord is what login changed in one file.
type configureRecord struct {
	// Created is true when the file did not exist before login's first
	// edit: the exact undo removes it.
	Created bool `json:"created,omitempty"`
	// Original is the SHA-256 of the file before login's first edit; ""
	// when the file was edited by someone else in between two edits of
	// login, and no exact undo is possible.
	Original string `json:"original_sha256,omitempty"`
	// Written is the SHA-256 of the file as login last wrote it.
	Written string `json:"written_sha256"`
	// Undo turns the bytes Written describes back into those Original
	// describes.
	Undo []undoSplice `json:"undo,omitempty"`
	// HadList says whether registry.global-credential-providers was in the
	// file before login's first edit, and Before holds it.
	HadList bool     `json:"had_list,omitempty"`
	Before  []string `json:"before,omitempty"`
	// HadTable says whether the [registry] table was in the file.
	HadTable bool `json:"had_table,omitempty"`
	// AddedToken is true when login added cargo:token to the list.
	AddedToken bool `json:"added_token,omitempty"`
	// After is the list as login last wrote it.
	After []string `json:"after"`
}

// undoSplice replaces the bytes [Start, End) of the file as login wrote it
// with Text. The splices of a record are sorted and do not overlap.
type undoSplice struct {
	Start int    `json:"start"`
	End   int    `json:"end"`
	Text  string `json:"text"`
}

// configureStatePath is the record's file, next to rewrite-config's state.
func configureStatePath(f *Factory) (string, error) {
	dir, err := credentials.DefaultFileDir(f.Getenv)
	if err != nil {
		return "", err
	}
	return filepath.Join(filepath.Dir(dir), "configure-state.json"), nil
}

// loadConfigureState reads the record; a missing file is an empty record.
func loadConfigureState(path string) (*configureState, error) {
	st := &configureState{Version: configureStateVersion, Files: map[string]*configureRecord{}}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the record of login's edits: %w", err)
	}
	if err := json.Unmarshal(data, st); err != nil {
		return nil, fmt.Errorf("reading the record of login's edits %s: %v (move it away: logout --unconfigure then removes only cargo-auth)", path, err)
	}
	if st.Version != configureStateVersion {
		return nil, fmt.Errorf("the record of login's edits %s has version %d, this cargo-auth reads %d", path, st.Version, configureStateVersion)
	}
	if st.Files == nil {
		st.Files = map[string]*configureRecord{}
	}
	return st, nil
}

// save writes the record atomically, 0600; an empty one removes the file.
func (st *configureState) save(path string) error {
	if len(st.Files) == 0 {
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("removing the record of login's edits: %w", err)
		}
		return nil
	}
	data, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	if err := atomicfile.WriteFile(path, append(data, '\n'), 0o600); err != nil {
		return fmt.Errorf("saving the record of login's edits: %w", err)
	}
	return nil
}

// withConfigureState runs fn with the record under its lock and saves what
// fn leaves. Callers hold the edited file's lock first, as rewrite-config
// does with its own state, so two processes never wait on each other.
func withConfigureState(f *Factory, fn func(st *configureState) error) error {
	path, err := configureStatePath(f)
	if err != nil {
		return err
	}
	unlock, err := atomicfile.Lock(context.Background(), path)
	if err != nil {
		return fmt.Errorf("another cargo-auth is editing the record of login's edits: %w", err)
	}
	defer unlock()
	st, err := loadConfigureState(path)
	if err != nil {
		return err
	}
	if err := fn(st); err != nil {
		return err
	}
	return st.save(path)
}

// listEdit is what configureProvider did to the provider list of a file.
type listEdit struct {
	hadList, hadTable bool
	before, after     []string
}

// noteEdit records an edit of the file at key: old (existed says whether
// there was a file) became next through edits. An edit of a file that is
// as login last left it extends the exact undo; an edit of a file changed
// since keeps the list's record while the list is as login wrote it, and
// otherwise starts a new record: what the user changed is the new original.
func (st *configureState) noteEdit(key string, old []byte, existed bool, next []byte, edits []tomledit.Edit, list listEdit) {
	rec := st.Files[key]
	switch {
	case rec != nil && sha256Hex(old) == rec.Written:
		orig, ok := applyUndo(old, rec.Undo)
		if rec.Original == "" || !ok || sha256Hex(orig) != rec.Original {
			rec.Original, rec.Undo = "", nil
			break
		}
		rec.Undo = composeUndo(orig, rec.Undo, edits)
	case rec != nil && list.hadList && slices.Equal(list.before, rec.After):
		rec.Original, rec.Undo = "", nil
	default:
		rec = &configureRecord{
			Created:    !existed,
			Original:   sha256Hex(old),
			Undo:       composeUndo(old, nil, edits),
			HadList:    list.hadList,
			Before:     list.before,
			HadTable:   list.hadTable,
			AddedToken: !slices.Contains(list.before, "cargo:token"),
		}
	}
	rec.After, rec.Written = list.after, sha256Hex(next)
	if rec.Original != "" {
		back, ok := applyUndo(next, rec.Undo)
		if !ok || sha256Hex(back) != rec.Original || holdsSecret(undoTexts(rec.Undo)...) {
			rec.Original, rec.Undo = "", nil
		}
	}
	if holdsSecret(rec.Before...) || holdsSecret(rec.After...) {
		delete(st.Files, key) // logout then removes only cargo-auth
		return
	}
	st.Files[key] = rec
}

// undoTexts are the bytes the splices write back.
func undoTexts(splices []undoSplice) []string {
	var out []string
	for _, s := range splices {
		out = append(out, s.Text)
	}
	return out
}

// applyUndo applies splices to cur; ok is false when they do not fit it.
func applyUndo(cur []byte, splices []undoSplice) ([]byte, bool) {
	end := 0
	for _, s := range splices {
		if s.Start < end || s.End < s.Start || s.End > len(cur) {
			return nil, false
		}
		end = s.End
	}
	out := slices.Clone(cur)
	for i := len(splices) - 1; i >= 0; i-- {
		s := splices[i]
		out = slices.Concat(out[:s.Start], []byte(s.Text), out[s.End:])
	}
	return out, true
}

// composeUndo returns the splices that turn next back into orig, where
// edits turned cur into next (offsets of cur and next) and prev turns cur
// into orig. The spans of prev and edits are merged where they touch;
// outside them cur, next and orig hold the same bytes.
func composeUndo(orig []byte, prev []undoSplice, edits []tomledit.Edit) []undoSplice {
	type span struct{ start, end, delta int } // in cur; delta: growth in next
	var spans []span
	for _, u := range prev {
		spans = append(spans, span{u.Start, u.End, 0})
	}
	for _, e := range edits {
		spans = append(spans, span{e.Start, e.End, (e.NewEnd - e.NewStart) - (e.End - e.Start)})
	}
	slices.SortFunc(spans, func(a, b span) int { return a.start - b.start })
	var merged []span
	for _, s := range spans {
		if n := len(merged); n > 0 && s.start <= merged[n-1].end {
			merged[n-1].end = max(merged[n-1].end, s.end)
			merged[n-1].delta += s.delta
			continue
		}
		merged = append(merged, s)
	}
	// origAt maps an offset of cur that starts (or, inclusive, ends) a
	// merged span to orig: every splice of prev lies before it, or inside.
	origAt := func(p int, inclusive bool) int {
		q := p
		for _, u := range prev {
			if u.End < p || inclusive && u.End == p {
				q += len(u.Text) - (u.End - u.Start)
			}
		}
		return q
	}
	var out []undoSplice
	shift := 0 // growth of next before the current span
	for _, m := range merged {
		from, to := origAt(m.start, false), origAt(m.end, true)
		out = append(out, undoSplice{Start: m.start + shift, End: m.end + shift + m.delta, Text: string(orig[from:to])})
		shift += m.delta
	}
	return out
}

// holdsSecret reports whether any of texts holds something that looks like
// a credential, or a secret cargo-auth knows: the record keeps no such text.
func holdsSecret(texts ...string) bool {
	for _, text := range texts {
		if redact.Known(text) != text {
			return true
		}
		for _, word := range strings.FieldsFunc(text, func(r rune) bool { return strings.ContainsRune(" \t\r\n\"'[],={}#", r) }) {
			if redact.LooksLikeToken(word) {
				return true
			}
		}
	}
	return false
}
