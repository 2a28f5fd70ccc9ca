package tomledit

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/pelletier/go-toml/v2"
)

func mustParse(t *testing.T, src string) *Document {
	t.Helper()
	d, err := Parse("config.toml", []byte(src))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return d
}

func TestGetWhateverTheSpelling(t *testing.T) {
	spellings := map[string]string{
		"header":              "[registries.corp]\nindex = \"URL\"\n",
		"dotted in parent":    "[registries]\ncorp.index = \"URL\"\n",
		"dotted at top level": "x = 1\nregistries.corp.index = 'URL'\n",
		"inline tables":       "registries = { corp = { index = \"URL\" } }\n",
		"inline in header":    "[registries]\ncorp = { index = '''URL''' }\n",
		"quoted keys":         "[\"registries\".'corp']\n\"index\" = \"URL\"\n",
		"spaces and bom":      "\xef\xbb\xbf  [ registries . corp ]  \n\t index\t=\t\"URL\" # c\n",
	}
	for name, src := range spellings {
		t.Run(name, func(t *testing.T) {
			d := mustParse(t, src)
			v, ok := d.Get("registries", "corp", "index")
			if !ok {
				t.Fatal("Get found nothing")
			}
			if s, ok := v.AsString(); !ok || s != "URL" {
				t.Errorf("AsString = %q, %v; want URL", s, ok)
			}
			span := v.Span()
			if got := string(d.Bytes()[span.Start:span.End]); got != v.Raw() || !strings.Contains(got, "URL") {
				t.Errorf("span %+v holds %q, raw %q", span, got, v.Raw())
			}
			if want := 1 + strings.Count(src[:span.Start], "\n"); span.Line != want || d.Line(span.Start) != want {
				t.Errorf("line = %d, want %d", span.Line, want)
			}
			if got := d.Keys("registries"); !slices.Equal(got, []string{"corp"}) {
				t.Errorf("Keys(registries) = %q", got)
			}
		})
	}
}

func TestGetKinds(t *testing.T) {
	d := mustParse(t, "s = 'x'\nb = true\ni = -17\ni2 = 1_000\no = 0o17\nf = 1.5\nt = 1979-05-27\na = ['p', \"q\"]\nm = [1, 'p']\n[tab]\nk = 1\n[[arr]]\nk = 1\n")
	tests := []struct {
		key  string
		kind Kind
	}{
		{"s", KindString}, {"b", KindBool}, {"i2", KindInteger}, {"o", KindInteger}, {"f", KindFloat},
		{"t", KindDatetime}, {"a", KindArray}, {"m", KindArray},
	}
	for _, tt := range tests {
		v, ok := d.Get(tt.key)
		if !ok || v.Kind() != tt.kind {
			t.Errorf("Get(%s) = %v, %v; want %v", tt.key, v.Kind(), ok, tt.kind)
		}
	}
	if i, _ := mustGet(t, d, "i2").AsInteger(); i != 1000 {
		t.Errorf("i2 = %d", i)
	}
	if i, _ := mustGet(t, d, "o").AsInteger(); i != 15 {
		t.Errorf("o = %d", i)
	}
	if s, ok := mustGet(t, d, "a").AsStrings(); !ok || !slices.Equal(s, []string{"p", "q"}) {
		t.Errorf("a = %q, %v", s, ok)
	}
	if _, ok := mustGet(t, d, "m").AsStrings(); ok {
		t.Error("a mixed array reads as strings")
	}
	for _, missing := range [][]string{{"tab"}, {"arr"}, {"arr", "k"}, {"nope"}, {"s", "x"}, {}} {
		if _, ok := d.Get(missing...); ok {
			t.Errorf("Get(%q) found something", missing)
		}
	}
	if got, want := d.Tables(), [][]string{{"tab"}}; !reflect.DeepEqual(got, want) {
		t.Errorf("Tables = %q, want %q", got, want)
	}
}

func mustGet(t *testing.T, d *Document, key ...string) Value {
	t.Helper()
	v, ok := d.Get(key...)
	if !ok {
		t.Fatalf("Get(%q) found nothing", key)
	}
	return v
}

