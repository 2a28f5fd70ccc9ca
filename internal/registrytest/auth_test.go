package registrytest

import (
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
)

func basic(user, password string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+password))
}

func TestParseAuthorization(t *testing.T) {
	tests := []struct {
		header       string
		form         Form
		secret, user string
	}{
		{"", FormNone, "", ""},
		{"tok", FormRaw, "tok", ""},
		{"Bearer tok", FormBearer, "tok", ""},
		{"bearer  tok", FormBearer, "tok", ""},
		{"token tok", FormToken, "tok", ""},
		{basic("PAT", "tok"), FormBasic, "tok", "PAT"},
		{basic("", "tok"), FormBasic, "tok", ""},
		{"Basic !!notbase64", FormRaw, "Basic !!notbase64", ""},
		{"Other tok", FormRaw, "Other tok", ""},
	}
	for _, tt := range tests {
		p := parseAuthorization(tt.header)
		if p.form != tt.form || p.secret != tt.secret || p.user != tt.user {
			t.Errorf("parseAuthorization(%s) = %q %q %q, want %q %q %q", describeAuth(tt.header), p.form, p.secret, p.user, tt.form, tt.secret, tt.user)
		}
	}
}

func TestClassify(t *testing.T) {
	tokens := []string{"first", "second"}
	tests := []struct {
		name     string
		schemes  []Scheme
		class    Class
		header   string
		anyToken bool
		want     Credential
	}{
		{"none", []Scheme{SchemeRaw}, ClassIndex, "", false, Credential{Token: -1}},
		{"raw", []Scheme{SchemeRaw}, ClassIndex, "second", false, Credential{FormRaw, 1, true}},
		{"raw unknown", []Scheme{SchemeRaw}, ClassIndex, "third", false, Credential{FormRaw, -1, false}},
		{"bearer where raw wanted", []Scheme{SchemeRaw}, ClassIndex, "Bearer first", false, Credential{FormBearer, 0, false}},
		{"bearer", []Scheme{SchemeBearer}, ClassAPI, "Bearer first", false, Credential{FormBearer, 0, true}},
		{"gitea token form", []Scheme{SchemeBearer}, ClassAPI, "token first", false, Credential{FormToken, 0, true}},
		{"raw where bearer wanted", []Scheme{SchemeBearer}, ClassAPI, "first", false, Credential{FormRaw, 0, false}},
		{"basic", []Scheme{SchemeBasic}, ClassDownload, basic("PAT", "first"), false, Credential{FormBasic, 0, true}},
		{"basic token as user", []Scheme{SchemeBasic}, ClassDownload, basic("first", ""), false, Credential{FormBasic, 0, false}},
		{"git takes basic whatever the scheme", []Scheme{SchemeRaw}, ClassGit, basic("x", "second"), false, Credential{FormBasic, 1, true}},
		{"git refuses raw", []Scheme{SchemeRaw}, ClassGit, "second", false, Credential{FormRaw, 1, false}},
		{"any token", []Scheme{SchemeRaw}, ClassIndex, "whatever", true, Credential{FormRaw, -1, true}},
		{"several schemes", []Scheme{SchemeRaw, SchemeBasic}, ClassIndex, basic("u", "first"), false, Credential{FormBasic, 0, true}},
	}
	for _, tt := range tests {
		got := classify(tokens, tt.schemes, tt.class, parseAuthorization(tt.header), tt.anyToken)
		if got != tt.want {
			t.Errorf("%s: classify = %s (%+v), want %s", tt.name, got, got, tt.want)
		}
	}
	if got := classify(tokens, nil, ClassIndex, presented{form: FormPath, secret: "first"}, false); got != (Credential{FormPath, 0, true}) {
		t.Errorf("path token: %s", got)
	}
}

