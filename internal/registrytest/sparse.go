package registrytest

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"path"
	"strings"
)

// AddCrate publishes one version into the index (sparse and git) as if it
// had been published through the API. Dependencies must name crates of this
// registry; add them first so that cargo can resolve them.
func (r *Registry) AddCrate(c Crate) error {
	if err := r.addCrate(c); err != nil {
		return err
	}
	return r.syncGit("add " + c.Name + " " + c.Version)
}

func (r *Registry) addCrate(c Crate) error {
	v, err := buildCrate(c, r.IndexURL())
	if err != nil {
		return err
	}
	if err := r.addVersion(&v, nil); err != nil {
		return err
	}
	r.setDescription(c.Name, c.description())
	return nil
}

// addVersion stores a version unless its base version is already there.
func (r *Registry) addVersion(v *crateVersion, owners []Owner) error {
	key := strings.ToLower(v.entry.Name)
	r.mu.Lock()
	defer r.mu.Unlock()
	entry := r.crates[key]
	if entry == nil {
		if owners == nil {
			owners = []Owner{{ID: 1, Login: "owner", Name: "Test Owner"}}
		}
		entry = &crateEntry{owners: owners}
		r.crates[key] = entry
	}
	for _, existing := range entry.versions {
		if existing.entry.Name != v.entry.Name {
			return fmt.Errorf("crate %s already exists as %s", v.entry.Name, existing.entry.Name)
		}
		if baseVersion(existing.entry.Vers) == baseVersion(v.entry.Vers) {
			return fmt.Errorf("crate version %s@%s is already uploaded", v.entry.Name, v.entry.Vers)
		}
	}
	entry.versions = append(entry.versions, v)
	return nil
}

// SetYanked yanks or unyanks a version, as the yank and unyank endpoints do.
func (r *Registry) SetYanked(name, version string, yanked bool) error {
	r.mu.Lock()
	v := r.findVersionLocked(name, version)
	if v != nil {
		v.entry.Yanked = yanked
	}
	r.mu.Unlock()
	if v == nil {
		return fmt.Errorf("crate %s@%s does not exist", name, version)
	}
	return r.syncGit(fmt.Sprintf("yanked=%t %s %s", yanked, name, version))
}

// IndexEntries returns a crate's index lines as the registry serves them.
func (r *Registry) IndexEntries(name string) []IndexEntry {
	r.mu.Lock()
	defer r.mu.Unlock()
	entry := r.crates[strings.ToLower(name)]
	if entry == nil {
		return nil
	}
	out := make([]IndexEntry, len(entry.versions))
	for i, v := range entry.versions {
		out[i] = v.entry
	}
	return out
}

// CrateFile returns the .crate bytes of a version.
func (r *Registry) CrateFile(name, version string) ([]byte, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	v := r.findVersionLocked(name, version)
	if v == nil {
		return nil, false
	}
	return v.data, true
}

func (r *Registry) findVersionLocked(name, version string) *crateVersion {
	entry := r.crates[strings.ToLower(name)]
	if entry == nil {
		return nil
	}
	for _, v := range entry.versions {
		if v.entry.Vers == version {
			return v
		}
	}
	return nil
}

// indexFiles returns every index file by its path under the index root,
// config.json excluded.
func (r *Registry) indexFiles() map[string][]byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	files := map[string][]byte{}
	for key, entry := range r.crates {
		var b bytes.Buffer
		for _, v := range entry.versions {
			b.Write(v.entry.line())
			b.WriteByte('\n')
		}
		files[IndexPath(key)] = b.Bytes()
	}
	return files
}

// configFor builds config.json. pathToken, when set, goes in front of dl's
// path and drops auth-required (the path carries the credential).
func (r *Registry) configFor(pathToken string, git bool) indexConfig {
	dlOrigin, apiOrigin := r.bases[ListenerMain], r.bases[ListenerMain]
	switch {
	case r.Enabled(DLOtherHost):
		dlOrigin = r.bases[ListenerOther]
	case r.Enabled(DLPlainHTTP):
		dlOrigin = r.bases[ListenerPlain]
	}
	if r.Enabled(APIOtherOrigin) {
		apiOrigin = r.bases[ListenerOther]
	}
	prefix := ""
	if pathToken != "" {
		prefix = "/" + pathToken
	}
	cfg := indexConfig{DL: dlOrigin + prefix + r.cfg.dlTemplate, API: apiOrigin}
	if pathToken == "" && r.claimsAuth(git) && !r.Enabled(OmitAuthRequired) {
		required := true
		cfg.AuthRequired = &required
	}
	return cfg
}