func TestKeysAndTables(t *testing.T) {
	d := mustParse(t, "[registries.a]\nindex = '1'\n[registries]\nb.index = '2'\nc = { index = '3' }\n[source.x]\nregistry = '4'\n")
	if got, want := d.Keys("registries"), []string{"a", "b", "c"}; !slices.Equal(got, want) {
		t.Errorf("Keys(registries) = %q, want %q", got, want)
	}
	if got, want := d.Keys(), []string{"registries", "source"}; !slices.Equal(got, want) {
		t.Errorf("Keys() = %q, want %q", got, want)
	}
	if got := d.Keys("registries", "a", "index"); got != nil {
		t.Errorf("Keys of a value = %q, want nil", got)
	}
	want := [][]string{{"registries"}, {"registries", "a"}, {"registries", "b"}, {"source"}, {"source", "x"}}
	if got := d.Tables(); !reflect.DeepEqual(got, want) {
		t.Errorf("Tables = %q, want %q", got, want)
	}
}

// escapeCases are strings a token or URL might hold.
var escapeCases = []string{
	"", "plain", `with "quotes"`, `back\slash`, `\u0041 literally`, "tab\there", "new\nline", "cr\rlf\r\n",
	"nul\x00byte", "bell\a", "del\x7f", "\x1b[31mansi", "café", "日本語", "emoji 😀", "nbsp\u00a0", "bom\ufeff",
	"line sep\u2028", "rtl\u202eoverride", "''' triple", `""" triple`, "it's", "ends with '",
	"sparse+https://user:p%40ss@corp.example/idx/", strings.Repeat("x", 4096),
}

func TestSetEscapingRoundTrips(t *testing.T) {
	for _, start := range []string{"", "[t]\nk = 'old'\n", "[t]\nk = \"\"\"old\"\"\"\n", "[t]\nk = '''old'''\n"} {
		for _, s := range escapeCases {
			d := mustParse(t, start)
			if err := d.Set(String(s), "t", "k"); err != nil {
				t.Fatalf("Set(%q): %v", s, err)
			}
			reparsed := mustParse(t, string(d.Bytes()))
			if got, _ := mustGet(t, reparsed, "t", "k").AsString(); got != s {
				t.Errorf("from %q: Set(%q) reads back %q\n%s", start, s, got, d.Bytes())
			}
			var m struct{ T struct{ K string } }
			if err := toml.Unmarshal(d.Bytes(), &m); err != nil || m.T.K != s {
				t.Errorf("go-toml decodes %q, %v; want %q", m.T.K, err, s)
			}
			if bytes.ContainsAny(d.Bytes(), "\x00\x1b\x7f\u2028\u202e") {
				t.Errorf("Set(%q) wrote an invisible character raw: %q", s, d.Bytes())
			}
		}
	}
}

func TestSetStringArrayAndKeysRoundTrip(t *testing.T) {
	d := mustParse(t, "")
	if err := d.Set(StringArray(escapeCases...), "reg istry", "ключ", "a.b"); err != nil {
		t.Fatal(err)
	}
	got, ok := mustGet(t, mustParse(t, string(d.Bytes())), "reg istry", "ключ", "a.b").AsStrings()
	if !ok || !slices.Equal(got, escapeCases) {
		t.Errorf("array reads back %q", got)
	}
}

func TestSetRejectsInvalidUTF8(t *testing.T) {
	d := mustParse(t, "a = 1\n")
	for _, err := range []error{
		d.Set(String("bad\xff"), "a"),
		d.Set(String("ok"), "bad\xff"),
		d.Set(StringArray("ok", "\xc3"), "b"),
		d.Delete("bad\xff"),
		d.Set(String("x")),
		d.Set(Value{}, "a"),
	} {
		if err == nil || errors.Is(err, ErrRefused) {
			t.Errorf("error = %v, want a plain error", err)
		}
	}
	if d.Changed() || string(d.Bytes()) != "a = 1\n" {
		t.Errorf("a refused edit changed the document: %q", d.Bytes())
	}
}

