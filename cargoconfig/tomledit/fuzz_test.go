package tomledit

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/pelletier/go-toml/v2"
	"github.com/rogpeppe/go-internal/txtar"
)

// fuzzSeeds are hand-made files that exercise the corners of the editor.
var fuzzSeeds = []string{
	"",
	"\n\n",
	"# only a comment",
	"\xef\xbb\xbfa = 1\r\n[b]\r\nc = 'x'\r\n",
	"a.b.c = 1\na.b.d = 'two'\n[a.e]\nf = true",
	"[registries]\ncorp.index = \"sparse+https://corp/\"\nother.index = 'x' # c\n\n[registries.third]\nindex = \"t\"\n",
	"registries = { corp = { index = \"x\" } }\n",
	"[[bin]]\nname = 'a'\n[[bin]]\nname = 'b'\n[bin.sub]\nx = 1\n",
	"  [ a . \"b.c\" ]  # header\n  k = [\n  1, # one\n  2,\n]\n  m = \"\"\"\n# not a comment\n\"\"\"\n",
	"a = 1979-05-27T07:32:00Z\nb = 3.5\nc = nan\nd = 0xff_ff\n[t]\n'lit.key' = '''ml'''\n",
	"[a.b.c]\nz = 9\n[a]\nx = 1\n",
	"[x]\n# c1\n\n# c2\n[y]\nk = 1\n\n\n# trailing\n",
	"k = \"a\\\"b\\\\c\\u00e9\\U0001F600\"\n[\"quoted key\".x]\n\"\" = 1\n",
	"t = {\n  a = 1, # one\n  b.c = [\n    2,\n  ],\n}\n[u] # header only\n",
	"[a]\r\nx = 1\r\n\r\n# about b\r\n[b]\r\ny = [[1, 2], ['x']]",
	"[[p]]\nn = 1\n[q]\nm = 2\n[[p]]\nn = 3\n",
	"\xef\xbb\xbf",
	"# head\n\n\n[a.b]\n\n\n# mid\n\nk = 'v'\n\n\n# tail",
	"a.\"b.c\".'d' = 1\na.\"b.c\".e = 2\n[x]\n  y.z = true\n  y.w = false # w\n\n[x.y.v]\nq = 1\n",
}

// FuzzEdit parses arbitrary files and makes one random edit with checkEdit.
func FuzzEdit(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s), uint8(0), uint16(0), "k", "v")
		f.Add([]byte(s), uint8(1), uint16(1), "credential-provider", "cargo:token")
		f.Add([]byte(s), uint8(2), uint16(2), "x", "")
	}
	for _, src := range goldenInputs(f) {
		for op := uint8(0); op < 7; op++ {
			f.Add(src, op, uint16(op)*7, "new-key", "tok\"en\\")
		}
	}
	f.Fuzz(func(t *testing.T, src []byte, op uint8, pick uint16, name, val string) {
		checkEdit(t, src, op, pick, name, val)
	})
}

