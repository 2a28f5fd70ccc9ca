package tomledit

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Set writes value at the dotted path key.
//
// An existing value is replaced in place: only its bytes change, and a
// string keeps its quoting style ('literal', """multi-line""") when the new
// string can be written in it. A new key goes:
//   - into the section that owns its table, on a new line after the section's
//     last key-value (before the blank lines and comments above the next
//     header), with that key-value's indentation;
//   - as a dotted key (corp.credential-provider = ...) when its table is
//     defined by dotted keys, or when its table does not exist yet and the
//     section of its nearest existing parent already uses dotted keys;
//   - otherwise under a new [table] header, placed after the last section
//     whose table shares the longest prefix with it (a new [registries.x]
//     after the last [registries.*]), or at the end of the file, separated by
//     one blank line (none where the file puts none between its tables).
//
// New lines use the file's line ending and keep a missing final newline
// missing. Set refuses (*RefusedError) a key inside an inline table or an
// array of tables, a key under a value, and a key that names a table.
func (d *Document) Set(value Value, key ...string) error {
	keyText := formatKey(key)
	if err := checkKey(key); err != nil {
		return fmt.Errorf("%s: set %s: %w", d.path, keyText, err)
	}
	if _, err := value.render(styleBasic); err != nil {
		return fmt.Errorf("%s: set %s: %w", d.path, keyText, err)
	}
	if err := d.refuseSpecial("set", key); err != nil {
		return err
	}
	n, depth := d.lookup(key)
	if depth == len(key) {
		if n.kind != nodeValue {
			return &RefusedError{Path: d.path, Line: n.line, Op: "set", Key: keyText,
				Reason: "it is a table, not a single value", Hint: "delete it first, or set a key inside it"}
		}
		return d.replaceValue(n, value, key)
	}
	if !n.isTable() {
		return &RefusedError{Path: d.path, Line: n.line, Op: "set", Key: keyText,
			Reason: fmt.Sprintf("%s is a value (%s), not a table", formatKey(n.path), n.value.kind),
			Hint:   "remove or rename that key by hand first"}
	}
	return d.addKey(n, value, key)
}

// checkKey rejects keys TOML cannot hold.
func checkKey(key []string) error {
	if len(key) == 0 {
		return errors.New("empty key")
	}
	for _, k := range key {
		if !utf8.ValidString(k) {
			return errInvalidUTF8
		}
	}
	return nil
}

// refuseSpecial refuses an edit that goes through an inline table or an array
// of tables.
func (d *Document) refuseSpecial(op string, key []string) error {
	n := d.root
	for _, name := range key {
		c := n.child(name)
		if c == nil {
			return nil
		}
		switch c.kind {
		case nodeArrayTables:
			return &RefusedError{Path: d.path, Line: c.line, Op: op, Key: formatKey(key),
				Reason: fmt.Sprintf("%s is an array of tables ([[%s]])", formatKey(c.path), formatKey(c.path)),
				Hint:   "edit its entries by hand"}
		case nodeInline:
			if len(c.path) == len(key) && op == "delete" {
				return nil // deleting a whole inline table removes its line
			}
			return &RefusedError{Path: d.path, Line: c.line, Op: op, Key: formatKey(key),
				Reason: fmt.Sprintf("%s is an inline table", formatKey(c.path)),
				Hint:   fmt.Sprintf("edit it by hand, or rewrite it as a [%s] table and run this again", formatKey(c.path))}
		case nodeValue:
			return nil
		}
		n = c
	}
	return nil
}

// replaceValue replaces the bytes of an existing value.
func (d *Document) replaceValue(n *node, value Value, key []string) error {
	old := n.value
	if old.Equal(value) {
		return nil
	}
	style := old.style
	if old.kind == KindArray && len(old.elems) > 0 {
		style = old.elems[0].style
	}
	text, err := value.render(style)
	if err != nil {
		return fmt.Errorf("%s: set %s: %w", d.path, formatKey(key), err)
	}
	return d.apply("set", key, []replace{{old.span.Start, old.span.End, text}}, checkSet(key, value))
}

// checkSet verifies after the edit that key holds value.
func checkSet(key []string, value Value) func(*Document) error {
	return func(d *Document) error {
		got, ok := d.Get(key...)
		if !ok || !got.Equal(value) {
			return errors.New("the new value does not read back")
		}
		return nil
	}
}