func TestRefusals(t *testing.T) {
	src := "a = 1\nreg = { corp = { index = 'x' } }\n[[bin]]\nname = 'n'\n[t]\nk = 1\n"
	tests := []struct {
		name string
		edit func(d *Document) error
		line int
	}{
		{"set inside an inline table", func(d *Document) error { return d.Set(String("y"), "reg", "corp", "index") }, 2},
		{"add to an inline table", func(d *Document) error { return d.Set(String("y"), "reg", "corp", "new") }, 2},
		{"replace an inline table", func(d *Document) error { return d.Set(String("y"), "reg") }, 2},
		{"delete inside an inline table", func(d *Document) error { return d.Delete("reg", "corp") }, 2},
		{"set in an array of tables", func(d *Document) error { return d.Set(String("y"), "bin", "name") }, 3},
		{"delete an array of tables", func(d *Document) error { return d.Delete("bin") }, 3},
		{"set under a value", func(d *Document) error { return d.Set(String("y"), "a", "b") }, 1},
		{"set a table", func(d *Document) error { return d.Set(String("y"), "t") }, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := mustParse(t, src)
			err := tt.edit(d)
			var re *RefusedError
			if !errors.As(err, &re) || !errors.Is(err, ErrRefused) {
				t.Fatalf("error = %v, want *RefusedError", err)
			}
			if re.Line != tt.line || re.Path != "config.toml" || re.Hint == "" {
				t.Errorf("refusal %+v, want line %d with a hint", re, tt.line)
			}
			if !strings.HasPrefix(err.Error(), fmt.Sprintf("config.toml:%d: cannot ", tt.line)) {
				t.Errorf("message %q does not start with file:line", err)
			}
			if d.Changed() || string(d.Bytes()) != src {
				t.Error("a refused edit changed the document")
			}
		})
	}
}

func TestDeleteMissingKey(t *testing.T) {
	d := mustParse(t, "[t]\nk = 1\n")
	for _, key := range [][]string{{"u"}, {"t", "x"}, {"t", "k", "deeper"}} {
		if err := d.Delete(key...); !errors.Is(err, ErrNotFound) {
			t.Errorf("Delete(%q) = %v, want ErrNotFound", key, err)
		}
	}
}

func TestDeleteWholeInlineTableLine(t *testing.T) {
	d := mustParse(t, "[registries]\ncorp = { index = 'x' } # inline\nother.index = 'y'\n")
	if err := d.Delete("registries", "corp"); err != nil {
		t.Fatal(err)
	}
	if got, want := string(d.Bytes()), "[registries]\nother.index = 'y'\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestDeleteTableWithSubTablesAndDottedKeys(t *testing.T) {
	src := "[source]\nx.registry = 'a'\ny.registry = 'b'\n\n[source.x.sub]\nk = 1\n\n[net]\nretry = 1\n"
	d := mustParse(t, src)
	if err := d.Delete("source", "x"); err != nil {
		t.Fatal(err)
	}
	if got, want := string(d.Bytes()), "[source]\ny.registry = 'b'\n\n[net]\nretry = 1\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if len(d.Edits()) != 2 {
		t.Errorf("Edits = %+v, want two separate spans", d.Edits())
	}
	checkEdits(t, d)
}

func TestSetSameValueChangesNothing(t *testing.T) {
	d := mustParse(t, "k = 'v' # c\nn = 0x10\n")
	if err := d.Set(String("v"), "k"); err != nil {
		t.Fatal(err)
	}
	if err := d.Set(Integer(16), "n"); err != nil {
		t.Fatal(err)
	}
	if d.Changed() || d.Diff() != "" {
		t.Errorf("setting the same values changed the document: %q", d.Bytes())
	}
}

func TestUndoneEditsLeaveNoTrace(t *testing.T) {
	src := "[registries.corp]\nindex = 'a'\n"
	d := mustParse(t, src)
	if err := d.Set(String("b"), "registries", "corp", "index"); err != nil {
		t.Fatal(err)
	}
	if !d.Changed() || len(d.Edits()) != 1 {
		t.Fatalf("Edits = %+v after one change", d.Edits())
	}
	if err := d.Set(String("a"), "registries", "corp", "index"); err != nil {
		t.Fatal(err)
	}
	if d.Changed() || string(d.Bytes()) != src {
		t.Errorf("Edits = %+v, bytes %q after undoing", d.Edits(), d.Bytes())
	}
}

func TestDeleteKeepsTablesTheFileHad(t *testing.T) {
	d := mustParse(t, "[registries.corp]\nindex = 'a'\n")
	if err := d.Delete("registries", "corp", "index"); err != nil {
		t.Fatal(err)
	}
	if got, want := string(d.Bytes()), "[registries.corp]\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestValueNeverPrintsItsContent(t *testing.T) {
	const secret = "cio_SeCrEt_TOKEN_1234567890"
	d := mustParse(t, "token = '"+secret+"'\n")
	got := mustGet(t, d, "token")
	for _, v := range []Value{String(secret), StringArray(secret), got} {
		for _, format := range []string{"%v", "%+v", "%#v", "%s", "%q"} {
			if out := fmt.Sprintf(format, v); strings.Contains(out, secret) {
				t.Errorf("Sprintf(%q) = %q shows the secret", format, out)
			}
		}
	}
}