func TestSchemesOverHTTP(t *testing.T) {
	t.Parallel()
	const tok = "cgatest_schemes_token"
	tests := []struct {
		scheme Scheme
		good   string
		bad    []string
	}{
		{SchemeRaw, tok, []string{"Bearer " + tok, basic("u", tok), "cgatest_wrong"}},
		{SchemeBearer, "Bearer " + tok, []string{tok, basic("u", tok), "Bearer cgatest_wrong"}},
		{SchemeBasic, basic("PAT", tok), []string{tok, "Bearer " + tok, basic("PAT", "cgatest_wrong")}},
	}
	for _, tt := range tests {
		r := New(t, WithTokens(tok), WithSchemes(tt.scheme), WithCrates(Crate{Name: "abc", Version: "0.1.0"}))
		c := newClient(t, r)
		urls := map[Class]string{
			ClassConfig:   sparse(r) + "config.json",
			ClassIndex:    sparse(r) + "3/a/abc",
			ClassDownload: r.URL() + "/api/v1/crates/abc/0.1.0/download",
		}
		for class, url := range urls {
			c.expect(url, tt.good, 200)
			got := c.expect(url, "", 401)
			if want := `Cargo login_url="` + r.URL() + `/me"`; got.header.Get("WWW-Authenticate") != want {
				t.Errorf("%s %s: challenge %q, want %q", tt.scheme, class, got.header.Get("WWW-Authenticate"), want)
			}
			if !strings.Contains(got.body, `{"errors":[{"detail":`) {
				t.Errorf("%s %s: 401 body %q is not an errors object", tt.scheme, class, got.body)
			}
			for _, bad := range tt.bad {
				c.expect(url, bad, 401)
			}
		}
		c.expect(r.URL()+"/api/v1/crates?q=a", tt.good, 200)
		for _, bad := range tt.bad {
			c.expect(r.URL()+"/api/v1/crates?q=a", bad, 403)
		}
		if !r.SawToken(tok) {
			t.Errorf("%s: SawToken is false after requests with the token", tt.scheme)
		}
	}
}

func TestAnonymousClassesAndAuthRequired(t *testing.T) {
	t.Parallel()
	r := New(t, WithAnonymous(ClassConfig, ClassIndex, ClassDownload), WithCrates(Crate{Name: "abc", Version: "0.1.0"}))
	c := newClient(t, r)
	got := c.expect(sparse(r)+"config.json", "", 200)
	if strings.Contains(got.body, "auth-required") {
		t.Errorf("a public index claims auth-required: %s", got.body)
	}
	c.expect(sparse(r)+"3/a/abc", "", 200)
	c.expect(r.URL()+"/api/v1/crates/abc/0.1.0/download", "", 200)
	c.expect(r.URL()+"/api/v1/crates?q=a", "", 401)
	if got := c.do(http.MethodDelete, r.URL()+"/api/v1/crates/abc/0.1.0/yank", "", nil); got.status != 401 {
		t.Errorf("anonymous yank on a public registry: %d, want 401", got.status)
	}

	private := New(t)
	got = newClient(t, private).expect(sparse(private)+"config.json", private.Token(), 200)
	if !strings.Contains(got.body, `"auth-required": true`) {
		t.Errorf("a private index lacks auth-required: %s", got.body)
	}
}

func TestPathToken(t *testing.T) {
	t.Parallel()
	r := New(t, WithPathToken(), WithCrates(Crate{Name: "abc", Version: "0.1.0"}))
	c := newClient(t, r)
	tok := r.Token()
	base := strings.TrimPrefix(r.PathTokenIndexURL(tok), "sparse+")
	got := c.expect(base+"config.json", "", 200)
	if !strings.Contains(got.body, r.URL()+"/"+tok+"/api/v1/crates/{crate}/{version}/download") || strings.Contains(got.body, "auth-required") {
		t.Errorf("path-token config.json = %s, want dl under the token and no auth-required", r.redact(got.body))
	}
	c.expect(base+"3/a/abc", "", 200)
	c.expect(r.URL()+"/"+tok+"/api/v1/crates/abc/0.1.0/download", "", 200)
	c.expect(strings.TrimPrefix(r.PathTokenIndexURL("cgatest_wrong"), "sparse+")+"config.json", "", 401)
	c.expect(sparse(r)+"config.json", "", 401)

	for _, req := range r.Requests() {
		if strings.Contains(req.Path, tok) || strings.Contains(req.String(), tok) {
			t.Errorf("the request log holds the path token: %s", r.redact(req.String()))
		}
		if strings.HasPrefix(req.Path, "/<path-token>/") != (req.Credential.Form == FormPath) {
			t.Errorf("path %s recorded with credential %s", req.Path, req.Credential)
		}
	}
	if n := len(r.RequestsCarrying(tok)); n != 3 {
		t.Errorf("%d requests carried the path token, want 3", n)
	}
}