// goldenInputs returns the before.toml of every golden file.
func goldenInputs(t testing.TB) [][]byte {
	goldens, err := filepath.Glob(filepath.Join("testdata", "*.txtar"))
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	for _, name := range goldens {
		ar, err := txtar.ParseFile(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, file := range ar.Files {
			if file.Name == "before.toml" {
				out = append(out, file.Data)
			}
		}
	}
	return out
}

// TestEditEverywhere runs the fuzz checks on every seed file, for every key
// and table in it and every kind of edit, so the invariants hold without a
// fuzzing run.
func TestEditEverywhere(t *testing.T) {
	inputs := goldenInputs(t)
	for _, s := range fuzzSeeds {
		inputs = append(inputs, []byte(s))
	}
	runs, edits := 0, 0
	for _, src := range inputs {
		d, err := Parse("seed.toml", src)
		if err != nil {
			t.Fatalf("seed %q does not parse: %v", src, err)
		}
		n := len(allPaths(d))
		for op := uint8(0); op < 49; op++ {
			for pick := range n {
				if checkEdit(t, src, op, uint16(pick), "new-key", `v\"`+string(rune('a'+pick%26))+"\u00e9\n") {
					edits++
				}
				runs++
			}
		}
	}
	if runs < 1000 || edits < runs/2 {
		t.Errorf("only %d of %d edits succeeded", edits, runs)
	}
	t.Logf("%d of %d edits succeeded", edits, runs)
}

// checkEdit parses src and makes one edit chosen by op and pick, checking
// that the editor never panics, never changes a byte outside the edits it
// reports, never disturbs another key, and leaves valid TOML.
func checkEdit(t *testing.T, src []byte, op uint8, pick uint16, name, val string) (edited bool) {
	d, err := Parse("fuzz.toml", src)
	if err != nil {
		var pe *ParseError
		if !errors.As(err, &pe) {
			t.Fatalf("Parse error is %T, want *ParseError: %v", err, err)
		}
		if decodeErr := toml.Unmarshal(stripBOM(src), new(map[string]any)); decodeErr == nil {
			t.Fatalf("Parse refused a file go-toml decodes: %v", err)
		}
		return false
	}
	if !editAndCheck(t, d, op%7, pick, name, val) {
		return false
	}
	if op >= 7 {
		// A second edit on the edited document exercises how edits merge.
		editAndCheck(t, d, (op/7)%7, pick/3+1, name+"2", val+"2")
	}
	return true
}

// editAndCheck makes edit op on d and checks the result against d's bytes
// before the edit (and its Edits against the original source).
func editAndCheck(t *testing.T, d *Document, op uint8, pick uint16, name, val string) bool {
	src := bytes.Clone(d.Bytes())
	edits := d.Edits()
	before := decodeMap(t, src)
	paths := allPaths(d)
	key := paths[int(pick)%len(paths)]
	var value Value
	switch op {
	case 0:
		value = String(val)
	case 1:
		key, value = append(slices.Clone(key), name), String(val)
	case 2:
		key = slices.Clone(key)
	case 3:
		key, value = append(slices.Clone(key), name, "x"), StringArray(val, name)
	case 4:
		value = Bool(len(val)%2 == 0)
	case 5:
		value = Integer(int64(pick) - 1000)
	case 6:
		key, value = []string{name, val}, String(name)
	}
	if len(key) == 0 {
		return false
	}
	var err error
	if op == 2 {
		err = d.Delete(key...)
	} else {
		err = d.Set(value, key...)
	}
	if err != nil {
		if errors.Is(err, errInternal) {
			t.Fatalf("edit failed its own checks: %v", err)
		}
		if msg := withoutKeys(err.Error(), key); len(val) >= 6 && strings.Contains(msg, val) {
			t.Fatalf("error echoes the value: %v", err)
		}
		if !bytes.Equal(d.Bytes(), src) || !reflect.DeepEqual(d.Edits(), edits) {
			t.Fatalf("failed edit changed the document")
		}
		return false
	}
	out := d.Bytes()
	if _, err := Parse("out.toml", out); err != nil {
		t.Fatalf("output does not parse: %v\n%s", err, out)
	}
	checkEdits(t, d)
	checkDiff(t, d)
	checkFileStyle(t, src, out)
	after := decodeMap(t, out)
	if op == 2 {
		if _, ok := lookupMap(after, key); ok {
			t.Fatalf("deleted key %v still decodes", key)
		}
	} else {
		got, ok := lookupMap(after, key)
		if !ok || !reflect.DeepEqual(got, toGo(value)) {
			t.Fatalf("key %v decodes as %#v, want %#v", key, got, toGo(value))
		}
	}
	removePath(before, key)
	removePath(after, key)
	if !reflect.DeepEqual(before, after) {
		t.Fatalf("other keys changed:\nbefore %v\nafter  %v\n%s", before, after, out)
	}
	return true
}

// checkFileStyle verifies that an edit kept the byte order mark, the final
// newline (or its absence) and CRLF line endings.
func checkFileStyle(t *testing.T, before, after []byte) {
	t.Helper()
	if bytes.HasPrefix(before, bom) != bytes.HasPrefix(after, bom) {
		t.Fatalf("byte order mark added or lost:\n%q\n%q", before, after)
	}
	b, a := stripBOM(before), stripBOM(after)
	if len(b) > 0 && len(a) > 0 && bytes.HasSuffix(b, []byte("\n")) != bytes.HasSuffix(a, []byte("\n")) {
		t.Fatalf("final newline added or lost:\n%q\n%q", before, after)
	}
	lf, crlf := bytes.Count(b, []byte("\n")), bytes.Count(b, []byte("\r\n"))
	switch {
	case lf > 0 && lf == crlf && bytes.Count(a, []byte("\n")) != bytes.Count(a, []byte("\r\n")):
		t.Fatalf("a CRLF file gained LF line endings:\n%q\n%q", before, after)
	case crlf == 0 && bytes.Contains(a, []byte("\r\n")):
		t.Fatalf("an LF file gained CRLF line endings:\n%q\n%q", before, after)
	}
}

// withoutKeys removes from msg the key names it may rightly quote.
func withoutKeys(msg string, key []string) string {
	for i := len(key); i > 0; i-- {
		msg = strings.ReplaceAll(msg, formatKey(key[:i]), "")
	}
	for _, k := range key {
		if k != "" {
			msg = strings.ReplaceAll(strings.ReplaceAll(msg, formatKey([]string{k}), ""), k, "")
		}
	}
	return msg
}

// checkEdits verifies that the reported edits turn the original into Bytes().
func checkEdits(t *testing.T, d *Document) {
	t.Helper()
	var rebuilt []byte
	last := 0
	for _, e := range d.Edits() {
		if e.Start < last || e.End < e.Start {
			t.Fatalf("edits overlap or are out of order: %+v", d.Edits())
		}
		rebuilt = append(rebuilt, d.Original()[last:e.Start]...)
		rebuilt = append(rebuilt, d.Bytes()[e.NewStart:e.NewEnd]...)
		last = e.End
	}
	rebuilt = append(rebuilt, d.Original()[last:]...)
	if !bytes.Equal(rebuilt, d.Bytes()) {
		t.Fatalf("edits do not account for every change:\nedits %+v\ngot  %q\nwant %q", d.Edits(), rebuilt, d.Bytes())
	}
}

// allPaths lists the path of every key and table of d, the root included.
func allPaths(d *Document) [][]string {
	paths := [][]string{nil}
	var walk func(prefix []string)
	walk = func(prefix []string) {
		for _, k := range d.Keys(prefix...) {
			p := append(slices.Clone(prefix), k)
			paths = append(paths, p)
			walk(p)
		}
	}
	walk(nil)
	return paths
}

func stripBOM(src []byte) []byte { return bytes.TrimPrefix(src, bom) }

// decodeMap decodes src with go-toml's ordinary decoder, floats made
// comparable (NaN != NaN).
func decodeMap(t *testing.T, src []byte) map[string]any {
	t.Helper()
	m := map[string]any{}
	if err := toml.Unmarshal(stripBOM(src), &m); err != nil {
		t.Fatalf("go-toml cannot decode a file Parse accepted: %v\n%q", err, src)
	}
	return normalize(m).(map[string]any)
}

func normalize(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			v[k] = normalize(e)
		}
	case []any:
		for i, e := range v {
			v[i] = normalize(e)
		}
	case []map[string]any:
		for _, e := range v {
			normalize(e)
		}
	case float64:
		return math.Float64bits(v)
	}
	return v
}

