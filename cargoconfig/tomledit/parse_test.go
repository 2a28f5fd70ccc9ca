package tomledit

import (
	"bytes"
	"errors"
	"strconv"
	"strings"
	"testing"
)

// expectedPosition counts line and byte column of off the simple way.
func expectedPosition(src []byte, off int) (line, col int) {
	line, col = 1, 1
	for i := 0; i < off; i++ {
		col++
		if src[i] == '\n' {
			line, col = line+1, 1
		}
	}
	if line == 1 && bytes.HasPrefix(src, bom) {
		col -= len(bom)
	}
	return line, col
}

func TestParseErrorPosition(t *testing.T) {
	// The error must be reported at the byte marked by ^ (removed before
	// parsing).
	tests := []struct {
		name, src, message string
	}{
		{"missing value", "a = 1\n\nb = ^\n", "unexpected character"},
		{"missing equals", "[t]\nkey ^value\n", "expected '='"},
		{"duplicate key", "[t]\na = 1\n^a = 2\n", "duplicate key t.a (first defined on line 2)"},
		{"duplicate via dotted key", "[t]\nx.a = 1\nx.^a = 2\n", "duplicate key t.x.a"},
		{"table twice", "[t]\na = 1\n[u]\n[^t]\n", "table [t] is defined twice (first on line 1)"},
		{"table over dotted keys", "[t]\nx.a = 1\n[t.^x]\n", "already defined by dotted keys on line 2"},
		{"dotted key into a header table", "[t.x]\na = 1\n[t]\n^x.b = 2\n", "cannot be extended by a dotted key"},
		{"table under a value", "a = 1\n[^a.b]\n", "a is a value (line 1), not a table"},
		{"inline table duplicate", "a = { b = 1, ^b = 2 }\n", "duplicate key a.b"},
		{"array of tables over table", "[a]\n[[^a]]\n", "not as an array of tables"},
		{"unterminated string at end", "a = \"ab^c", "unterminated basic string"}, // the parser points at the last byte
		{"crlf lines", "a = 1\r\n[b]\r\nc = ^\r\n", "unexpected character"},
		{"bom on line 1", "\xef\xbb\xbfa = ^\n", "unexpected character"},
		{"bom on line 2", "\xef\xbb\xbfa = 1\nb = 'x^\n", "literal strings cannot have new lines"},
		{"integer overflow", "a = ^9223372036854775808\n", "integer out of range"},
		{"non utf-8 comment", "a = 1 #^\xff\n", "invalid UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			off := strings.Index(tt.src, "^")
			src := []byte(strings.Replace(tt.src, "^", "", 1))
			_, err := Parse("dir/config.toml", src)
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("Parse error = %v (%T), want *ParseError", err, err)
			}
			wantLine, wantCol := expectedPosition(src, off)
			if pe.Offset != off || pe.Line != wantLine || pe.Column != wantCol {
				t.Errorf("error at offset %d (%d:%d), want offset %d (%d:%d): %v", pe.Offset, pe.Line, pe.Column, off, wantLine, wantCol, err)
			}
			if !strings.Contains(pe.Message, tt.message) {
				t.Errorf("message %q does not contain %q", pe.Message, tt.message)
			}
			prefix := "dir/config.toml:" + itoa(wantLine) + ":" + itoa(wantCol) + ": "
			if !strings.HasPrefix(err.Error(), prefix) {
				t.Errorf("Error() = %q, want prefix %q", err.Error(), prefix)
			}
		})
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

// Errors found by go-toml's decoder (dates) come with a line and column
// only; the offset is derived from them and must agree.
func TestParseErrorFromDecoder(t *testing.T) {
	src := []byte("[t]\na = 1\nd = 1979-13-27\n")
	_, err := Parse("c.toml", src)
	var pe *ParseError
	if !errors.As(err, &pe) {
		t.Fatalf("Parse error = %v, want *ParseError", err)
	}
	if pe.Line != 3 {
		t.Errorf("line = %d, want 3", pe.Line)
	}
	if line, col := expectedPosition(src, pe.Offset); line != pe.Line || col != pe.Column {
		t.Errorf("offset %d is %d:%d, error says %d:%d", pe.Offset, line, col, pe.Line, pe.Column)
	}
}

func TestParseAcceptsValidFiles(t *testing.T) {
	valid := []string{
		"",
		"\xef\xbb\xbf",
		"[a.b.c]\nz = 9\n[a]\nx = 1\n",        // a parent made explicit later
		"[a]\nb.c = 1\n[a.b.d]\ne = 2\n",      // a sub-table of a dotted table
		"[[x]]\na = 1\n[[x]]\na = 2\n[x.y]\n", // keys repeat across array elements
		"a = [{ b = 1 }, { b = 2 }]\n",
		"s = '''\n# not a comment\n[not.a.table]\n'''\n",
	}
	for _, src := range valid {
		if _, err := Parse("c.toml", []byte(src)); err != nil {
			t.Errorf("Parse(%q) = %v, want success", src, err)
		}
	}
}
