package leakguard

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFind(t *testing.T) {
	secret := "s3cr3t-value-xyz"
	cases := []struct {
		text string
		leak bool
	}{
		{"nothing here", false},
		{"token " + NewToken() + " printed", true},
		{"Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte("user:"+secret)), true},
		{"url https://h/" + secret + "/index", true},
		{"masked s3cr…-xyz", false},
	}
	for _, c := range cases {
		what, leak := Find(c.text, []string{secret})
		if leak != c.leak {
			t.Errorf("Find(%q) leak = %v, want %v", c.text, leak, c.leak)
		}
		if strings.Contains(what, secret) || strings.Contains(what, TokenPrefix+"0") {
			t.Errorf("Find's description repeats the secret: %q", what)
		}
	}
}

func TestScanDir(t *testing.T) {
	root := t.TempDir()
	tok := NewToken()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.WriteFile(filepath.Join(root, "clean.txt"), []byte("ok"), 0o600))
	must(os.WriteFile(filepath.Join(root, "leak.log"), []byte("got "+tok), 0o600))
	must(os.WriteFile(filepath.Join(root, "allowed.toml"), []byte(tok), 0o600))
	findings, err := ScanDir(root, nil, func(p string) bool { return filepath.Base(p) == "allowed.toml" })
	must(err)
	if len(findings) != 1 || filepath.Base(findings[0].Path) != "leak.log" {
		t.Fatalf("findings = %+v, want only leak.log", findings)
	}
}
