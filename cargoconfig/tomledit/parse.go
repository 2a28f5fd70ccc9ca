package tomledit

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/pelletier/go-toml/v2"
	"github.com/pelletier/go-toml/v2/unstable"
)

// bom is the UTF-8 byte order mark. TOML does not mention it, but editors on
// Windows write it; it is skipped when parsing and kept when editing.
var bom = []byte("\xef\xbb\xbf")

// state is everything known about one version of the document's bytes.
type state struct {
	src      []byte
	bomLen   int
	eol      string
	exprs    []*expr
	sections []*section
	root     *node
}

// builder turns the parser's expressions into a state, checking the rules
// the parser leaves to its caller: TOML v1.0.0 "Defining a key multiple times
// is invalid", "you cannot define a table more than once", and tables defined
// by dotted keys or [headers] cannot be reopened the other way.
type builder struct {
	path string
	st   *state
	cur  *section
}

// build parses src into a state, or returns a *ParseError.
func build(path string, src []byte) (*state, error) {
	st := &state{src: src, eol: detectEOL(src)}
	if bytes.HasPrefix(src, bom) {
		st.bomLen = len(bom)
	}
	st.root = &node{kind: nodeRoot}
	rootSection := &section{table: st.root}
	st.sections = append(st.sections, rootSection)
	b := &builder{path: path, st: st, cur: rootSection}

	data := src[st.bomLen:]
	var p unstable.Parser
	p.Reset(data)
	for p.NextExpression() {
		e := p.Expression()
		var err error
		switch e.Kind {
		case unstable.KeyValue:
			err = b.keyValue(e)
		case unstable.Table, unstable.ArrayTable:
			err = b.header(e)
		}
		if err != nil {
			return nil, err
		}
	}
	if err := p.Error(); err != nil {
		return nil, b.parserError(data, err)
	}
	// The parser leaves the contents of dates, times and some numbers to the
	// decoder: let go-toml's decoder judge them too.
	var decoded map[string]any
	if err := toml.Unmarshal(data, &decoded); err != nil {
		var de *toml.DecodeError
		if errors.As(err, &de) {
			line, col := de.Position()
			return nil, &ParseError{Path: path, Line: line, Column: col, Offset: offsetOf(src, st.bomLen, line, col), Message: strings.TrimPrefix(de.Error(), "toml: ")}
		}
		return nil, &ParseError{Path: path, Line: 1, Column: 1, Offset: st.bomLen, Message: strings.TrimPrefix(err.Error(), "toml: ")}
	}
	return st, nil
}

// detectEOL returns the line ending most lines of src use, "\n" when none.
func detectEOL(src []byte) string {
	lf := bytes.Count(src, []byte("\n"))
	crlf := bytes.Count(src, []byte("\r\n"))
	if crlf > 0 && crlf*2 >= lf {
		return "\r\n"
	}
	return "\n"
}

// parserError converts an error from the unstable parser.
func (b *builder) parserError(data []byte, err error) error {
	var pe *unstable.ParserError
	if !errors.As(err, &pe) {
		return &ParseError{Path: b.path, Line: 1, Column: 1, Message: err.Error()}
	}
	offset := len(data)
	if pe.Highlight != nil {
		offset = cap(data) - cap(pe.Highlight)
	}
	if offset < 0 || offset > len(data) {
		offset = len(data)
	}
	return b.errorAt(b.st.bomLen+offset, "%s", pe.Message)
}

// errorAt returns a *ParseError at the byte offset off of the source.
func (b *builder) errorAt(off int, format string, args ...any) error {
	line, col := position(b.st.src, b.st.bomLen, off)
	return &ParseError{Path: b.path, Line: line, Column: col, Offset: off, Message: fmt.Sprintf(format, args...)}
}

// position returns the 1-based line and byte column of off.
func position(src []byte, bomLen, off int) (line, col int) {
	if off > len(src) {
		off = len(src)
	}
	line = 1 + bytes.Count(src[:off], []byte("\n"))
	lineStart := max(bytes.LastIndexByte(src[:off], '\n')+1, bomLen)
	return line, off - lineStart + 1
}

