package registrytest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

// switchCase proves one switch over plain HTTP: check runs with the switch
// on; the registry has crate "abc" 0.1.0.
type switchCase struct {
	sw    Switch
	opts  []Option
	check func(t *testing.T, r *Registry, c *client)
}

func configOf(t *testing.T, c *client, r *Registry) map[string]any {
	t.Helper()
	got := c.expect(sparse(r)+"config.json", r.Token(), 200)
	var cfg map[string]any
	if err := json.Unmarshal([]byte(got.body), &cfg); err != nil {
		t.Fatalf("config.json: %v", err)
	}
	return cfg
}

func downloadURL(r *Registry) string { return r.URL() + "/api/v1/crates/abc/0.1.0/download" }

var switchCases = []switchCase{
	{sw: OpenConfig, check: func(t *testing.T, r *Registry, c *client) {
		if got := c.expect(sparse(r)+"config.json", "", 200); !strings.Contains(got.body, "auth-required") {
			t.Errorf("open config.json dropped auth-required: %s", got.body)
		}
		c.expect(sparse(r)+"3/a/abc", "", 401)
	}},
	{sw: OpenIndex, check: func(t *testing.T, r *Registry, c *client) {
		c.expect(sparse(r)+"3/a/abc", "", 200)
		c.expect(sparse(r)+"config.json", "", 401)
	}},
	{sw: OpenDownloads, check: func(t *testing.T, r *Registry, c *client) {
		c.expect(downloadURL(r), "", 200)
		c.expect(sparse(r)+"3/a/abc", "", 401)
	}},
	{sw: OpenAPI, check: func(t *testing.T, r *Registry, c *client) {
		c.expect(r.URL()+"/api/v1/crates?q=abc", "", 200)
		c.expect(r.URL()+"/api/v1/crates/abc/owners", "", 200)
		if got := c.do(http.MethodDelete, r.URL()+"/api/v1/crates/abc/0.1.0/yank", "", nil); got.status != 401 {
			t.Errorf("anonymous yank with open-api: %d, want 401", got.status)
		}
	}},
	{sw: AnyToken, check: func(t *testing.T, r *Registry, c *client) {
		c.expect(sparse(r)+"config.json", "anything", 200)
		c.expect(downloadURL(r), "Bearer nonsense", 200)
		c.expect(sparse(r)+"config.json", "", 401)
	}},
	{sw: Enumerate, check: func(t *testing.T, r *Registry, c *client) {
		c.expect(sparse(r)+"3/a/abc", "", 401)
		c.expect(sparse(r)+"3/x/xyz", "", 404)
		c.expect(downloadURL(r), "", 401)
		c.expect(r.URL()+"/api/v1/crates/xyz/0.1.0/download", "", 404)
	}},
	{sw: ConfigForbidden, check: func(t *testing.T, r *Registry, c *client) {
		if got := c.expect(sparse(r)+"config.json", "", 403); got.header.Get("WWW-Authenticate") != "" {
			t.Errorf("403 carries a challenge")
		}
		c.expect(sparse(r)+"config.json", r.Token(), 200)
		c.expect(sparse(r)+"3/a/abc", "", 401)
	}},
	{sw: Forbidden, check: func(t *testing.T, r *Registry, c *client) {
		c.expect(sparse(r)+"config.json", "", 403)
		c.expect(sparse(r)+"3/a/abc", "", 403)
		c.expect(downloadURL(r), "wrong", 403)
		c.expect(downloadURL(r), r.Token(), 200)
	}},
	{sw: OmitAuthRequired, check: func(t *testing.T, r *Registry, c *client) {
		if _, ok := configOf(t, c, r)["auth-required"]; ok {
			t.Errorf("config.json has auth-required")
		}
		c.expect(sparse(r)+"3/a/abc", "", 401)
	}},
	{sw: BasicChallenge, check: func(t *testing.T, r *Registry, c *client) {
		if got := c.expect(sparse(r)+"config.json", "", 401); !strings.HasPrefix(got.header.Get("WWW-Authenticate"), "Basic realm=") {
			t.Errorf("challenge %q, want Basic realm", got.header.Get("WWW-Authenticate"))
		}
	}},
	{sw: NoChallenge, check: func(t *testing.T, r *Registry, c *client) {
		if got := c.expect(sparse(r)+"config.json", "", 401); got.header.Values("WWW-Authenticate") != nil {
			t.Errorf("challenge %q, want none", got.header.Get("WWW-Authenticate"))
		}
	}},
	{sw: DLOtherHost, check: func(t *testing.T, r *Registry, c *client) {
		dl := configOf(t, c, r)["dl"].(string)
		if !strings.HasPrefix(dl, r.OriginURL(ListenerOther)+"/") || !strings.Contains(dl, "://localhost:") {
			t.Fatalf("dl = %s, want the other origin", dl)
		}
		c.expect(ExpandDL(dl, "abc", "0.1.0", ""), r.Token(), 200)
		other := r.RequestsOn(ListenerOther)
		if len(other) != 1 || !r.Carried(other[0], r.Token()) {
			t.Errorf("the other origin's log: %s", FormatRequests(other))
		}
	}},
	{sw: DLPlainHTTP, opts: []Option{WithTLS()}, check: func(t *testing.T, r *Registry, c *client) {
		dl := configOf(t, c, r)["dl"].(string)
		if !strings.HasPrefix(dl, "http://127.0.0.1:") || !strings.HasPrefix(r.URL(), "https://") {
			t.Fatalf("dl = %s, want plain http next to %s", dl, r.URL())
		}
		c.expect(ExpandDL(dl, "abc", "0.1.0", ""), r.Token(), 200)
	}},
	{sw: APIOtherOrigin, check: func(t *testing.T, r *Registry, c *client) {
		if api := configOf(t, c, r)["api"]; api != r.OriginURL(ListenerOther) {
			t.Errorf("api = %v, want %s", api, r.OriginURL(ListenerOther))
		}
	}},
	{sw: DLRedirectOffOrigin, check: func(t *testing.T, r *Registry, c *client) {
		checkSignedRedirect(t, r, c, ListenerOther)
	}},
	{sw: DLRedirectHTTP, opts: []Option{WithTLS()}, check: func(t *testing.T, r *Registry, c *client) {
		checkSignedRedirect(t, r, c, ListenerPlain)
	}},
	{sw: EchoToken, check: func(t *testing.T, r *Registry, c *client) {
		const wrong = "cgatest_echoed_value"
		if got := c.expect(sparse(r)+"3/a/abc", wrong, 401); !strings.Contains(got.body, wrong) {
			t.Errorf("401 body does not echo the header: %q", got.body)
		}
		if got := c.expect(r.URL()+"/api/v1/crates?q=abc", r.Token(), 200); !strings.Contains(got.body, r.Token()) {
			t.Errorf("API body does not echo the token")
		}
	}},
	{sw: BadChecksum, check: func(t *testing.T, r *Registry, c *client) {
		got := c.expect(downloadURL(r), r.Token(), 200)
		sum := sha256.Sum256([]byte(got.body))
		if hex.EncodeToString(sum[:]) == r.IndexEntries("abc")[0].Cksum {
			t.Errorf("the download matches its cksum")
		}
	}},
	{sw: EndlessBody, check: func(t *testing.T, r *Registry, c *client) {
		n := readAtMost(t, r, sparse(r)+"config.json", 8<<20, 30*time.Second)
		if n < 8<<20 {
			t.Errorf("endless body ended after %d bytes", n)
		}
	}},
	{sw: SlowBody, opts: []Option{WithTrickle(5 * time.Millisecond)}, check: func(t *testing.T, r *Registry, c *client) {
		start := time.Now()
		got := c.expect(sparse(r)+"config.json", r.Token(), 200)
		if took, min := time.Since(start), time.Duration(len(got.body)-1)*5*time.Millisecond; took < min {
			t.Errorf("a %d-byte body took %v, want at least %v", len(got.body), took, min)
		}
		if !strings.Contains(got.body, `"dl"`) {
			t.Errorf("trickled body %q is not config.json", got.body)
		}
	}},
	{sw: SlowHeaders, opts: []Option{WithSlowHeaders(300 * time.Millisecond)}, check: func(t *testing.T, r *Registry, c *client) {
		start := time.Now()
		c.expect(sparse(r)+"config.json", r.Token(), 200)
		if took := time.Since(start); took < 300*time.Millisecond {
			t.Errorf("headers came after %v, want at least 300ms", took)
		}
	}},
	{sw: RedirectLoop, check: func(t *testing.T, r *Registry, c *client) {
		url := sparse(r) + "config.json"
		for hop := 1; hop <= 3; hop++ {
			got := c.expect(url, r.Token(), http.StatusFound)
			loc := got.header.Get("Location")
			if !strings.Contains(loc, "/index/config.json?hop=") {
				t.Fatalf("hop %d: Location %q", hop, loc)
			}
			url = r.URL() + loc
		}
	}},
}

