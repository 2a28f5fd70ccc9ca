// Package storetest is the contract every credentials.Store must meet: the
// real keyring backends, the fakes of the macOS and Windows keyrings, and
// the in-memory store other packages test with. A store that passes it can
// be swapped for any other without a caller noticing.
package storetest

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cargo-auth/cargo-auth/credentials"
)

// Run runs the contract against the stores newStore returns. newStore is
// called once per subtest and must return an empty store, isolated from
// every other one it returned (a fresh directory, keyring or namespace);
// it cleans up with t.Cleanup.
func Run(t *testing.T, newStore func(t *testing.T) credentials.Store) {
	t.Helper()
	c := &contract{newStore: newStore}
	cases := []struct {
		name string
		fn   func(*testing.T)
	}{
		{"GetMissing", c.getMissing},
		{"RoundTripEveryScheme", c.roundTripEveryScheme},
		{"UpdatedIsFilledIn", c.updatedIsFilledIn},
		{"Overwrite", c.overwrite},
		{"Delete", c.delete},
		{"ListSorted", c.listSorted},
		{"TrailingSlashIsOneRegistry", c.trailingSlash},
		{"AwkwardURLs", c.awkwardURLs},
		{"AwkwardSecrets", c.awkwardSecrets},
		{"ConcurrentSets", c.concurrentSets},
		{"BadIndexURL", c.badIndexURL},
		{"ErrorsNeverCarryTokens", c.errorsNeverCarryTokens},
	}
	// The cases run in parallel, each on its own store: slow backends (pass
	// runs gpg for every call) finish sooner, and stores that share state
	// behind their namespaces (one kernel keyring, one Secret Service
	// collection) show any leak between namespaces.
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t)
		})
	}
}

type contract struct {
	newStore func(t *testing.T) credentials.Store
}

// secret returns a unique token-looking secret.
func secret(t *testing.T, prefix string) string {
	t.Helper()
	b := make([]byte, 18)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return prefix + base64.RawURLEncoding.EncodeToString(b)
}

func ctx(t *testing.T) context.Context {
	t.Helper()
	c, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return c
}

func mustKey(t *testing.T, indexURL string) string {
	t.Helper()
	k, err := credentials.Key(indexURL)
	if err != nil {
		t.Fatalf("Key(%q): %v", indexURL, err)
	}
	return k
}

// noLeak fails when err's text contains one of the secrets.
func noLeak(t *testing.T, err error, secrets ...string) {
	t.Helper()
	if err == nil {
		return
	}
	for _, s := range secrets {
		if s != "" && strings.Contains(err.Error(), s) {
			t.Fatalf("error text contains a secret: %v", err)
		}
	}
}

func set(t *testing.T, s credentials.Store, cred credentials.Credential) {
	t.Helper()
	if err := s.Set(ctx(t), cred); err != nil {
		noLeak(t, err, cred.Token.Reveal())
		t.Fatalf("Set(%s): %v", cred.IndexURL, err)
	}
}

func get(t *testing.T, s credentials.Store, indexURL string) credentials.Credential {
	t.Helper()
	cred, err := s.Get(ctx(t), indexURL)
	if err != nil {
		t.Fatalf("Get(%s): %v", indexURL, err)
	}
	return cred
}

func list(t *testing.T, s credentials.Store) []string {
	t.Helper()
	urls, err := s.List(ctx(t))
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	return urls
}

