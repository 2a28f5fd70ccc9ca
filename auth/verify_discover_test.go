package auth

import (
	"fmt"
	"strings"
	"testing"

	"github.com/cargo-auth/cargo-auth/internal/registrytest"
)

// manyCrates publishes n crates with names that share long prefixes, the
// hard case for discovery through a search that returns 100 results at
// most and does not page.
func manyCrates(n int) registrytest.Option {
	var crates []registrytest.Crate
	for i := range n {
		crates = append(crates, registrytest.Crate{Name: fmt.Sprintf("corp-service-%04d", i), Version: "1.0.0"})
	}
	return registrytest.WithCrates(crates...)
}

func TestVerifyDiscoversMoreCratesThanOneSearchPage(t *testing.T) {
	reg := registrytest.New(t, manyCrates(250))
	out := newVerifyEnv(t, reg).withToken().run(verifyOptions{Jobs: 8})
	c := out.report.Crates
	if c.Source != "search" || c.Crates != 250 || c.RegistryTotal != 250 || c.Versions != 250 {
		t.Errorf("crates = %+v, want all 250 discovered", c)
	}
	if out.code != 0 {
		t.Errorf("exit %d\n%s", out.code, out.stdout)
	}
	if got := out.check(t, "index.anonymous").Requests; got != 250 {
		t.Errorf("index.anonymous judged %d requests, want 250", got)
	}
	t.Log(c.Note)
}

// When the query budget runs out, the report says how many crates were
// found of how many, and the audit goes on with those.
func TestVerifyDiscoveryBudget(t *testing.T) {
	reg := registrytest.New(t, manyCrates(150))
	out := newVerifyEnv(t, reg).withToken().run(verifyOptions{SearchBudget: 1})
	c := out.report.Crates
	if c.Crates != 100 || c.RegistryTotal != 150 || !strings.Contains(c.Note, "name the rest") {
		t.Errorf("crates = %+v, want 100 of 150 and a note", c)
	}
	if out.code != 0 {
		t.Errorf("exit %d", out.code)
	}
}

func TestExpandDL(t *testing.T) {
	cases := []struct{ template, want string }{
		{"https://r.example/api/v1/crates", "https://r.example/api/v1/crates/MyCrate/1.2.3/download"},
		{"https://r.example/dl/{crate}/{version}", "https://r.example/dl/MyCrate/1.2.3"},
		{"https://r.example/{prefix}/{lowerprefix}/{crate}-{version}.crate", "https://r.example/My/Cr/my/cr/MyCrate-1.2.3.crate"},
		{"https://r.example/by-sum/{sha256-checksum}", "https://r.example/by-sum/abc"},
	}
	for _, c := range cases {
		got, err := expandDL(c.template, "MyCrate", "1.2.3", "abc")
		if err != nil || got != c.want {
			t.Errorf("expandDL(%q) = %q, %v; want %q", c.template, got, err, c.want)
		}
	}
	if _, err := expandDL("https://r.example/{sha256-checksum}", "a", "1.0.0", ""); err == nil {
		t.Error("a checksum template without a checksum expanded")
	}
	for name, want := range map[string]string{"a": "1/a", "ab": "2/ab", "abc": "3/a/abc", "Cargo": "ca/rg/cargo"} {
		if got := indexPath(name); got != want {
			t.Errorf("indexPath(%q) = %q, want %q", name, got, want)
		}
	}
}
