package auth

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestStatusDocsListEveryProblem keeps docs/status.md and the problem
// catalogue in step: every id is documented with its severity, and the
// docs name no id the code does not have.
func TestStatusDocsListEveryProblem(t *testing.T) {
	data, err := os.ReadFile("../docs/status.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	for _, id := range problemIDs() {
		row := "| `" + id + "` | " + problemSeverity[id] + " |"
		if !strings.Contains(doc, row) {
			t.Errorf("docs/status.md has no row %q", row)
		}
	}
	for _, m := range regexp.MustCompile("(?m)^\\| `([a-z.-]+)` \\| (error|warning) \\|").FindAllStringSubmatch(doc, -1) {
		if _, ok := problemSeverity[m[1]]; !ok {
			t.Errorf("docs/status.md documents %s, which the code does not report", m[1])
		}
	}
}
