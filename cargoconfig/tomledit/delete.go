package tomledit

import (
	"errors"
	"fmt"
	"slices"
)

// Delete removes the key at the dotted path key, or the whole table there.
//
// A key-value goes with its whole line, end-of-line comment included. A
// table goes with every line that defines something inside it: its [header]
// and the comment lines directly above it, its key-values and the comments
// among them, its sub-tables, and dotted keys elsewhere that reach into it;
// one blank line that separated it from its neighbours goes too. Comments
// above the next header stay with that header.
//
// Deleting a key that Set added (with the table Set added for it) gives back
// the file byte for byte, except in a file that begins with blank lines.
//
// Tables that were in the file stay, even when Delete empties them: their
// header may carry meaning or comments. Only when Delete removes the last key
// of a table whose [header] Set wrote through this Document does the header go
// too.
//
// Delete returns an error wrapping ErrNotFound for a key that does not exist,
// and refuses (*RefusedError) keys inside inline tables and arrays of tables.
func (d *Document) Delete(key ...string) error {
	keyText := formatKey(key)
	if err := checkKey(key); err != nil {
		return fmt.Errorf("%s: delete %s: %w", d.path, keyText, err)
	}
	if err := d.refuseSpecial("delete", key); err != nil {
		return err
	}
	n, depth := d.lookup(key)
	if depth != len(key) {
		return fmt.Errorf("%s: delete %s: %w", d.path, keyText, ErrNotFound)
	}
	switch n.kind {
	case nodeValue, nodeInline:
		if n.kv == nil {
			return &RefusedError{Path: d.path, Line: n.line, Op: "delete", Key: keyText,
				Reason: "it is inside an inline table", Hint: "edit the inline table by hand"}
		}
		section := n.kv.section
		if err := d.apply("delete", key, d.finishRegions([]replace{d.kvRegion(n.kv)}), checkGone(key)); err != nil {
			return err
		}
		return d.dropCreatedTable(section.table.path)
	case nodeHeader, nodeImplicit, nodeDotted:
		return d.apply("delete", key, d.tableRegions(n.path), checkGone(key))
	}
	return &RefusedError{Path: d.path, Line: n.line, Op: "delete", Key: keyText,
		Reason: "it cannot be deleted automatically", Hint: "edit the file by hand"}
}

// checkGone verifies after the edit that key no longer exists.
func checkGone(key []string) func(*Document) error {
	return func(d *Document) error {
		if _, depth := d.lookup(key); depth == len(key) {
			return errors.New("the key is still there")
		}
		return nil
	}
}

// dropCreatedTable removes the [header] of the table at path when Set wrote
// it and no key-value is left in its section. Tables defined elsewhere inside
// it (its own [path.sub] headers) stay.
func (d *Document) dropCreatedTable(path []string) error {
	if len(path) == 0 || !d.created[formatKey(path)] {
		return nil
	}
	n, depth := d.lookup(path)
	if depth != len(path) || n.kind != nodeHeader || n.section == nil || len(n.section.kvs) > 0 {
		return nil
	}
	if err := d.apply("delete", path, d.finishRegions([]replace{d.sectionRegion(n.section)}), nil); err != nil {
		return err
	}
	delete(d.created, formatKey(path))
	return nil
}

// kvRegion returns the lines of a key-value, with the blank line after it
// when it stands alone between blank lines (or at the top of the file).
func (st *state) kvRegion(e *expr) replace {
	start, end := e.lineStart, e.lineEnd
	alone := start == st.bomLen || isBlank(st.src, max(lineStartOf(st.src, start-1), st.bomLen), start)
	if next := lineEndOf(st.src, end); alone && end < len(st.src) && isBlank(st.src, end, next) {
		end = next
	}
	return replace{start, end, ""}
}

// sectionRegion returns the lines of a section with its comments and the
// blank line after it (or, at the end of the file, the blank lines before
// it).
func (st *state) sectionRegion(s *section) replace {
	src := st.src
	start, end := st.blockStart(s.header), st.bodyEnd(s)
	if next := lineEndOf(src, end); end < len(src) && isBlank(src, end, next) {
		end = next
	} else if end == len(src) {
		for start > st.bomLen {
			prev := max(lineStartOf(src, start-1), st.bomLen)
			if !isBlank(src, prev, start) {
				break
			}
			start = prev
		}
	}
	return replace{start, end, ""}
}

// tableRegions returns the merged regions that define the table at path.
func (st *state) tableRegions(path []string) []replace {
	var rs []replace
	for _, s := range st.sections[1:] {
		if hasPrefix(s.header.path, path) {
			rs = append(rs, st.sectionRegion(s))
		}
	}
	for _, e := range st.exprs {
		if e.kind != exprKeyValue || !hasPrefix(e.path, path) {
			continue
		}
		if h := e.section.header; h != nil && hasPrefix(h.path, path) {
			continue
		}
		rs = append(rs, st.kvRegion(e))
	}
	return st.finishRegions(rs)
}

// finishRegions sorts and merges whole-line regions to delete. When the last
// one reaches the end of a file without a final newline, the blank lines and
// the newline before it go instead, so the file still ends without one.
func (st *state) finishRegions(rs []replace) []replace {
	slices.SortFunc(rs, func(a, b replace) int { return a.start - b.start })
	var merged []replace
	for _, r := range rs {
		if n := len(merged); n > 0 && r.start <= merged[n-1].end {
			merged[n-1].end = max(merged[n-1].end, r.end)
			continue
		}
		merged = append(merged, r)
	}
	if n := len(merged); n > 0 && merged[n-1].end == len(st.src) && !st.endsWithNewline() {
		for {
			n = len(merged)
			last := &merged[n-1]
			for last.start > st.bomLen {
				prev := max(lineStartOf(st.src, last.start-1), st.bomLen)
				if !isBlank(st.src, prev, last.start) {
					break
				}
				last.start = prev
			}
			if n == 1 || last.start > merged[n-2].end {
				last.start -= st.eolBefore(last.start)
				break
			}
			merged[n-2].end = last.end
			merged = merged[:n-1]
		}
	}
	return merged
}