// sameCredential compares every field a store must keep.
func sameCredential(t *testing.T, got, want credentials.Credential) {
	t.Helper()
	if got.Token.Reveal() != want.Token.Reveal() {
		t.Errorf("%s: secret differs after the round trip (got %d bytes, want %d)", want.IndexURL, len(got.Token.Reveal()), len(want.Token.Reveal()))
	}
	if got.Token.Scheme() != want.Token.Scheme() {
		t.Errorf("%s: scheme = %q, want %q", want.IndexURL, got.Token.Scheme(), want.Token.Scheme())
	}
	if got.Token.User() != want.Token.User() {
		t.Errorf("%s: user = %q, want %q", want.IndexURL, got.Token.User(), want.Token.User())
	}
	if got.Token.Authorization() != want.Token.Authorization() {
		t.Errorf("%s: Authorization differs after the round trip", want.IndexURL)
	}
	if !got.Token.Expires().Equal(want.Token.Expires()) {
		t.Errorf("%s: expires = %v, want %v", want.IndexURL, got.Token.Expires(), want.Token.Expires())
	}
	if got.IndexURL != want.IndexURL {
		t.Errorf("IndexURL = %q, want %q", got.IndexURL, want.IndexURL)
	}
	if got.Registry != want.Registry {
		t.Errorf("%s: Registry = %q, want %q", want.IndexURL, got.Registry, want.Registry)
	}
	if !slices.Equal(got.TokenCommand, want.TokenCommand) {
		t.Errorf("%s: TokenCommand = %q, want %q", want.IndexURL, got.TokenCommand, want.TokenCommand)
	}
	if !want.Updated.IsZero() && !got.Updated.Equal(want.Updated) {
		t.Errorf("%s: Updated = %v, want %v", want.IndexURL, got.Updated, want.Updated)
	}
}

func (c *contract) getMissing(t *testing.T) {
	s := c.newStore(t)
	_, err := s.Get(ctx(t), "sparse+https://missing.example/index/")
	if !errors.Is(err, credentials.ErrNotFound) {
		t.Fatalf("Get of a missing registry: err = %v, want ErrNotFound", err)
	}
	if urls := list(t, s); len(urls) != 0 {
		t.Fatalf("List of an empty store = %q, want nothing", urls)
	}
}

func (c *contract) roundTripEveryScheme(t *testing.T) {
	s := c.newStore(t)
	expires := time.Date(2031, 2, 3, 4, 5, 6, 789000000, time.UTC)
	updated := time.Date(2026, 1, 2, 3, 4, 5, 6000, time.UTC)
	creds := []credentials.Credential{
		{IndexURL: "sparse+https://raw.example/index/", Registry: "raw", Token: credentials.NewToken(secret(t, "raw_"), credentials.SchemeRaw)},
		{IndexURL: "sparse+https://bearer.example/api/cargo/", Registry: "bearer", Token: credentials.NewToken(secret(t, "bearer_"), credentials.SchemeBearer).WithExpiry(expires), TokenCommand: []string{"az", "account", "get-access-token", "--query", "accessToken"}},
		{IndexURL: "sparse+https://pkgs.dev.azure.example/org/_packaging/feed/Cargo/index/", Registry: "azure", Token: credentials.NewBasic("build agent", secret(t, "pat_")).WithExpiry(expires)},
		{IndexURL: "https://git.example/index.git", Token: credentials.NewToken(secret(t, "git_"), credentials.SchemeBearer), TokenCommand: []string{"/bin/sh", "-c", "echo \"$TOKEN\" 'quoted'"}},
	}
	for i := range creds {
		creds[i].Updated = updated
		set(t, s, creds[i])
	}
	for _, want := range creds {
		sameCredential(t, get(t, s, want.IndexURL), want)
	}
}

func (c *contract) updatedIsFilledIn(t *testing.T) {
	s := c.newStore(t)
	before := time.Now().Add(-time.Minute)
	set(t, s, credentials.Credential{IndexURL: "sparse+https://updated.example/", Token: credentials.NewToken(secret(t, "u_"), credentials.SchemeRaw)})
	got := get(t, s, "sparse+https://updated.example/")
	if got.Updated.Before(before) || got.Updated.After(time.Now().Add(time.Minute)) {
		t.Fatalf("Updated = %v, want the time of Set", got.Updated)
	}
}