// offsetOf is the inverse of position.
func offsetOf(src []byte, bomLen, line, col int) int {
	off := bomLen
	for l := 1; l < line; l++ {
		i := bytes.IndexByte(src[off:], '\n')
		if i < 0 {
			return len(src)
		}
		off += i + 1
	}
	return min(off+col-1, len(src))
}

// keyParts copies the parts of a key out of the parser's arena.
func (b *builder) keyParts(it unstable.Iterator) (names, raws []string, offsets []int) {
	for it.Next() {
		k := it.Node()
		names = append(names, string(k.Data))
		raws = append(raws, string(b.st.src[b.off(k.Raw.Offset):b.off(k.Raw.Offset+k.Raw.Length)]))
		offsets = append(offsets, b.off(k.Raw.Offset))
	}
	return names, raws, offsets
}

// off converts an offset in the parser's data to one in the source.
func (b *builder) off(o uint32) int { return int(o) + b.st.bomLen }

// newExpr records an expression spanning [start, end) of the source.
func (b *builder) newExpr(kind exprKind, start, end int) *expr {
	src := b.st.src
	e := &expr{kind: kind, start: start, end: end, index: len(b.st.exprs)}
	e.lineStart = max(bytes.LastIndexByte(src[:start], '\n')+1, b.st.bomLen)
	e.lineEnd = len(src)
	if i := bytes.IndexByte(src[end:], '\n'); i >= 0 {
		e.lineEnd = end + i + 1
	}
	e.line, _ = position(src, b.st.bomLen, start)
	b.st.exprs = append(b.st.exprs, e)
	return e
}

// header handles [table] and [[array of tables]].
func (b *builder) header(e *unstable.Node) error {
	src := b.st.src
	names, raws, offsets := b.keyParts(e.Key())
	if len(names) == 0 {
		return b.errorAt(b.st.bomLen, "table header without a name")
	}
	start := offsets[0]
	for start > b.st.bomLen && (src[start-1] == ' ' || src[start-1] == '\t' || src[start-1] == '[') {
		start--
	}
	end := offsets[len(offsets)-1] + len(raws[len(raws)-1])
	for end < len(src) && (src[end] == ' ' || src[end] == '\t') {
		end++
	}
	for n := 0; n < 2 && end < len(src) && src[end] == ']'; n++ {
		end++
	}
	kind := exprTable
	if e.Kind == unstable.ArrayTable {
		kind = exprArrayTable
	}
	ex := b.newExpr(kind, start, end)
	ex.key, ex.rawKey, ex.path = names, raws, names

	t := b.st.root
	for i, name := range names[:len(names)-1] {
		c := t.child(name)
		if c == nil {
			c = t.add(name, nodeImplicit, ex.line)
		}
		switch c.kind {
		case nodeImplicit, nodeHeader, nodeDotted:
			t = c
		case nodeArrayTables:
			t = c.elems[len(c.elems)-1]
		default:
			return b.errorAt(offsets[i], "%s is a value (line %d), not a table", formatKey(names[:i+1]), c.line)
		}
	}
	last := names[len(names)-1]
	lastOff := offsets[len(offsets)-1]
	c := t.child(last)
	if kind == exprArrayTable {
		switch {
		case c == nil:
			c = t.add(last, nodeArrayTables, ex.line)
		case c.kind != nodeArrayTables:
			return b.errorAt(lastOff, "%s is already defined on line %d, not as an array of tables", formatKey(names), c.line)
		}
		elem := &node{kind: nodeHeader, name: last, path: c.path, inArray: true, line: ex.line}
		c.elems = append(c.elems, elem)
		c = elem
	} else {
		switch {
		case c == nil:
			c = t.add(last, nodeHeader, ex.line)
		case c.kind == nodeImplicit:
			c.kind = nodeHeader
		case c.kind == nodeHeader:
			return b.errorAt(lastOff, "table [%s] is defined twice (first on line %d)", formatKey(names), c.section.header.line)
		case c.kind == nodeDotted:
			return b.errorAt(lastOff, "table [%s] is already defined by dotted keys on line %d", formatKey(names), c.line)
		case c.kind == nodeArrayTables:
			return b.errorAt(lastOff, "table [%s] is already defined as an array of tables on line %d", formatKey(names), c.line)
		default:
			return b.errorAt(lastOff, "%s is already defined as a value on line %d", formatKey(names), c.line)
		}
	}
	s := &section{header: ex, table: c}
	c.section = s
	ex.section, ex.node = s, c
	b.st.sections = append(b.st.sections, s)
	b.cur = s
	return nil
}

