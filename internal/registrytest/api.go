package registrytest

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
)

// Owner is a crate owner as the owners endpoints list it.
type Owner struct {
	ID    uint32 `json:"id"`
	Login string `json:"login"`
	Name  string `json:"name,omitempty"`
}

// serveAPI dispatches the web API (registry-web-api.html). Reads pass with
// the class's authentication; anything that changes the registry needs an
// accepted credential even where the API is open.
func (r *Registry) serveAPI(w http.ResponseWriter, req *http.Request, rt route, cred Credential) {
	rest := strings.TrimPrefix(rt.rest, "/api/v1/")
	parts := strings.Split(rest, "/")
	mutation := req.Method != http.MethodGet && req.Method != http.MethodHead
	if mutation && !cred.Accepted {
		r.deny(w, req, ClassAPI, cred)
		return
	}
	switch {
	case rest == "crates" && req.Method == http.MethodGet:
		r.search(w, req)
	case rest == "crates/new" && req.Method == http.MethodPut:
		r.publish(w, req)
	case len(parts) == 4 && parts[0] == "crates" && parts[3] == "yank" && req.Method == http.MethodDelete:
		r.yank(w, req, parts[1], parts[2], true)
	case len(parts) == 4 && parts[0] == "crates" && parts[3] == "unyank" && req.Method == http.MethodPut:
		r.yank(w, req, parts[1], parts[2], false)
	case len(parts) == 3 && parts[0] == "crates" && parts[2] == "owners":
		r.owners(w, req, parts[1])
	default:
		r.writeError(w, req, http.StatusNotFound, "no such API endpoint")
	}
}

// apiOK answers a successful API call; echo-token adds the Authorization
// header it received.
func (r *Registry) apiOK(w http.ResponseWriter, req *http.Request, body map[string]any) {
	if r.Enabled(EchoToken) && req.Header.Get("Authorization") != "" {
		body["received_authorization"] = req.Header.Get("Authorization")
	}
	writeJSON(w, http.StatusOK, body)
}

func (r *Registry) publish(w http.ResponseWriter, req *http.Request) {
	meta, data, err := parsePublish(req.Body, r.cfg.maxBody)
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			r.writeError(w, req, http.StatusRequestEntityTooLarge, "the upload is too large")
			return
		}
		r.writeError(w, req, http.StatusBadRequest, "invalid upload: "+err.Error())
		return
	}
	v, err := versionFromPublish(meta, data, r.ownIndexURLs())
	if err != nil {
		r.writeError(w, req, http.StatusBadRequest, err.Error())
		return
	}
	if err := r.addVersion(v, nil); err != nil {
		r.writeError(w, req, http.StatusConflict, err.Error())
		return
	}
	r.setDescription(meta.Name, meta.Description)
	if err := r.syncGit("publish " + meta.Name + " " + meta.Vers); err != nil {
		r.writeError(w, req, http.StatusInternalServerError, "updating the git index failed")
		return
	}
	r.apiOK(w, req, map[string]any{"warnings": map[string][]string{
		"invalid_categories": {}, "invalid_badges": {}, "other": {},
	}})
}

func (r *Registry) ownIndexURLs() []string {
	return []string{r.IndexURL(), strings.TrimPrefix(r.IndexURL(), "sparse+"), r.GitIndexURL()}
}

func (r *Registry) yank(w http.ResponseWriter, req *http.Request, name, version string, yanked bool) {
	if err := r.SetYanked(name, version, yanked); err != nil {
		r.writeError(w, req, http.StatusNotFound, err.Error())
		return
	}
	r.apiOK(w, req, map[string]any{"ok": true})
}

// ownersRequest is the body of the owners PUT and DELETE calls.
type ownersRequest struct {
	Users []string `json:"users"`
}

