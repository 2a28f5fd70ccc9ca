package credentials_test

import (
	"context"
	"errors"
	"os"
	osexec "os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cargo-auth/cargo-auth/credentials"
)

const credentialsTOML = `# written by cargo login
token = "cgatest_legacy_toplevel_token_0001"

[registry]
token = "cgatest_cratesio_token_000000002"  # crates.io

[registries.corp]
# the corporate registry
token = "Bearer cgatest_corp_token_0000000003"

[registries.other]
token = 5

[registries.keep]
token = 'cgatest_keep_token_00000000000004'
`

func writeCargoHome(t *testing.T, mode os.FileMode) (home, path string) {
	t.Helper()
	home = t.TempDir()
	path = filepath.Join(home, "credentials.toml")
	if err := os.WriteFile(path, []byte(credentialsTOML), mode); err != nil {
		t.Fatal(err)
	}
	return home, path
}

func noBus() credentials.Options {
	return credentials.Options{Getenv: envWithout("DBUS_SESSION_BUS_ADDRESS", "XDG_RUNTIME_DIR")}
}

func TestReadCredentialsFile(t *testing.T) {
	home, path := writeCargoHome(t, 0o600)
	scan, err := credentials.ImportCandidates(context.Background(), home, noBus())
	if err != nil {
		t.Fatal(err)
	}
	type want struct {
		registry, where, auth string
	}
	var got []want
	for _, c := range scan.Candidates {
		got = append(got, want{c.Registry, c.Where(), c.Token.Authorization()})
		if strings.Contains(c.Masked(), "token_0") {
			t.Errorf("Masked() = %q shows the token", c.Masked())
		}
	}
	expected := []want{
		{"crates-io", path + ":5", "cgatest_cratesio_token_000000002"},
		{"crates-io", path + ":2", "cgatest_legacy_toplevel_token_0001"},
		{"corp", path + ":9", "Bearer cgatest_corp_token_0000000003"},
		{"keep", path + ":15", "cgatest_keep_token_00000000000004"},
	}
	if len(got) != len(expected) {
		t.Fatalf("candidates = %+v", got)
	}
	for i := range expected {
		if got[i] != expected[i] {
			t.Errorf("candidate %d = %+v, want %+v", i, got[i], expected[i])
		}
	}
	if scan.Candidates[2].Token.Scheme() != credentials.SchemeBearer {
		t.Errorf("a Bearer token lost its scheme")
	}
	var unchecked = strings.Join(scan.Unchecked, "\n")
	if !strings.Contains(unchecked, path+":12: registries.other.token is not a token") {
		t.Errorf("the non-string token is not reported: %q", scan.Unchecked)
	}
	if !strings.Contains(unchecked, "libsecret: no D-Bus session bus") {
		t.Errorf("an unreachable libsecret is not reported: %q", scan.Unchecked)
	}
}

