package registrytest

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

func testCrateBytes(t *testing.T, name, version string) []byte {
	t.Helper()
	v, err := buildCrate(Crate{Name: name, Version: version}, "sparse+http://h/index/")
	if err != nil {
		t.Fatal(err)
	}
	return v.data
}

func TestPublishBodyRoundTrip(t *testing.T) {
	crate := testCrateBytes(t, "pub", "0.1.0")
	meta := PublishMetadata{Name: "pub", Vers: "0.1.0", Features: map[string][]string{"f": {}}}
	body, err := EncodePublish(meta, crate)
	if err != nil {
		t.Fatal(err)
	}
	n := binary.LittleEndian.Uint32(body)
	if !json.Valid(body[4:4+n]) || binary.LittleEndian.Uint32(body[4+n:]) != uint32(len(crate)) || len(body) != int(8+n)+len(crate) {
		t.Errorf("the length prefixes do not frame the JSON and the crate")
	}
	got, data, err := parsePublish(bytes.NewReader(body), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "pub" || got.Vers != "0.1.0" || !bytes.Equal(data, crate) {
		t.Errorf("parsePublish = %+v, %d bytes", got, len(data))
	}
}

func TestPublishBodyRejects(t *testing.T) {
	crate := testCrateBytes(t, "pub", "0.1.0")
	good, _ := EncodePublish(PublishMetadata{Name: "pub", Vers: "0.1.0"}, crate)
	huge := binary.LittleEndian.AppendUint32(nil, 1<<31)
	tests := map[string][]byte{
		"empty":              {},
		"short length":       {1, 0},
		"truncated json":     good[:10],
		"truncated crate":    good[:len(good)-5],
		"trailing bytes":     append(append([]byte(nil), good...), 'x'),
		"json length > max":  huge,
		"crate length > max": append(append(binary.LittleEndian.AppendUint32(nil, 2), '{', '}'), huge...),
		"not json":           append(binary.LittleEndian.AppendUint32(nil, 3), "abc"...),
	}
	for name, body := range tests {
		if _, _, err := parsePublish(bytes.NewReader(body), 1<<20); err == nil {
			t.Errorf("%s: parsePublish succeeded", name)
		}
	}
}

func TestVersionFromPublish(t *testing.T) {
	crate := testCrateBytes(t, "pub", "0.1.0")
	alias, other, own := "al", "https://github.com/rust-lang/crates.io-index", "sparse+http://h/index/"
	meta := PublishMetadata{
		Name: "pub", Vers: "0.1.0",
		Deps: []PublishDep{
			{Name: "real", VersionReq: "^1", ExplicitNameInToml: &alias, DefaultFeatures: true},
			{Name: "same", VersionReq: "^2", Registry: &own, Kind: "dev"},
			{Name: "elsewhere", VersionReq: "^3", Registry: &other},
		},
		Features: map[string][]string{"x": {"dep:real"}},
	}
	v, err := versionFromPublish(meta, crate, []string{own})
	if err != nil {
		t.Fatal(err)
	}
	d := v.entry.Deps
	if d[0].Name != "al" || d[0].Package == nil || *d[0].Package != "real" || d[0].Req != "^1" || d[0].Kind != "normal" {
		t.Errorf("renamed dep = %+v", d[0])
	}
	if d[1].Registry != nil || d[1].Kind != "dev" {
		t.Errorf("dep on this registry = %+v, want registry null", d[1])
	}
	if d[2].Registry == nil || *d[2].Registry != other {
		t.Errorf("dep on another registry = %+v", d[2])
	}
	if v.entry.V != 2 || v.entry.Features2["x"] == nil {
		t.Errorf("features = %v / %v (v%d)", v.entry.Features, v.entry.Features2, v.entry.V)
	}
	bad := []struct {
		name string
		meta PublishMetadata
		data []byte
	}{
		{"bad name", PublishMetadata{Name: "a b", Vers: "0.1.0"}, crate},
		{"bad version", PublishMetadata{Name: "pub", Vers: "x"}, crate},
		{"not gzip", PublishMetadata{Name: "pub", Vers: "0.1.0"}, []byte("plain")},
		{"wrong root", PublishMetadata{Name: "other", Vers: "0.1.0"}, crate},
	}
	for _, tt := range bad {
		if _, err := versionFromPublish(tt.meta, tt.data, nil); err == nil {
			t.Errorf("%s: versionFromPublish succeeded", tt.name)
		}
	}
}

func TestWebAPIOverHTTP(t *testing.T) {
	t.Parallel()
	r := New(t, WithCrates(Crate{Name: "base", Version: "1.0.0", Description: "the base of it all"}))
	c := newClient(t, r)
	tok := r.Token()
	api := r.URL() + "/api/v1/crates"

	body, _ := EncodePublish(PublishMetadata{Name: "pub", Vers: "0.1.0", Description: "published"}, testCrateBytes(t, "pub", "0.1.0"))
	if got := c.do(http.MethodPut, api+"/new", "", bytes.NewReader(body)); got.status != http.StatusUnauthorized {
		t.Errorf("anonymous publish: %d, want 401", got.status)
	}
	if got := c.do(http.MethodPut, api+"/new", "wrong", bytes.NewReader(body)); got.status != http.StatusForbidden {
		t.Errorf("publish with a wrong token: %d, want 403", got.status)
	}
	if got := c.do(http.MethodPut, api+"/new", tok, bytes.NewReader(body)); got.status != http.StatusOK || !strings.Contains(got.body, "warnings") {
		t.Fatalf("publish: %d %s", got.status, got.body)
	}
	if got := c.do(http.MethodPut, api+"/new", tok, bytes.NewReader(body)); got.status != http.StatusConflict || !strings.Contains(got.body, `"errors":[{"detail":`) {
		t.Errorf("publishing again: %d %s, want 409 with an errors object", got.status, got.body)
	}
	if got := c.expect(sparse(r)+IndexPath("pub"), tok, 200); !strings.Contains(got.body, `"vers":"0.1.0"`) {
		t.Errorf("index after publish: %s", got.body)
	}

	if got := c.do(http.MethodDelete, api+"/pub/0.1.0/yank", tok, nil); got.status != 200 || !strings.Contains(got.body, `"ok":true`) {
		t.Errorf("yank: %d %s", got.status, got.body)
	}
	if !r.IndexEntries("pub")[0].Yanked {
		t.Errorf("not yanked")
	}
	if got := c.do(http.MethodPut, api+"/pub/0.1.0/unyank", tok, nil); got.status != 200 || r.IndexEntries("pub")[0].Yanked {
		t.Errorf("unyank: %d %s", got.status, got.body)
	}
	if got := c.do(http.MethodDelete, api+"/pub/9.9.9/yank", tok, nil); got.status != 404 {
		t.Errorf("yanking a missing version: %d", got.status)
	}

	if got := c.do(http.MethodPut, api+"/pub/owners", tok, strings.NewReader(`{"users":["alice"]}`)); got.status != 200 || !strings.Contains(got.body, `"msg"`) {
		t.Errorf("owner add: %d %s", got.status, got.body)
	}
	var owners struct{ Users []Owner }
	got := c.get(api+"/pub/owners", tok)
	if err := json.Unmarshal([]byte(got.body), &owners); err != nil || len(owners.Users) != 2 || owners.Users[1].Login != "alice" {
		t.Errorf("owner list: %s", got.body)
	}
	if got := c.do(http.MethodDelete, api+"/pub/owners", tok, strings.NewReader(`{"users":["alice"]}`)); got.status != 200 {
		t.Errorf("owner remove: %d", got.status)
	}
	if got := c.get(api+"/pub/owners", tok); strings.Contains(got.body, "alice") {
		t.Errorf("alice still an owner: %s", got.body)
	}

	var search struct {
		Crates []searchResult
		Meta   struct{ Total int }
	}
	got = c.expect(api+"?q=base&per_page=5", tok, 200)
	if err := json.Unmarshal([]byte(got.body), &search); err != nil || search.Meta.Total != 1 || search.Crates[0].Name != "base" || search.Crates[0].MaxVersion != "1.0.0" || search.Crates[0].Description != "the base of it all" {
		t.Errorf("search: %s", got.body)
	}
	got = c.expect(api+"?q=&per_page=1", tok, 200)
	if err := json.Unmarshal([]byte(got.body), &search); err != nil || search.Meta.Total != 2 || len(search.Crates) != 1 {
		t.Errorf("search with per_page=1: %s", got.body)
	}
	c.expect(api+"?q=base", "", 401)
	c.expect(r.URL()+"/api/v1/nothing", tok, 404)
	c.expect(r.URL()+"/me", "", 200)
}

func TestPublishBodyIsBounded(t *testing.T) {
	t.Parallel()
	r := New(t, WithMaxBody(1024))
	c := newClient(t, r)
	body, _ := EncodePublish(PublishMetadata{Name: "pub", Vers: "0.1.0", Description: strings.Repeat("x", 4096)}, []byte("x"))
	if got := c.do(http.MethodPut, r.URL()+"/api/v1/crates/new", r.Token(), bytes.NewReader(body)); got.status != http.StatusRequestEntityTooLarge && got.status != http.StatusBadRequest {
		t.Errorf("oversized publish: %d, want 413 or 400", got.status)
	}
}