func checkSignedRedirect(t *testing.T, r *Registry, c *client, listener string) {
	t.Helper()
	got := c.expect(downloadURL(r), r.Token(), http.StatusFound)
	loc := got.header.Get("Location")
	if !strings.HasPrefix(loc, r.OriginURL(listener)+"/api/v1/crates/abc/0.1.0/download?sig=") {
		t.Fatalf("Location = %q, want a signed URL on %s", loc, r.OriginURL(listener))
	}
	c.expect(downloadURL(r), "", 401)
	c.expect(loc, "", 200)
	tampered, _ := url.Parse(loc)
	tampered.Path = "/api/v1/crates/abc/0.1.0/download"
	tampered.RawQuery = "sig=00"
	c.expect(tampered.String(), "", 401)
	var signed int
	for _, req := range r.RequestsOn(listener) {
		if req.Signed {
			signed++
		}
	}
	if signed != 1 {
		t.Errorf("%d signed requests on %s, want 1:\n%s", signed, listener, FormatRequests(r.Requests()))
	}
}

// readAtMost reads up to limit bytes of a GET's body within d.
func readAtMost(t *testing.T, r *Registry, target string, limit int64, d time.Duration) int64 {
	t.Helper()
	c := newClient(t, r)
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	req.Header.Set("Authorization", r.Token())
	resp, err := c.http.Do(req)
	if err != nil {
		t.Fatalf("GET: %v", err)
	}
	defer resp.Body.Close()
	n, _ := io.Copy(io.Discard, io.LimitReader(resp.Body, limit))
	return n
}