func (c *contract) overwrite(t *testing.T) {
	s := c.newStore(t)
	const indexURL = "sparse+https://overwrite.example/index/"
	first := credentials.Credential{IndexURL: indexURL, Registry: "one", Token: credentials.NewToken(secret(t, "first_"), credentials.SchemeBearer), TokenCommand: []string{"old"}}
	second := credentials.Credential{IndexURL: indexURL, Registry: "two", Token: credentials.NewToken(secret(t, "second_"), credentials.SchemeRaw)}
	set(t, s, first)
	set(t, s, second)
	sameCredential(t, get(t, s, indexURL), second)
	if urls := list(t, s); !slices.Equal(urls, []string{mustKey(t, indexURL)}) {
		t.Fatalf("List after an overwrite = %q, want one entry", urls)
	}
}

func (c *contract) delete(t *testing.T) {
	s := c.newStore(t)
	const indexURL = "sparse+https://delete.example/"
	const other = "sparse+https://keep.example/"
	set(t, s, credentials.Credential{IndexURL: indexURL, Token: credentials.NewToken(secret(t, "d_"), credentials.SchemeRaw)})
	set(t, s, credentials.Credential{IndexURL: other, Token: credentials.NewToken(secret(t, "k_"), credentials.SchemeRaw)})
	if err := s.Delete(ctx(t), indexURL); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, err := s.Get(ctx(t), indexURL); !errors.Is(err, credentials.ErrNotFound) {
		t.Fatalf("Get after Delete: err = %v, want ErrNotFound", err)
	}
	if err := s.Delete(ctx(t), indexURL); !errors.Is(err, credentials.ErrNotFound) {
		t.Fatalf("Delete of a missing registry: err = %v, want ErrNotFound", err)
	}
	if err := s.Delete(ctx(t), "sparse+https://never-stored.example/"); !errors.Is(err, credentials.ErrNotFound) {
		t.Fatalf("Delete of a never-stored registry: err = %v, want ErrNotFound", err)
	}
	get(t, s, other)
	if urls := list(t, s); !slices.Equal(urls, []string{mustKey(t, other)}) {
		t.Fatalf("List after Delete = %q, want only %s", urls, other)
	}
}

func (c *contract) listSorted(t *testing.T) {
	s := c.newStore(t)
	in := []string{"sparse+https://c.example/", "https://b.example/index", "sparse+https://a.example/x/", "sparse+https://a.example/"}
	var want []string
	for _, u := range in {
		set(t, s, credentials.Credential{IndexURL: u, Token: credentials.NewToken(secret(t, "l_"), credentials.SchemeRaw)})
		want = append(want, mustKey(t, u))
	}
	slices.Sort(want)
	if got := list(t, s); !slices.Equal(got, want) {
		t.Fatalf("List = %q, want %q", got, want)
	}
}

func (c *contract) trailingSlash(t *testing.T) {
	s := c.newStore(t)
	cred := credentials.Credential{IndexURL: "sparse+https://Slash.EXAMPLE/x", Token: credentials.NewToken(secret(t, "s_"), credentials.SchemeRaw)}
	set(t, s, cred)
	for _, spelling := range []string{"sparse+https://slash.example/x/", "SPARSE+HTTPS://slash.example:443/x//", "sparse+https://user@slash.example/x"} {
		got := get(t, s, spelling)
		if got.Token.Reveal() != cred.Token.Reveal() {
			t.Errorf("Get(%s) found another token", spelling)
		}
	}
	replacement := credentials.Credential{IndexURL: "sparse+https://slash.example/x/", Token: credentials.NewToken(secret(t, "s2_"), credentials.SchemeRaw)}
	set(t, s, replacement)
	sameCredential(t, get(t, s, "sparse+https://slash.example/x"), replacement)
	if urls := list(t, s); len(urls) != 1 {
		t.Fatalf("List = %q, want one registry", urls)
	}
	if err := s.Delete(ctx(t), "sparse+https://SLASH.example/x"); err != nil {
		t.Fatalf("Delete through another spelling: %v", err)
	}
	if urls := list(t, s); len(urls) != 0 {
		t.Fatalf("List after Delete = %q, want nothing", urls)
	}
}

