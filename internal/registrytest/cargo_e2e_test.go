package registrytest

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The end-to-end tests run the real cargo against the registry. Each pins
// a behaviour later tests of cargo-auth rely on.

// privateCrates are two crates where app-core depends on app-util, so that
// fetching app-core resolves a private dependency of a private crate.
func privateCrates() []Crate {
	return []Crate{
		{Name: "app-util", Version: "0.1.0"},
		{Name: "app-util", Version: "0.2.0", Features: map[string][]string{"extra": {}}},
		{Name: "app-core", Version: "1.0.0", Deps: []Dep{{Name: "app-util", Req: "^0.2", Features: []string{"extra"}}}},
	}
}

// assertTokenOnEveryAuthenticated checks that every request that passed
// authentication carried the token and every anonymous one got 401.
func assertAuthLog(t *testing.T, r *Registry, classes ...Class) {
	t.Helper()
	token := r.Token()
	for _, req := range r.RequestsTo(classes...) {
		switch {
		case !req.Credential.Present():
			if req.Status != http.StatusUnauthorized {
				t.Errorf("anonymous %s %s got %d, want 401", req.Method, req.Path, req.Status)
			}
		case !r.Carried(req, token) || !req.Credential.Accepted:
			t.Errorf("%s %s came with %s, want the registry's token", req.Method, req.Path, req.Credential)
		}
	}
}

func classesSeen(r *Registry) map[Class]int {
	seen := map[Class]int{}
	for _, req := range r.Requests() {
		if req.Credential.Accepted {
			seen[req.Class]++
		}
	}
	return seen
}

func TestCargoSparseTLSEndToEnd(t *testing.T) {
	t.Parallel()
	r := New(t, WithTLS(), WithCrates(privateCrates()...))
	secrets := []string{r.Token()}
	c := newCargo(t).withRegistry(r, "corp", r.Token())
	c.writeProject(Project{Name: "consumer", Registry: "corp", Deps: map[string]string{"app-core": "1"}})

	c.mustRun(secrets, "generate-lockfile")
	lock, err := os.ReadFile(filepath.Join(c.project, "Cargo.lock"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`name = "app-core"`, `name = "app-util"`, `version = "0.2.0"`, "sparse+" + r.URL() + "/index/"} {
		if !strings.Contains(string(lock), want) {
			t.Errorf("Cargo.lock lacks %q:\n%s", want, lock)
		}
	}
	c.mustRun(secrets, "fetch")
	c.mustRun(secrets, "build", "--offline")

	// Publish a crate of our own, then yank it, list owners and search.
	publisher := newCargo(t).withRegistry(r, "corp", r.Token())
	publisher.writeProject(Project{Name: "app-new", Version: "0.3.0", Registry: "corp", Deps: map[string]string{"app-util": "0.2"}})
	publisher.mustRun(secrets, "publish", "--registry", "corp", "--no-verify", "--allow-dirty")
	entries := r.IndexEntries("app-new")
	if len(entries) != 1 || entries[0].Vers != "0.3.0" || len(entries[0].Deps) != 1 || entries[0].Deps[0].Registry != nil {
		t.Fatalf("published index entries = %+v", entries)
	}
	publisher.mustRun(secrets, "yank", "--registry", "corp", "app-new@0.3.0")
	if e := r.IndexEntries("app-new"); !e[0].Yanked {
		t.Errorf("app-new 0.3.0 is not yanked after cargo yank")
	}
	publisher.mustRun(secrets, "yank", "--undo", "--registry", "corp", "app-new@0.3.0")
	if e := r.IndexEntries("app-new"); e[0].Yanked {
		t.Errorf("app-new 0.3.0 is still yanked after cargo yank --undo")
	}
	if out := publisher.mustRun(secrets, "owner", "--list", "--registry", "corp", "app-new"); !strings.Contains(out, "owner") {
		t.Errorf("cargo owner --list printed %q, want the owner", out)
	}
	if out := publisher.mustRun(secrets, "search", "--registry", "corp", "app"); !strings.Contains(out, "app-core") || !strings.Contains(out, "app-new") {
		t.Errorf("cargo search printed %q, want app-core and app-new", out)
	}

	assertAuthLog(t, r, Classes...)
	seen := classesSeen(r)
	for _, class := range []Class{ClassConfig, ClassIndex, ClassDownload, ClassAPI} {
		if seen[class] == 0 {
			t.Errorf("no authenticated request to %s", class)
		}
	}
	if len(r.RequestsOn(ListenerOther))+len(r.RequestsOn(ListenerPlain)) > 0 {
		t.Errorf("requests reached the other origins:\n%s", FormatRequests(r.Requests()))
	}
	t.Logf("requests:\n%s", FormatRequests(r.Requests()))
}

// Cargo expands every dl marker and lowercases index paths of a crate
// whose name has capitals.
func TestCargoDLTemplateAndCapitalisedName(t *testing.T) {
	t.Parallel()
	r := New(t,
		WithDLTemplate("/files/{prefix}/{lowerprefix}/{crate}/{version}/{sha256-checksum}.crate"),
		WithCrates(Crate{Name: "Base", Version: "0.1.0"}, Crate{Name: "UpperCase", Version: "1.0.0", Deps: []Dep{{Name: "Base", Req: "0.1"}}}),
	)
	c := newCargo(t).withRegistry(r, "corp", r.Token())
	c.writeProject(Project{Name: "consumer", Registry: "corp", Deps: map[string]string{"UpperCase": "1"}})
	c.mustRun([]string{r.Token()}, "fetch")
	var paths []string
	for _, req := range r.Requests() {
		if req.Class == ClassIndex || req.Class == ClassDownload {
			paths = append(paths, req.Path)
			if req.Status != 200 {
				t.Errorf("%s", req)
			}
		}
	}
	got := strings.Join(paths, "\n")
	for _, want := range []string{"/index/up/pe/uppercase", "/index/ba/se/base", "/files/Up/pe/up/pe/UpperCase/1.0.0/", "/files/Ba/se/ba/se/Base/0.1.0/"} {
		if !strings.Contains(got, want) {
			t.Errorf("no request to %s in:\n%s", want, got)
		}
	}
}