func (r *Registry) owners(w http.ResponseWriter, req *http.Request, name string) {
	var body ownersRequest
	if req.Method == http.MethodPut || req.Method == http.MethodDelete {
		if err := json.NewDecoder(req.Body).Decode(&body); err != nil {
			r.writeError(w, req, http.StatusBadRequest, "invalid owners request")
			return
		}
	}
	r.mu.Lock()
	entry := r.crates[strings.ToLower(name)]
	if entry == nil {
		r.mu.Unlock()
		r.writeError(w, req, http.StatusNotFound, "crate "+name+" does not exist")
		return
	}
	switch req.Method {
	case http.MethodGet:
		users := append([]Owner(nil), entry.owners...)
		r.mu.Unlock()
		r.apiOK(w, req, map[string]any{"users": users})
	case http.MethodPut:
		for _, login := range body.Users {
			entry.owners = append(entry.owners, Owner{ID: uint32(len(entry.owners) + 1), Login: login})
		}
		r.mu.Unlock()
		r.apiOK(w, req, map[string]any{"ok": true, "msg": fmt.Sprintf("user %s has been added as an owner of crate %s", strings.Join(body.Users, ", "), name)})
	case http.MethodDelete:
		kept := entry.owners[:0]
		for _, o := range entry.owners {
			remove := false
			for _, login := range body.Users {
				remove = remove || o.Login == login
			}
			if !remove {
				kept = append(kept, o)
			}
		}
		entry.owners = kept
		r.mu.Unlock()
		r.apiOK(w, req, map[string]any{"ok": true, "msg": "owners successfully removed"})
	default:
		r.mu.Unlock()
		r.writeError(w, req, http.StatusMethodNotAllowed, "method not allowed")
	}
}

// searchResult is one crate in a search answer.
type searchResult struct {
	Name        string `json:"name"`
	MaxVersion  string `json:"max_version"`
	Description string `json:"description"`
}

// search answers GET /api/v1/crates?q=...&per_page=... (default 10, max
// 100) with the crates whose name or description contains q.
func (r *Registry) search(w http.ResponseWriter, req *http.Request) {
	q := strings.ToLower(req.URL.Query().Get("q"))
	perPage, err := strconv.Atoi(req.URL.Query().Get("per_page"))
	if err != nil || perPage <= 0 {
		perPage = 10
	}
	perPage = min(perPage, 100)
	r.mu.Lock()
	var results []searchResult
	for _, entry := range r.crates {
		latest := entry.versions[len(entry.versions)-1]
		max := ""
		for _, v := range entry.versions {
			if !v.entry.Yanked && (max == "" || compareVersions(v.entry.Vers, max) > 0) {
				max = v.entry.Vers
			}
		}
		name := latest.entry.Name
		if strings.Contains(strings.ToLower(name), q) || strings.Contains(strings.ToLower(entry.description), q) {
			results = append(results, searchResult{Name: name, MaxVersion: max, Description: entry.description})
		}
	}
	r.mu.Unlock()
	sort.Slice(results, func(i, j int) bool { return results[i].Name < results[j].Name })
	total := len(results)
	if len(results) > perPage {
		results = results[:perPage]
	}
	if results == nil {
		results = []searchResult{}
	}
	r.apiOK(w, req, map[string]any{"crates": results, "meta": map[string]int{"total": total}})
}

func (r *Registry) setDescription(name, description string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if entry := r.crates[strings.ToLower(name)]; entry != nil {
		entry.description = description
	}
}

// compareVersions orders SemVer versions by their numbers, a pre-release
// before its release; build metadata is ignored.
func compareVersions(a, b string) int {
	coreA, preA, _ := strings.Cut(baseVersion(a), "-")
	coreB, preB, _ := strings.Cut(baseVersion(b), "-")
	partsA, partsB := strings.Split(coreA, "."), strings.Split(coreB, ".")
	for i := 0; i < 3 && i < len(partsA) && i < len(partsB); i++ {
		x, _ := strconv.Atoi(partsA[i])
		y, _ := strconv.Atoi(partsB[i])
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	switch {
	case preA == preB:
		return 0
	case preA == "":
		return 1
	case preB == "":
		return -1
	case preA < preB:
		return -1
	}
	return 1
}
