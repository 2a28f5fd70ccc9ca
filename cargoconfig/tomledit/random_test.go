package tomledit

import (
	"bytes"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// randomDocument builds a cargo-like TOML file from random pieces: headers,
// dotted and quoted keys, every string style, arrays over several lines,
// inline tables, comments, blank lines, indentation, CRLF, a BOM and a
// missing final newline. Many are invalid (a key defined twice); those test
// that Parse agrees with go-toml.
func randomDocument(r *rand.Rand) []byte {
	names := []string{"registries", "corp", "source", "net", "a", `"b.c"`, "'lit'", "x-y"}
	name := func() string { return names[r.IntN(len(names))] }
	key := func() string {
		parts := []string{name()}
		for r.IntN(3) == 0 {
			parts = append(parts, name())
		}
		return strings.Join(parts, []string{".", " . "}[r.IntN(2)])
	}
	value := func() string {
		switch r.IntN(10) {
		case 0:
			return `'lit\eral'`
		case 1:
			return `"basic \"q\" \u00e9"`
		case 2:
			return `"""multi` + "\n" + `line"""`
		case 3:
			return "'''raw\n# not a comment'''"
		case 4:
			return "42"
		case 5:
			return "true"
		case 6:
			return "[\n  'one', # first\n  \"two\",\n]"
		case 7:
			return `{ index = "sparse+https://h/", x.y = 1 }`
		case 8:
			return "1979-05-27T07:32:00Z"
		default:
			return `["cargo:token"]`
		}
	}
	var lines []string
	for range 1 + r.IntN(14) {
		indent := []string{"", "  ", "\t"}[r.IntN(3)]
		comment := []string{"", " # note", "#x"}[r.IntN(3)]
		switch r.IntN(8) {
		case 0:
			lines = append(lines, "")
		case 1:
			lines = append(lines, indent+"# comment")
		case 2:
			lines = append(lines, indent+"["+key()+"]"+comment)
		case 3:
			lines = append(lines, indent+"[[arr]]"+comment)
		default:
			lines = append(lines, indent+key()+" = "+value()+comment)
		}
	}
	eol := []string{"\n", "\r\n"}[r.IntN(2)]
	doc := strings.Join(lines, eol)
	if r.IntN(3) > 0 {
		doc += eol
	}
	if r.IntN(8) == 0 {
		doc = "\xef\xbb\xbf" + doc
	}
	return []byte(doc)
}

// TestRandomDocuments runs the fuzz checks (two edits in a row) on generated
// files, which reach structures byte-level mutation rarely builds.
func TestRandomDocuments(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	valid, edited := 0, 0
	for range 3000 {
		src := randomDocument(r)
		if _, err := Parse("random.toml", src); err == nil {
			valid++
		}
		if checkEdit(t, src, uint8(r.IntN(49)), uint16(r.IntN(1000)), []string{"credential-provider", "b.c", "new"}[r.IntN(3)], "tok\"en\\é") {
			edited++
		}
		if t.Failed() {
			t.Fatalf("input:\n%q", src)
		}
	}
	if valid < 300 || edited < 150 {
		t.Errorf("only %d valid documents and %d edits: the generator needs work", valid, edited)
	}
	t.Logf("%d valid documents, %d edited", valid, edited)
}

// TestSetThenDeleteRestoresTheFile checks that adding a new key (and the
// table it may need) and deleting it again gives back the file byte for byte,
// so login followed by logout leaves a config as it was. Files that begin
// with blank lines are the documented exception.
func TestSetThenDeleteRestoresTheFile(t *testing.T) {
	inputs := goldenInputs(t)
	for _, s := range fuzzSeeds {
		inputs = append(inputs, []byte(s))
	}
	r := rand.New(rand.NewPCG(3, 4))
	for range 1000 {
		inputs = append(inputs, randomDocument(r))
	}
	trips := 0
	for _, src := range inputs {
		if body := stripBOM(src); len(body) > 0 && (body[0] == '\n' || body[0] == '\r') {
			continue
		}
		d, err := Parse("config.toml", src)
		if err != nil {
			continue
		}
		for _, p := range allPaths(d) {
			for _, extra := range [][]string{{"new-key"}, {"new-table", "key"}} {
				key := append(slices.Clone(p), extra...)
				d, _ := Parse("config.toml", src)
				if d.Set(String("v"), key...) != nil {
					continue
				}
				if err := d.Delete(key...); err != nil {
					t.Fatalf("Delete(%q) after Set: %v", key, err)
				}
				if !bytes.Equal(d.Bytes(), src) || d.Changed() {
					t.Fatalf("Set then Delete of %q:\nbefore %q\nafter  %q", key, src, d.Bytes())
				}
				trips++
			}
		}
	}
	if trips < 1000 {
		t.Errorf("only %d round trips", trips)
	}
}