func (r *Registry) serveConfig(w http.ResponseWriter, req *http.Request, pathToken string) {
	serveBytes(w, req, "application/json", r.configFor(pathToken, false).encode())
}

// serveIndexFile answers GET <index>/<prefix>/<name>. Missing crates get
// 404, as the book's "Nonexistent Crates" section recommends.
func (r *Registry) serveIndexFile(w http.ResponseWriter, req *http.Request, rel string) {
	if req.Method != http.MethodGet && req.Method != http.MethodHead {
		r.writeError(w, req, http.StatusMethodNotAllowed, "method not allowed")
		return
	}
	body, ok := r.indexFiles()[rel]
	if !ok {
		r.writeError(w, req, http.StatusNotFound, "not found")
		return
	}
	serveBytes(w, req, "text/plain; charset=utf-8", body)
}

// crateExists reports, for the enumerate switch, whether the crate an index
// or download request names exists. Other classes always "exist".
func (r *Registry) crateExists(rt route) bool {
	switch rt.class {
	case ClassIndex:
		_, ok := r.indexFiles()[strings.TrimPrefix(rt.rest, "/index/")]
		return ok
	case ClassDownload:
		name, version, _ := r.downloadTarget(rt.rest)
		_, ok := r.CrateFile(name, version)
		return ok
	}
	return true
}

// downloadTarget finds the crate version a download path names: the
// default /api/v1/crates/{crate}/{version}/download, or the dl template
// expanded for some stored version.
func (r *Registry) downloadTarget(p string) (name, version string, ok bool) {
	if rest, found := strings.CutPrefix(p, "/api/v1/crates/"); found {
		parts := strings.Split(rest, "/")
		if len(parts) == 3 && parts[2] == "download" {
			return parts[0], parts[1], true
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, entry := range r.crates {
		for _, v := range entry.versions {
			if ExpandDL(r.cfg.dlTemplate, v.entry.Name, v.entry.Vers, v.entry.Cksum) == p {
				return v.entry.Name, v.entry.Vers, true
			}
		}
	}
	return "", "", false
}

// serveDownload sends a .crate, or redirects to a signed URL on another
// origin when a redirect switch is on.
func (r *Registry) serveDownload(w http.ResponseWriter, req *http.Request, rt route, listener string) {
	name, version, _ := r.downloadTarget(rt.rest)
	data, ok := r.CrateFile(name, version)
	if !ok {
		r.writeError(w, req, http.StatusNotFound, "crate not found")
		return
	}
	if listener == ListenerMain {
		target := ""
		switch {
		case r.Enabled(DLRedirectOffOrigin):
			target = r.bases[ListenerOther]
		case r.Enabled(DLRedirectHTTP):
			target = r.bases[ListenerPlain]
		}
		if target != "" {
			http.Redirect(w, req, target+rt.rest+"?sig="+r.signature(rt.rest), http.StatusFound)
			return
		}
	}
	if r.Enabled(BadChecksum) {
		data = append([]byte(nil), data...)
		data[len(data)/2] ^= 0xff
	}
	w.Header().Set("Content-Disposition", "attachment; filename="+path.Base(name+"-"+version+".crate"))
	serveBytes(w, req, "application/gzip", data)
}

// signature signs a download path for a redirect target, the way object
// stores sign URLs: the signed URL passes without a token.
func (r *Registry) signature(p string) string {
	mac := hmac.New(sha256.New, r.sigKey)
	mac.Write([]byte(p))
	return hex.EncodeToString(mac.Sum(nil))
}

func (r *Registry) validSignature(req *http.Request) bool {
	sig := req.URL.Query().Get("sig")
	if sig == "" {
		return false
	}
	return hmac.Equal([]byte(sig), []byte(r.signature(req.URL.Path)))
}

// serveBytes answers with body and an ETag, honouring If-None-Match, which
// cargo sends when refreshing cached index files.
func serveBytes(w http.ResponseWriter, req *http.Request, contentType string, body []byte) {
	sum := sha256.Sum256(body)
	etag := `"` + hex.EncodeToString(sum[:8]) + `"`
	w.Header().Set("ETag", etag)
	if match := req.Header.Get("If-None-Match"); match != "" && match == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Length", fmt.Sprint(len(body)))
	w.WriteHeader(http.StatusOK)
	if req.Method != http.MethodHead {
		w.Write(body)
	}
}