// AwkwardURLs are index URLs with every character that has tripped a
// keyring: '/' (pass paths), ';' (keyctl descriptions), '~', '%', spaces,
// quotes, unicode, paths that differ only in case, IPv6 hosts, ports, queries, userinfo, and a URL longer
// than any file name.
var AwkwardURLs = []string{
	"sparse+https://registry.example/api/v1/crates/",
	"sparse+https://registry.example/Org/Index/",
	"sparse+https://registry.example/org/index/",
	"sparse+https://registry.example/a;b,c=d/",
	"sparse+https://registry.example/tilde~user/~/",
	"sparse+https://registry.example/pct%2Fslash%25percent/",
	"sparse+https://registry.example/space%20and+plus/",
	"sparse+https://registry.example/quote%22s%27/back%5Cslash/",
	"sparse+https://registry.example/ünïcödé/日本/",
	"sparse+https://[::1]:8443/index/",
	"sparse+http://127.0.0.1:8080/",
	"sparse+https://registry.example/index/?org=acme&feed=main",
	"sparse+https://user:hunter2-password@userinfo.example/index/",
	"registry+https://git.example/org/index.git",
	"ssh://git@git.example:2222/org/index.git",
	"sparse+https://registry.example/" + strings.Repeat("long-segment/", 120),
}

func (c *contract) awkwardURLs(t *testing.T) {
	s := c.newStore(t)
	secrets := map[string]string{}
	var want []string
	for _, u := range AwkwardURLs {
		secrets[u] = secret(t, "awk_")
		set(t, s, credentials.Credential{IndexURL: u, Token: credentials.NewToken(secrets[u], credentials.SchemeBearer)})
		want = append(want, mustKey(t, u))
	}
	for _, u := range AwkwardURLs {
		if got := get(t, s, u); got.Token.Reveal() != secrets[u] {
			t.Errorf("Get(%s) returned another registry's token", u)
		}
	}
	slices.Sort(want)
	got := list(t, s)
	if !slices.Equal(got, want) {
		t.Fatalf("List =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, u := range got {
		if strings.Contains(u, "hunter2") || strings.Contains(u, "@userinfo") {
			t.Fatalf("List shows a URL with its userinfo: %s", u)
		}
	}
	for _, u := range AwkwardURLs {
		if err := s.Delete(ctx(t), u); err != nil {
			t.Fatalf("Delete(%s): %v", u, err)
		}
	}
	if got := list(t, s); len(got) != 0 {
		t.Fatalf("List after deleting everything = %q", got)
	}
}

func (c *contract) awkwardSecrets(t *testing.T) {
	s := c.newStore(t)
	long := make([]byte, 48<<10)
	if _, err := rand.Read(long); err != nil {
		t.Fatal(err)
	}
	secrets := map[string]string{
		"unicode":  "ключ-🔑-トークン-" + secret(t, ""),
		"newlines": "line1\nline2\r\nline3\n" + secret(t, ""),
		"quotes":   `"double" 'single' ` + "`back` \\ " + secret(t, ""),
		"json":     `{"v":2,"secret":"x"}` + secret(t, ""),
		"spaces":   "  padded " + secret(t, "") + "  ",
		"control":  "nul\x00tab\tesc\x1b" + secret(t, ""),
		"64KiB":    base64.RawURLEncoding.EncodeToString(long)[:64<<10],
	}
	for name, value := range secrets {
		cred := credentials.Credential{IndexURL: "sparse+https://secrets.example/" + name + "/", Registry: name, Token: credentials.NewToken(value, credentials.SchemeRaw)}
		set(t, s, cred)
		if got := get(t, s, cred.IndexURL); got.Token.Reveal() != value {
			t.Errorf("%s secret changed in the round trip (got %d bytes, want %d)", name, len(got.Token.Reveal()), len(value))
		}
	}
	// A long secret replaced by a short one and back leaves nothing behind.
	const indexURL = "sparse+https://secrets.example/64KiB/"
	short := secret(t, "short_")
	set(t, s, credentials.Credential{IndexURL: indexURL, Token: credentials.NewToken(short, credentials.SchemeRaw)})
	if got := get(t, s, indexURL); got.Token.Reveal() != short {
		t.Errorf("a short secret replacing a 64 KiB one came back as %d bytes", len(got.Token.Reveal()))
	}
	if got := list(t, s); len(got) != len(secrets) {
		t.Errorf("List = %d entries, want %d", len(got), len(secrets))
	}
}

func (c *contract) concurrentSets(t *testing.T) {
	s := c.newStore(t)
	const n = 16
	secrets := make([]string, n)
	for i := range secrets {
		secrets[i] = secret(t, fmt.Sprintf("c%d_", i))
	}
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = s.Set(ctx(t), credentials.Credential{IndexURL: fmt.Sprintf("sparse+https://concurrent.example/%02d/", i), Token: credentials.NewToken(secrets[i], credentials.SchemeRaw)})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		noLeak(t, err, secrets...)
		if err != nil {
			t.Fatalf("concurrent Set %d: %v", i, err)
		}
	}
	if got := list(t, s); len(got) != n {
		t.Fatalf("List after %d concurrent Sets = %d entries", n, len(got))
	}
	for i := range n {
		if got := get(t, s, fmt.Sprintf("sparse+https://concurrent.example/%02d", i)); got.Token.Reveal() != secrets[i] {
			t.Errorf("registry %d holds another token", i)
		}
	}
}