// addKey adds a key that does not exist under t, its deepest existing table.
func (d *Document) addKey(t *node, value Value, key []string) error {
	missing := key[len(t.path):]
	switch t.kind {
	case nodeDotted:
		s := t.section
		var anchor *expr
		for _, e := range s.kvs {
			if hasPrefix(e.path, t.path) {
				anchor = e
			}
		}
		if anchor == nil {
			return fmt.Errorf("%s: set %s: %w: no line defines table %s", d.path, formatKey(key), errInternal, formatKey(t.path))
		}
		rel := strings.Join(anchor.rawKey[:len(t.path)-len(s.table.path)], ".") + "." + formatKey(missing)
		return d.insertKeyLine(s, anchor, rel, value, key)
	case nodeRoot, nodeHeader:
		s := d.sections[0]
		if t.kind == nodeHeader {
			s = t.section
		}
		if len(missing) == 1 || usesDottedKeys(s) {
			var anchor *expr
			if len(s.kvs) > 0 {
				anchor = s.kvs[len(s.kvs)-1]
			}
			return d.insertKeyLine(s, anchor, formatKey(missing), value, key)
		}
	}
	return d.insertTable(key[:len(key)-1], value, key)
}

// usesDottedKeys reports whether a section already writes dotted keys.
func usesDottedKeys(s *section) bool {
	for _, e := range s.kvs {
		if len(e.key) > 1 {
			return true
		}
	}
	return false
}

// insertKeyLine adds "rel = value" to section s after anchor (nil: no
// key-value in s yet).
func (d *Document) insertKeyLine(s *section, anchor *expr, rel string, value Value, key []string) error {
	text, err := value.render(styleBasic)
	if err != nil {
		return fmt.Errorf("%s: set %s: %w", d.path, formatKey(key), err)
	}
	line := rel + " = " + text
	var ins replace
	switch {
	case anchor != nil:
		ins = d.lineAfter(anchor.lineEnd, anchor.indent(d.src)+line)
	case s.header != nil:
		ins = d.lineAfter(s.header.lineEnd, line)
	case len(d.sections) > 1:
		// An empty root section: the key goes above the first header and its
		// comments, followed by a blank line.
		pos := d.blockStart(d.sections[1].header)
		ins = replace{pos, pos, line + d.eol + d.eol}
	default:
		ins = d.lineAfter(len(d.src), line)
	}
	return d.apply("set", key, []replace{ins}, checkSet(key, value))
}

// lineAfter inserts line at pos, the end of a line: followed by a newline,
// or, at the end of a file without a final newline, preceded by one.
func (d *Document) lineAfter(pos int, line string) replace {
	if pos == len(d.src) && pos > d.bomLen && !d.endsWithNewline() {
		return replace{pos, pos, d.eol + line}
	}
	return replace{pos, pos, line + d.eol}
}

// insertTable adds a [table] header holding the last part of key.
func (d *Document) insertTable(table []string, value Value, key []string) error {
	text, err := value.render(styleBasic)
	if err != nil {
		return fmt.Errorf("%s: set %s: %w", d.path, formatKey(key), err)
	}
	pos := -1
	for l := len(table); l >= 1 && pos < 0; l-- {
		for i := len(d.sections) - 1; i > 0; i-- {
			if hasPrefix(d.sections[i].header.path, table[:l]) {
				pos = d.bodyEnd(d.sections[i])
				break
			}
		}
	}
	if pos < 0 {
		pos = d.bodyEnd(d.sections[len(d.sections)-1])
	}
	// One blank line separates the new table from its neighbours, unless the
	// file puts none between the tables at that place.
	glued := pos > d.bomLen && pos < len(d.src) && !isBlank(d.src, pos, lineEndOf(d.src, pos))
	var b strings.Builder
	if pos > d.bomLen {
		if d.src[pos-1] != '\n' {
			b.WriteString(d.eol)
		}
		if !glued {
			b.WriteString(d.eol)
		}
	}
	b.WriteString("[" + formatKey(table) + "]" + d.eol + formatKey(key[len(key)-1:]) + " = " + text)
	if pos < len(d.src) || d.endsWithNewline() || len(d.src) == d.bomLen {
		b.WriteString(d.eol)
	}
	if err := d.apply("set", key, []replace{{pos, pos, b.String()}}, checkSet(key, value)); err != nil {
		return err
	}
	d.created[formatKey(table)] = true
	return nil
}
