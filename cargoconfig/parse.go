package cargoconfig

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/pelletier/go-toml/v2"
	"github.com/pelletier/go-toml/v2/unstable"
)

// SyntaxError is a malformed configuration file: the file, the position of
// the problem and what is wrong with it.
type SyntaxError struct {
	Path         string
	Line, Column int
	Message      string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("%s:%d:%d: %s", e.Path, e.Line, e.Column, e.Message)
}

// parseDocument parses a TOML document into a configuration table whose
// values all carry def, with the line and column of each key filled in.
// Floats and dates are rejected as cargo rejects them.
func parseDocument(path string, data []byte, def Origin) (*value, error) {
	doc := map[string]any{}
	if err := toml.Unmarshal(data, &doc); err != nil {
		var de *toml.DecodeError
		if errors.As(err, &de) {
			line, col := de.Position()
			msg := strings.TrimPrefix(de.Error(), "toml: ")
			return nil, &SyntaxError{Path: path, Line: line, Column: col, Message: msg}
		}
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	positions := keyPositions(data)
	root, err := fromTOML(doc, def, nil, positions)
	if err != nil {
		return nil, err
	}
	return root, nil
}

type position struct{ line, col int }

// fromTOML converts a decoded TOML value. key is the dotted path so far, used
// for positions and for cargo's "failed to parse config at `key`" error.
func fromTOML(x any, def Origin, key []string, positions map[string]position) (*value, error) {
	d := def
	if p, ok := positions[strings.Join(key, "\x00")]; ok && def.Path != "" {
		d.Line, d.Column = p.line, p.col
	}
	switch t := x.(type) {
	case string:
		return &value{kind: kindString, str: t, def: d}, nil
	case bool:
		return &value{kind: kindBoolean, flag: t, def: d}, nil
	case int64:
		return &value{kind: kindInteger, num: t, def: d}, nil
	case []any:
		v := &value{kind: kindList, list: []*value{}, def: d}
		for i, e := range t {
			ev, err := fromTOML(e, def, append(append([]string{}, key...), "["+strconv.Itoa(i)+"]"), positions)
			if err != nil {
				return nil, err
			}
			v.list = append(v.list, ev)
		}
		return v, nil
	case map[string]any:
		v := newTable(d)
		for k, e := range t {
			ev, err := fromTOML(e, def, append(append([]string{}, key...), k), positions)
			if err != nil {
				return nil, err
			}
			v.table[k] = ev
		}
		return v, nil
	}
	typ := "float"
	switch x.(type) {
	case time.Time, toml.LocalDateTime:
		typ = "datetime"
	case toml.LocalDate:
		typ = "date"
	case toml.LocalTime:
		typ = "time"
	}
	where := def.Path
	if p, ok := positions[strings.Join(key, "\x00")]; ok {
		where = fmt.Sprintf("%s:%d:%d", def.Path, p.line, p.col)
	}
	return nil, fmt.Errorf("%s: failed to parse config at `%s`: unsupported TOML configuration type `%s`",
		where, displayKey(key), typ)
}

func displayKey(key []string) string {
	var b strings.Builder
	for i, k := range key {
		if strings.HasPrefix(k, "[") {
			b.WriteString(k)
			continue
		}
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(escapeKeyPart(k))
	}
	return b.String()
}

// escapeKeyPart quotes a key part the way cargo prints keys.
func escapeKeyPart(k string) string {
	for _, r := range k {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return strconv.Quote(k)
		}
	}
	if k == "" {
		return `""`
	}
	return k
}

// keyPositions maps every key path of a valid document (parts joined by NUL,
// array elements as "[i]") to the position of its key, or of the element.
func keyPositions(data []byte) map[string]position {
	out := map[string]position{}
	p := &unstable.Parser{}
	p.Reset(data)
	w := &keyWalker{lines: lineStarts(data)}
	var table []string
	arrayTables := map[string]int{}
	for p.NextExpression() {
		e := p.Expression()
		switch e.Kind {
		case unstable.Table, unstable.ArrayTable:
			table = keyParts(e.Key())
			if e.Kind == unstable.ArrayTable {
				k := strings.Join(table, "\x00")
				i := arrayTables[k]
				arrayTables[k] = i + 1
				table = append(table, "["+strconv.Itoa(i)+"]")
			}
			record(w, out, table, e.Child())
		case unstable.KeyValue:
			walkKeyValue(w, out, table, e)
		}
	}
	return out
}

func walkKeyValue(w *keyWalker, out map[string]position, prefix []string, kv *unstable.Node) {
	it := kv.Key()
	first := it.Node()
	key := append(append([]string{}, prefix...), keyParts(kv.Key())...)
	// Intermediate tables of a dotted key are defined here too.
	for i := len(prefix) + 1; i < len(key); i++ {
		if _, ok := out[strings.Join(key[:i], "\x00")]; !ok {
			record(w, out, key[:i], first)
		}
	}
	record(w, out, key, first)
	walkValue(w, out, key, kv.Value())
}

func walkValue(w *keyWalker, out map[string]position, key []string, v *unstable.Node) {
	switch v.Kind {
	case unstable.Array:
		it := v.Children()
		for i := 0; it.Next(); i++ {
			n := it.Node()
			if n.Kind == unstable.Comment {
				i--
				continue
			}
			elem := append(append([]string{}, key...), "["+strconv.Itoa(i)+"]")
			record(w, out, elem, n)
			walkValue(w, out, elem, n)
		}
	case unstable.InlineTable:
		it := v.Children()
		for it.Next() {
			if n := it.Node(); n.Kind == unstable.KeyValue {
				walkKeyValue(w, out, key, n)
			}
		}
	}
}

func keyParts(it unstable.Iterator) []string {
	var parts []string
	for it.Next() {
		parts = append(parts, string(it.Node().Data))
	}
	return parts
}

func record(w *keyWalker, out map[string]position, key []string, n *unstable.Node) {
	if n == nil {
		return
	}
	k := strings.Join(key, "\x00")
	if _, ok := out[k]; ok {
		return
	}
	r := n.Raw
	if r.Length == 0 && r.Offset == 0 {
		return
	}
	out[k] = w.position(int(r.Offset))
}

// keyWalker carries what the walk over a document's keys needs: the start
// offset of every line, so that positions cost a binary search rather than
// the parser's scan from the start of the file (quadratic in a large file).
type keyWalker struct {
	lines []int
}

// lineStarts returns the offset at which each line of data starts.
func lineStarts(data []byte) []int {
	starts := []int{0}
	for i, b := range data {
		if b == '\n' {
			starts = append(starts, i+1)
		}
	}
	return starts
}

// position is the 1-based line and byte column of offset, as the parser's
// Shape computes them.
func (w *keyWalker) position(offset int) position {
	line := sort.Search(len(w.lines), func(i int) bool { return w.lines[i] > offset }) - 1
	return position{line: line + 1, col: offset - w.lines[line] + 1}
}
