// Package tomledit reads and edits TOML files, such as cargo's
// .cargo/config.toml, without disturbing what it was not asked to change.
//
// Every edit replaces, inserts or removes one span of bytes and leaves every
// other byte as it was: comments, blank lines, key order, quoting, indentation,
// line endings (CRLF included), a missing final newline and a byte order mark.
// An edit that cannot be made that way (a key inside an inline table or an
// array of tables, a key under a value) is refused with a *RefusedError that
// says what to do by hand, never carried out by rewriting the file. After
// every edit the document is parsed again; an edit that would produce invalid
// TOML fails and leaves the document as it was.
//
// The parser is go-toml's unstable package, which gives the byte range of
// every key and value. The rules it leaves to its caller (duplicate keys,
// tables defined twice) are checked here, and go-toml's decoder checks the
// contents of dates and numbers.
package tomledit

import (
	"errors"
	"fmt"
	"slices"
)

// ErrNotFound is returned (wrapped) by Delete for a key the document does not
// hold.
var ErrNotFound = errors.New("key not found")

// errInternal marks an edit that failed its own checks: a bug, never the
// user's doing.
var errInternal = errors.New("internal error")

// Document is a parsed TOML file that can be read and edited in place.
// A Document is not safe for concurrent use.
type Document struct {
	path    string
	orig    []byte
	edits   []Edit
	created map[string]bool // tables whose [header] Set wrote, by formatKey(path)
	*state
}

// Parse parses src, the contents of the file at path (used in messages only).
// Malformed TOML, duplicate keys and tables defined twice return a
// *ParseError. src is copied: the caller may reuse it.
func Parse(path string, src []byte) (*Document, error) {
	src = slices.Clone(src)
	st, err := build(path, src)
	if err != nil {
		return nil, err
	}
	return &Document{path: path, orig: src, state: st, created: map[string]bool{}}, nil
}

// Path returns the path given to Parse.
func (d *Document) Path() string { return d.path }

// Bytes returns the document with every edit made so far. The caller must not
// modify the returned slice.
func (d *Document) Bytes() []byte { return d.src }

// Changed reports whether Bytes differs from the source given to Parse.
func (d *Document) Changed() bool { return len(d.edits) > 0 }

// lookup walks key from the root. It returns the node, or the deepest node
// reached and the number of parts it consumed. It does not enter arrays of
// tables.
func (d *Document) lookup(key []string) (n *node, depth int) {
	n = d.root
	for i, name := range key {
		if !n.isTable() {
			return n, i
		}
		c := n.child(name)
		if c == nil {
			return n, i
		}
		n = c
	}
	return n, len(key)
}

// Get returns the value at the dotted path key, however the file spells it:
// [a.b] c = 1, [a] b.c = 1, a.b.c = 1 and a = { b = { c = 1 } } are all
// Get("a", "b", "c"). The Value's Span tells where it is in the file. Get
// returns false for a missing key, for a table (use Keys) and for keys inside
// arrays of tables.
func (d *Document) Get(key ...string) (Value, bool) {
	n, depth := d.lookup(key)
	if depth != len(key) || len(key) == 0 || (n.kind != nodeValue && n.kind != nodeInline) {
		return Value{}, false
	}
	return n.value, true
}

// Keys returns the names of the keys directly inside the table at prefix, in
// the order the file first mentions them, tables and values alike: Keys
// ("registries") lists every registry however it is defined. It returns nil
// when prefix is not a table. Keys() lists the top-level keys.
func (d *Document) Keys(prefix ...string) []string {
	n, depth := d.lookup(prefix)
	if depth != len(prefix) || !n.isTable() {
		return nil
	}
	return slices.Clone(n.order)
}

// Tables returns the path of every table the document defines, whether by a
// [header], as the parent of one, or by dotted keys, in the order the file
// first mentions them. Inline tables are values and arrays of tables are not
// entered, so neither is listed.
func (d *Document) Tables() [][]string {
	var out [][]string
	var walk func(n *node)
	walk = func(n *node) {
		for _, name := range n.order {
			c := n.children[name]
			switch c.kind {
			case nodeImplicit, nodeHeader, nodeDotted:
				out = append(out, slices.Clone(c.path))
				walk(c)
			}
		}
	}
	walk(d.root)
	return out
}

// Line returns the 1-based line of the byte offset off in Bytes(), so callers
// can report file:line for anything a Span points at.
func (d *Document) Line(off int) int {
	line, _ := position(d.src, d.bomLen, off)
	return line
}

// replace is one splice of the current bytes.
type replace struct {
	start, end int
	text       string
}

// apply makes the splices (in any order, not overlapping) and parses the
// result. On any failure the document is left as it was.
func (d *Document) apply(op string, key []string, splices []replace, check func(*Document) error) error {
	slices.SortFunc(splices, func(a, b replace) int { return b.start - a.start })
	src := d.src
	edits := slices.Clone(d.edits)
	for _, s := range splices {
		src, edits = compose(d.orig, src, edits, s)
	}
	st, err := build(d.path, src)
	if err != nil {
		return fmt.Errorf("%s: %s %s: %w: the edit would produce invalid TOML (%v); file left unchanged", d.path, op, formatKey(key), errInternal, err)
	}
	old := *d
	d.state, d.edits = st, edits
	if check != nil {
		if err := check(d); err != nil {
			*d = old
			return fmt.Errorf("%s: %s %s: %w: %v; file left unchanged", d.path, op, formatKey(key), errInternal, err)
		}
	}
	return nil
}
