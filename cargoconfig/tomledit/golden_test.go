package tomledit

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/txtar"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// TestGolden runs the edits described in each testdata/*.txtar on its
// before.toml and compares the result with after.toml, the errors with
// errors.txt and the --dry-run diff with diff.txt.
//
// The comment of each archive holds one instruction a line:
//
//	set <toml key> = <toml value>
//	delete <toml key>
//	input: crlf | no-final-newline | bom
//
// The input directives turn the stored before.toml (LF, final newline, no
// BOM, as txtar keeps it) into the tricky file; the output is checked to
// have kept that property, then turned back for comparison.
func TestGolden(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.txtar"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 15 {
		t.Fatalf("found %d golden files, want at least 15", len(files))
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txtar"), func(t *testing.T) {
			runGolden(t, file)
		})
	}
}

func runGolden(t *testing.T, file string) {
	ar, err := txtar.ParseFile(file)
	if err != nil {
		t.Fatal(err)
	}
	sections := map[string][]byte{}
	for _, f := range ar.Files {
		sections[f.Name] = f.Data
	}
	before, ok := sections["before.toml"]
	if !ok {
		t.Fatal("no before.toml section")
	}
	inputs := map[string]bool{}
	var ops []string
	for _, line := range strings.Split(string(ar.Comment), "\n") {
		line = strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(line, "input:"):
			inputs[strings.TrimSpace(strings.TrimPrefix(line, "input:"))] = true
		case strings.HasPrefix(line, "set "), strings.HasPrefix(line, "delete "):
			ops = append(ops, line)
		}
	}
	src := transform(before, inputs)
	d, err := Parse("config.toml", src)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	var errs bytes.Buffer
	for _, op := range ops {
		if err := runOp(t, d, op); err != nil {
			errs.WriteString(err.Error() + "\n")
		}
	}
	out := d.Bytes()
	if _, err := Parse("after.toml", out); err != nil {
		t.Fatalf("output does not parse: %v", err)
	}
	checkEdits(t, d)
	checkDiff(t, d)
	got := untransform(t, out, inputs)

	want := map[string][]byte{"after.toml": got, "errors.txt": errs.Bytes(), "diff.txt": []byte(d.Diff())}
	if *update {
		var files []txtar.File
		files = append(files, txtar.File{Name: "before.toml", Data: before})
		for _, name := range []string{"after.toml", "errors.txt", "diff.txt"} {
			if len(want[name]) > 0 || name == "after.toml" {
				files = append(files, txtar.File{Name: name, Data: want[name]})
			}
		}
		ar.Files = files
		if err := os.WriteFile(file, txtar.Format(ar), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	for name, w := range want {
		if !bytes.Equal(sections[name], w) {
			t.Errorf("%s differs (run go test -update to accept)\ngot:\n%s\nwant:\n%s", name, w, sections[name])
		}
	}
}

// runOp parses one "set"/"delete" instruction and applies it to d.
func runOp(t *testing.T, d *Document, op string) error {
	t.Helper()
	verb, rest, _ := strings.Cut(op, " ")
	if verb == "delete" {
		rest += " = 0"
	}
	line, err := Parse("instruction", []byte(rest))
	if err != nil {
		t.Fatalf("bad instruction %q: %v", op, err)
	}
	paths := allPaths(line)
	key := paths[len(paths)-1]
	if verb == "delete" {
		return d.Delete(key...)
	}
	value, ok := line.Get(key...)
	if !ok {
		t.Fatalf("bad instruction %q: no value", op)
	}
	return d.Set(value, key...)
}

// transform makes the tricky input the directives ask for.
func transform(src []byte, inputs map[string]bool) []byte {
	if inputs["crlf"] {
		src = bytes.ReplaceAll(src, []byte("\n"), []byte("\r\n"))
	}
	if inputs["no-final-newline"] {
		src = bytes.TrimSuffix(bytes.TrimSuffix(src, []byte("\n")), []byte("\r"))
	}
	if inputs["bom"] {
		src = append(append([]byte{}, bom...), src...)
	}
	return src
}

// untransform checks the output kept the input's property and undoes it.
func untransform(t *testing.T, out []byte, inputs map[string]bool) []byte {
	t.Helper()
	if inputs["bom"] {
		if !bytes.HasPrefix(out, bom) {
			t.Errorf("byte order mark lost")
		}
		out = bytes.TrimPrefix(out, bom)
	}
	if inputs["no-final-newline"] {
		if bytes.HasSuffix(out, []byte("\n")) {
			t.Errorf("output gained a final newline")
		}
		if len(out) > 0 {
			out = append(bytes.Clone(out), '\n')
		}
	}
	if inputs["crlf"] {
		if n, m := bytes.Count(out, []byte("\n")), bytes.Count(out, []byte("\r\n")); n != m {
			t.Errorf("output has %d LF line endings among %d CRLF", n-m, m)
		}
		out = bytes.ReplaceAll(out, []byte("\r\n"), []byte("\n"))
	}
	return out
}