func TestSwitches(t *testing.T) {
	t.Parallel()
	covered := map[Switch]bool{OpenGit: true} // git_test.go covers open-git
	for _, tc := range switchCases {
		covered[tc.sw] = true
		t.Run(string(tc.sw), func(t *testing.T) {
			t.Parallel()
			opts := append([]Option{WithCrates(Crate{Name: "abc", Version: "0.1.0"})}, tc.opts...)
			r := New(t, opts...)
			c := newClient(t, r)
			// Off: the registry behaves; on: the check sees the fault.
			if got := c.get(sparse(r)+"config.json", r.Token()); got.status != 200 {
				t.Fatalf("config.json before the switch: %d", got.status)
			}
			if err := r.Enable(tc.sw); err != nil {
				t.Fatal(err)
			}
			if !r.Enabled(tc.sw) {
				t.Fatalf("%s not enabled", tc.sw)
			}
			tc.check(t, r, c)
			if err := r.Disable(tc.sw); err != nil {
				t.Fatal(err)
			}
			if got := c.get(sparse(r)+"config.json", ""); got.status != 401 {
				t.Errorf("anonymous config.json after disabling %s: %d, want 401", tc.sw, got.status)
			}
		})
	}
	for _, s := range Switches() {
		if !covered[s] {
			t.Errorf("switch %s has no test", s)
		}
		if s.Doc() == "" {
			t.Errorf("switch %s has no doc line", s)
		}
	}
}

func TestSwitchNames(t *testing.T) {
	if _, err := ParseSwitch("open-downloads"); err != nil {
		t.Error(err)
	}
	if _, err := ParseSwitch("no-such-switch"); err == nil {
		t.Error("ParseSwitch accepted an unknown name")
	}
	if _, err := Start(WithSwitches("no-such-switch")); err == nil {
		t.Error("Start accepted an unknown switch")
	}
	r := New(t)
	if err := r.Enable("no-such-switch"); err == nil {
		t.Error("Enable accepted an unknown switch")
	}
}

func TestHostileClasses(t *testing.T) {
	t.Parallel()
	r := New(t, WithSwitches(RedirectLoop), WithHostileClasses(ClassDownload), WithCrates(Crate{Name: "abc", Version: "0.1.0"}))
	c := newClient(t, r)
	c.expect(sparse(r)+"config.json", r.Token(), 200)
	c.expect(downloadURL(r), r.Token(), http.StatusFound)
	r.SetHostileClasses(ClassConfig)
	c.expect(sparse(r)+"config.json", r.Token(), http.StatusFound)
	c.expect(downloadURL(r), r.Token(), 200)
}

// TestSwitchCommentsMatchDocs keeps each constant's comment and its Doc line
// identical, so godoc and ParseSwitch users read the same description.
func TestSwitchCommentsMatchDocs(t *testing.T) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "misbehave.go", nil, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, decl := range f.Decls {
		gen, ok := decl.(*ast.GenDecl)
		if !ok || gen.Tok != token.CONST {
			continue
		}
		for _, spec := range gen.Specs {
			vs := spec.(*ast.ValueSpec)
			if ident, ok := vs.Type.(*ast.Ident); !ok || ident.Name != "Switch" {
				continue
			}
			lit := vs.Values[0].(*ast.BasicLit)
			name, _ := strconv.Unquote(lit.Value)
			seen++
			if got, want := strings.TrimSpace(vs.Doc.Text()), Switch(name).Doc(); got != want {
				t.Errorf("%s: comment %q, Doc %q", name, got, want)
			}
		}
	}
	if seen != len(Switches()) {
		t.Errorf("%d switch constants, %d documented switches", seen, len(Switches()))
	}
}
