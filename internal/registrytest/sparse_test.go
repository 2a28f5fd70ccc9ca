package registrytest

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"
)

func TestSparseIndexFiles(t *testing.T) {
	t.Parallel()
	r := New(t, WithCrates(
		Crate{Name: "MyCrate", Version: "0.1.0"},
		Crate{Name: "MyCrate", Version: "0.2.0", Yanked: true},
		Crate{Name: "a", Version: "1.0.0"},
	))
	c := newClient(t, r)
	tok := r.Token()
	got := c.expect(sparse(r)+"my/cr/mycrate", tok, 200)
	lines := strings.Split(strings.TrimSuffix(got.body, "\n"), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], `"name":"MyCrate"`) || !strings.Contains(lines[1], `"yanked":true`) || !strings.HasSuffix(got.body, "\n") {
		t.Errorf("index file:\n%s", got.body)
	}
	c.expect(sparse(r)+"1/a", tok, 200)
	c.expect(sparse(r)+"xx/yy/missing", tok, 404)
	c.expect(sparse(r)+"2/a", tok, 404)
	c.expect(sparse(r)+"My/Cr/MyCrate", tok, 404)

	// ETags let cargo revalidate its cache.
	etag := got.header.Get("ETag")
	req, _ := http.NewRequest(http.MethodGet, sparse(r)+"my/cr/mycrate", nil)
	req.Header.Set("Authorization", tok)
	req.Header.Set("If-None-Match", etag)
	resp, err := c.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if etag == "" || resp.StatusCode != http.StatusNotModified {
		t.Errorf("revalidation with ETag %q: %d, want 304", etag, resp.StatusCode)
	}
	if err := r.SetYanked("MyCrate", "0.1.0", true); err != nil {
		t.Fatal(err)
	}
	if got := c.get(sparse(r)+"my/cr/mycrate", tok); got.header.Get("ETag") == etag {
		t.Errorf("the ETag did not change with the content")
	}
	if err := r.SetYanked("MyCrate", "9.9.9", true); err == nil {
		t.Errorf("yanking a missing version succeeded")
	}
	if err := r.AddCrate(Crate{Name: "MyCrate", Version: "0.1.0+build"}); err == nil {
		t.Errorf("adding 0.1.0+build next to 0.1.0 succeeded")
	}
	if err := r.AddCrate(Crate{Name: "mycrate", Version: "0.3.0"}); err == nil {
		t.Errorf("adding mycrate next to MyCrate succeeded")
	}
}

func TestDLTemplate(t *testing.T) {
	t.Parallel()
	r := New(t, WithDLTemplate("/files/{lowerprefix}/{crate}-{version}-{sha256-checksum}.crate"), WithCrates(Crate{Name: "MyCrate", Version: "0.1.0"}))
	c := newClient(t, r)
	cfg := configOf(t, c, r)
	if cfg["dl"] != r.URL()+"/files/{lowerprefix}/{crate}-{version}-{sha256-checksum}.crate" {
		t.Errorf("dl = %v", cfg["dl"])
	}
	entry := r.IndexEntries("MyCrate")[0]
	url := ExpandDL(cfg["dl"].(string), "MyCrate", "0.1.0", entry.Cksum)
	got := c.expect(url, r.Token(), 200)
	sum := sha256.Sum256([]byte(got.body))
	if hex.EncodeToString(sum[:]) != entry.Cksum {
		t.Errorf("the download does not match its cksum")
	}
	c.expect(url, "", 401)
	c.expect(r.URL()+"/api/v1/crates/MyCrate/0.1.0/download", r.Token(), 200)
	c.expect(r.URL()+"/files/my/cr/MyCrate-0.1.0-0000.crate", r.Token(), 404)
	if downloads := r.RequestsTo(ClassDownload); len(downloads) != 3 {
		t.Errorf("downloads:\n%s", FormatRequests(downloads))
	}
}