func (c *contract) badIndexURL(t *testing.T) {
	s := c.newStore(t)
	tok := secret(t, "bad_")
	for _, u := range []string{"", "not a url", "/relative/path", "https://", "sparse+"} {
		err := s.Set(ctx(t), credentials.Credential{IndexURL: u, Token: credentials.NewToken(tok, credentials.SchemeRaw)})
		if err == nil || errors.Is(err, credentials.ErrNotFound) {
			t.Errorf("Set(%q): err = %v, want a bad-URL error", u, err)
		}
		noLeak(t, err, tok)
		if _, err := s.Get(ctx(t), u); err == nil || errors.Is(err, credentials.ErrNotFound) {
			t.Errorf("Get(%q): err = %v, want a bad-URL error", u, err)
		}
	}
	if err := s.Set(ctx(t), credentials.Credential{IndexURL: "sparse+https://empty.example/"}); err == nil {
		t.Error("Set of an empty token succeeded")
	}
}

func (c *contract) errorsNeverCarryTokens(t *testing.T) {
	s := c.newStore(t)
	tok := secret(t, "leak_")
	password := secret(t, "pw_")
	// The process knows the token before any call: in real use it was read
	// from the user or the keyring first.
	token := credentials.NewToken(tok, credentials.SchemeBearer)
	indexURL := "sparse+https://ci:" + password + "@leak.example/" + tok + "/index/"
	var errs []error
	collect := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	_, err := s.Get(ctx(t), indexURL)
	collect(err)
	collect(s.Delete(ctx(t), indexURL))
	collect(s.Set(ctx(t), credentials.Credential{IndexURL: "::" + tok, Token: credentials.NewToken(tok, credentials.SchemeRaw)}))
	collect(s.Set(ctx(t), credentials.Credential{IndexURL: "https://ci:" + password + "@/" + tok, Token: credentials.NewToken(tok, credentials.SchemeRaw)}))
	set(t, s, credentials.Credential{IndexURL: indexURL, Token: token})
	if len(errs) < 3 {
		t.Fatalf("expected errors from the failing calls, got %d", len(errs))
	}
	for _, err := range errs {
		noLeak(t, err, tok, password)
	}
	for _, u := range list(t, s) {
		if strings.Contains(u, password) {
			t.Fatalf("List shows a URL password: %s", u)
		}
	}
}