func TestReadCredentialsFileMalformed(t *testing.T) {
	path := filepath.Join(t.TempDir(), "credentials.toml")
	const secret = "cgatest_malformed_toml_token_0005"
	if err := os.WriteFile(path, []byte("[registry]\ntoken = \""+secret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, _, err := credentials.ReadCredentialsFile(path)
	if err == nil || strings.Contains(err.Error(), secret) || !strings.Contains(err.Error(), path+":2") {
		t.Fatalf("err = %v", err)
	}
	if found, _, err := credentials.ReadCredentialsFile(filepath.Join(t.TempDir(), "missing")); err != nil || found != nil {
		t.Fatalf("a missing file: %v, %v", found, err)
	}
}

func TestImportFromCredentialsFile(t *testing.T) {
	home, path := writeCargoHome(t, 0o644)
	ctx := context.Background()
	scan, err := credentials.ImportCandidates(ctx, home, noBus())
	if err != nil {
		t.Fatal(err)
	}
	var corp credentials.Candidate
	for _, c := range scan.Candidates {
		if c.Registry == "corp" {
			corp = c
		}
	}
	store := credentials.NewMemoryStore()
	const indexURL = "sparse+https://corp.example/index/"

	// Without an index URL nothing happens.
	if err := credentials.Import(ctx, store, corp, credentials.ImportOptions{}); err == nil {
		t.Fatal("imported a file token without an index URL")
	}
	if err := credentials.Import(ctx, store, corp, credentials.ImportOptions{IndexURL: indexURL}); err != nil {
		t.Fatal(err)
	}
	got, err := store.Get(ctx, indexURL)
	if err != nil || got.Token.Authorization() != "Bearer cgatest_corp_token_0000000003" || got.Registry != "corp" {
		t.Fatalf("store holds %v, %v", got.Token.Authorization(), err)
	}
	after, _ := os.ReadFile(path)
	want := strings.Replace(credentialsTOML, "token = \"Bearer cgatest_corp_token_0000000003\"\n", "", 1)
	if string(after) != want {
		t.Fatalf("credentials.toml after import:\n%s\nwant:\n%s", after, want)
	}
	if info, _ := os.Stat(path); info.Mode().Perm() != 0o600 {
		t.Errorf("credentials.toml mode %v after import, want 0600", info.Mode().Perm())
	}

	// A different token already stored is not replaced unless asked.
	var keep credentials.Candidate
	for _, c := range scan.Candidates {
		if c.Registry == "keep" {
			keep = c
		}
	}
	const keepURL = "sparse+https://keep.example/"
	if err := store.Set(ctx, credentials.Credential{IndexURL: keepURL, Token: credentials.NewToken("cgatest_already_there_token_0006", credentials.SchemeRaw)}); err != nil {
		t.Fatal(err)
	}
	err = credentials.Import(ctx, store, keep, credentials.ImportOptions{IndexURL: keepURL})
	if !errors.Is(err, credentials.ErrAlreadyStored) || strings.Contains(err.Error(), "cgatest_") {
		t.Fatalf("err = %v, want ErrAlreadyStored without tokens", err)
	}
	if now, _ := os.ReadFile(path); string(now) != string(after) {
		t.Fatal("a refused import changed the file")
	}
	if err := credentials.Import(ctx, store, keep, credentials.ImportOptions{IndexURL: keepURL, Replace: true}); err != nil {
		t.Fatal(err)
	}
	if now, _ := os.ReadFile(path); strings.Contains(string(now), "cgatest_keep_token") {
		t.Fatal("the imported token is still in the file")
	}
}

// failingStore stores nothing: Import must then leave the source alone.
type failingStore struct{ credentials.Store }

func (f failingStore) Set(context.Context, credentials.Credential) error {
	return errors.New("keyring full")
}

func TestImportLeavesTheSourceWhenTheCopyFails(t *testing.T) {
	home, path := writeCargoHome(t, 0o600)
	found, _, err := credentials.ReadCredentialsFile(path)
	if err != nil {
		t.Fatal(err)
	}
	_ = home
	err = credentials.Import(context.Background(), failingStore{credentials.NewMemoryStore()}, found[0], credentials.ImportOptions{IndexURL: "sparse+https://index.crates.io/"})
	if err == nil {
		t.Fatal("import succeeded into a failing store")
	}
	if now, _ := os.ReadFile(path); string(now) != credentialsTOML {
		t.Fatal("the file changed although the copy failed")
	}
}

func TestLibsecretItems(t *testing.T) {
	if !keyringsProvided() {
		missing(t, "libsecret", "no test keyring daemon (CARGO_AUTH_TEST_KEYRINGS unset)")
	}
	ctx := context.Background()
	indexURL := "sparse+https://" + uniqueName(t) + ".example/index/"
	const token = "cgatest_libsecret_token_00000007"
	secretTool(t, token, "store", "--label=cargo-registry:corp", "xdg:schema", credentials.LibsecretSchema, "url", indexURL)
	t.Cleanup(func() { _ = run("secret-tool", "clear", "url", indexURL) })

	found, err := credentials.LibsecretTokens(ctx, credentials.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var item credentials.Candidate
	for _, c := range found {
		if c.IndexURL == indexURL {
			item = c
		}
	}
	if item.IndexURL == "" {
		t.Fatalf("the item stored with secret-tool was not found among %d", len(found))
	}
	if item.Registry != "corp" || item.Token.Reveal() != token || item.Locked || !strings.Contains(item.Where(), "libsecret") {
		t.Fatalf("item = registry %q, locked %v, where %q", item.Registry, item.Locked, item.Where())
	}

	// Found by another spelling of the URL, as cargo's configuration may
	// now spell it.
	byURL, err := credentials.LibsecretToken(ctx, credentials.Options{}, strings.TrimSuffix(indexURL, "/"))
	if err != nil || byURL.Token.Reveal() != token {
		t.Fatalf("LibsecretToken: %v", err)
	}
	if _, err := credentials.LibsecretToken(ctx, credentials.Options{}, "sparse+https://no-item.example/"); !errors.Is(err, credentials.ErrNotFound) {
		t.Fatalf("LibsecretToken of a registry without an item: %v", err)
	}

	store := credentials.NewMemoryStore()
	if err := credentials.Import(ctx, store, item, credentials.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	if got, err := store.Get(ctx, indexURL); err != nil || got.Token.Reveal() != token {
		t.Fatalf("imported: %v", err)
	}
	if out := secretTool(t, "", "search", "--all", "url", indexURL); strings.Contains(out, "cargo-registry:corp") {
		t.Fatalf("the libsecret item is still there after import:\n%s", out)
	}
}

func run(name string, args ...string) error { return osexec.Command(name, args...).Run() }