// keyValue handles a top-level key = value line.
func (b *builder) keyValue(e *unstable.Node) error {
	names, raws, offsets := b.keyParts(e.Key())
	keyEnd := offsets[len(offsets)-1] + len(raws[len(raws)-1])
	start := b.off(e.Raw.Offset)
	ex := b.newExpr(exprKeyValue, start, start+int(e.Raw.Length))
	ex.key, ex.rawKey = names, raws
	ex.section = b.cur
	ex.path = append(append([]string{}, b.cur.table.path...), names...)
	b.cur.kvs = append(b.cur.kvs, ex)
	n, err := b.insert(b.cur.table, names, offsets, keyEnd, e, ex)
	if err != nil {
		return err
	}
	ex.node = n
	return nil
}

// insert adds the value of the key-value kv under t, creating the tables of a
// dotted key. ex is the top-level expression, nil inside inline tables.
func (b *builder) insert(t *node, names []string, offsets []int, keyEnd int, kv *unstable.Node, ex *expr) (*node, error) {
	line, _ := position(b.st.src, b.st.bomLen, offsets[0])
	for i, name := range names[:len(names)-1] {
		c := t.child(name)
		if c == nil {
			c = t.add(name, nodeDotted, line)
			if ex != nil {
				c.section = ex.section
			}
		} else if c.kind != nodeDotted {
			return nil, b.errorAt(offsets[i], "%s is already defined on line %d and cannot be extended by a dotted key", formatKey(c.path), c.line)
		}
		t = c
	}
	last := names[len(names)-1]
	if c := t.child(last); c != nil {
		return nil, b.errorAt(offsets[len(offsets)-1], "duplicate key %s (first defined on line %d)", formatKey(c.path), c.line)
	}
	valueStart := b.valueStart(keyEnd)
	valueEnd := b.off(kv.Raw.Offset + kv.Raw.Length)
	v, err := b.decode(kv.Value(), valueStart, valueEnd)
	if err != nil {
		return nil, err
	}
	kind := nodeValue
	if v.kind == KindInlineTable {
		kind = nodeInline
	}
	n := t.add(last, kind, line)
	n.kv, n.value = ex, v
	if kind == nodeInline {
		if err := b.inlineTable(n, kv.Value()); err != nil {
			return nil, err
		}
	}
	return n, nil
}

// valueStart returns the offset of the value after a key that ends at
// keyEnd: past blanks, '=' and blanks.
func (b *builder) valueStart(keyEnd int) int {
	src := b.st.src
	i := keyEnd
	for i < len(src) && (src[i] == ' ' || src[i] == '\t' || src[i] == '=') {
		i++
	}
	return i
}

// inlineTable adds the key-values of an inline table under n.
func (b *builder) inlineTable(n *node, v *unstable.Node) error {
	it := v.Children()
	for it.Next() {
		kv := it.Node()
		if kv.Kind != unstable.KeyValue {
			continue
		}
		names, raws, offsets := b.keyParts(kv.Key())
		keyEnd := offsets[len(offsets)-1] + len(raws[len(raws)-1])
		if _, err := b.insert(n, names, offsets, keyEnd, kv, nil); err != nil {
			return err
		}
	}
	return nil
}
