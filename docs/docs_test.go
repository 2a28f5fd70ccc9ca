package docs

import (
	"bytes"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the generated files")

func TestGenerated(t *testing.T) {
	files, err := Generated()
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range files {
		if *update {
			if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(name, want, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(name)
		if err != nil {
			t.Errorf("docs/%s: %v (run `go test ./docs -update`)", name, err)
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("docs/%s is stale: run `go test ./docs -update` and commit it", name)
		}
	}
}

func TestGeneratedNamesEveryCommand(t *testing.T) {
	files, err := Generated()
	if err != nil {
		t.Fatal(err)
	}
	for _, cmd := range []string{"login", "logout", "token", "status", "verify", "rewrite-config", "import", "backends", "completion"} {
		for name, data := range files {
			if !strings.Contains(string(data), cmd) {
				t.Errorf("docs/%s does not mention %s", name, cmd)
			}
		}
	}
}

// TestBashCompletionCompletes sources the generated bash script and asks it
// to complete, both as `cargo-auth ...` and as `cargo auth ...`.
func TestBashCompletionCompletes(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Fatal("bash is needed to test the bash completion")
	}
	files, err := Generated()
	if err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(t.TempDir(), "c.bash")
	if err := os.WriteFile(script, files["completions/cargo-auth.bash"], 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		words string
		cword int
		want  string
	}{
		{"cargo-auth lo", 1, "login logout"},
		{"cargo auth ver", 2, "verify"},
		{"cargo auth verify --form", 3, "--format"},
		{"cargo-auth completion z", 2, "zsh"},
	}
	for _, c := range cases {
		prog := `source "$1"; COMP_WORDS=(` + c.words + `); COMP_CWORD=` + itoa(c.cword) + `
if [[ ${COMP_WORDS[0]} == cargo ]]; then _cargo_auth_cargo_wrapper; else _cargo_auth_complete; fi
echo "${COMPREPLY[*]}"`
		out, err := exec.Command(bash, "-c", prog, "bash", script).CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v\n%s", c.words, err, out)
		}
		if got := strings.TrimSpace(string(out)); got != c.want {
			t.Errorf("completing %q = %q, want %q", c.words, got, c.want)
		}
	}
}

func itoa(i int) string { return string(rune('0' + i)) }