// toGo returns what go-toml decodes a Value written by Set into.
func toGo(v Value) any {
	switch v.Kind() {
	case KindString:
		s, _ := v.AsString()
		return s
	case KindBool:
		b, _ := v.AsBool()
		return b
	case KindInteger:
		i, _ := v.AsInteger()
		return i
	case KindArray:
		out := []any{}
		for _, e := range v.Elems() {
			out = append(out, toGo(e))
		}
		return out
	}
	return nil
}

func lookupMap(m map[string]any, key []string) (any, bool) {
	var cur any = m
	for _, k := range key {
		mm, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = mm[k]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// removePath deletes key from m, then the tables on its path left empty
// (whether an emptied table survives is the editor's documented choice).
func removePath(m map[string]any, key []string) {
	for i := len(key); i >= 1; i-- {
		parent, ok := lookupMap(m, key[:i-1])
		if !ok {
			continue
		}
		pm, ok := parent.(map[string]any)
		if !ok {
			continue
		}
		child, ok := pm[key[i-1]]
		if !ok {
			continue
		}
		if cm, isMap := child.(map[string]any); i == len(key) || (isMap && len(cm) == 0) {
			delete(pm, key[i-1])
		}
	}
}

// checkDiff applies the unified diff of d to the original lines and expects
// the lines of Bytes(), so --dry-run shows exactly what will change.
func checkDiff(t *testing.T, d *Document) {
	t.Helper()
	diff := d.Diff()
	if diff == "" {
		if d.Changed() {
			t.Fatal("empty diff for a changed document")
		}
		return
	}
	lines := func(b []byte) []string {
		var out []string
		for _, l := range splitLines(b) {
			out = append(out, strings.TrimSuffix(strings.TrimSuffix(l, "\n"), "\r"))
		}
		return out
	}
	old, want := lines(d.Original()), lines(d.Bytes())
	var got []string
	next := 0 // index of the next original line to copy
	for _, l := range strings.Split(strings.TrimSuffix(diff, "\n"), "\n")[2:] {
		switch {
		case strings.HasPrefix(l, "@@ "):
			var oldLine, oldCount, newLine, newCount int
			if _, err := fmt.Sscanf(l, "@@ -%d,%d +%d,%d @@", &oldLine, &oldCount, &newLine, &newCount); err != nil {
				t.Fatalf("bad hunk header %q: %v", l, err)
			}
			upTo := oldLine - 1
			if oldCount == 0 {
				upTo = oldLine
			}
			if upTo < next || upTo > len(old) {
				t.Fatalf("hunk %q out of order\n%s", l, diff)
			}
			got = append(got, old[next:upTo]...)
			next = upTo
			if len(got)+1 != newLine && newCount > 0 {
				t.Fatalf("hunk %q: new side starts at line %d, want %d\n%s", l, newLine, len(got)+1, diff)
			}
		case strings.HasPrefix(l, "-"):
			if next >= len(old) || old[next] != l[1:] {
				t.Fatalf("diff removes %q, original has something else\n%s", l, diff)
			}
			next++
		case strings.HasPrefix(l, "+"):
			got = append(got, l[1:])
		case l == `\ No newline at end of file`:
		default:
			t.Fatalf("unexpected diff line %q", l)
		}
	}
	got = append(got, old[next:]...)
	if !slices.Equal(got, want) {
		t.Fatalf("diff does not turn the original into the result\n%s\ngot  %q\nwant %q", diff, got, want)
	}
}
