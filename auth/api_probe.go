package auth

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// When config.json answers without a token it proves nothing about one: a
// registry whose index and downloads are public by design (a public Gitea
// or Forgejo owner, Kellnr's defaults) serves it whatever the Authorization
// header holds, yet cargo needs the token, in the form the registry wants,
// for publish, yank and owner on the web API. Login and verify then judge
// the token on a read-only endpoint of the web API that refuses anonymous
// requests: the search ("Search" in the book's web API chapter), else the
// owners list of a crate ("Owners: List"). Only GETs are sent; nothing that
// changes the registry.

// apiEndpoint is a read-only endpoint of the web API.
type apiEndpoint struct {
	// URL is the request's URL; Name says which endpoint it is, for
	// messages ("the web API's search").
	URL, Name string
	// key is the field every successful answer of the endpoint has.
	key string
}

// request is the GET of the endpoint with auth ("" for none).
func (e apiEndpoint) request(auth string) request {
	return request{URL: e.URL, Authorization: auth, Header: jsonAccept()}
}

// served reports whether resp is a successful answer of the endpoint: a
// 2xx with its JSON object, not an HTML page or a redirect to a login form.
func (e apiEndpoint) served(resp *response) bool {
	return resp != nil && isSuccess(resp.Status) && validJSONKey(e.key)(resp) == ""
}

// refused reports whether resp refuses the credential it was sent.
func refusedCredential(resp *response) bool {
	return resp != nil && (resp.Status == http.StatusUnauthorized || resp.Status == http.StatusForbidden)
}

// apiSearch is the web API's search for query (crate names contain it), one
// page of at most 10 results.
func apiSearch(api, query string) apiEndpoint {
	return apiEndpoint{
		URL:  strings.TrimSuffix(api, "/") + "/api/v1/crates?q=" + url.QueryEscape(query) + "&per_page=10",
		Name: "the web API's search", key: "crates",
	}
}

// apiOwners lists the owners of crate.
func apiOwners(api, crate string) apiEndpoint {
	return apiEndpoint{
		URL:  strings.TrimSuffix(api, "/") + "/api/v1/crates/" + url.PathEscape(crate) + "/owners",
		Name: "the web API's owners list of " + crate, key: "users",
	}
}

// searchQuery is what apiSearch looks for: the crate known to exist, or
// "a" (an empty query is refused by some registries).
func searchQuery(known string) string {
	if known != "" {
		return strings.ToLower(known)
	}
	return "a"
}

// sendFunc sends one request; login passes its client, verify its audit,
// which counts and observes every request.
type sendFunc func(ctx context.Context, req request) (*response, error)

// tokenEndpoint finds the endpoint of the web API at api that refuses
// anonymous requests, asking without a token: the search, else the owners
// list of known (a crate known to exist) or of the first crate the
// anonymous search listed. When none refuses, why says so and the endpoint
// is empty: the token cannot be judged there. An error is a request that
// got no answer.
func tokenEndpoint(ctx context.Context, send sendFunc, api, known string) (ep apiEndpoint, why string, err error) {
	search := apiSearch(api, searchQuery(known))
	resp, err := send(ctx, search.request(""))
	if err != nil {
		return apiEndpoint{}, "", err
	}
	if refusedCredential(resp) {
		return search, "", nil
	}
	crate := known
	if crate == "" && search.served(resp) {
		var answer searchAnswer
		if json.Unmarshal(resp.Body, &answer) == nil {
			for _, c := range answer.Crates {
				if validCrateName(c.Name) {
					crate = c.Name
					break
				}
			}
		}
	}
	searchSays := fmt.Sprintf("its search answers %d without a token", resp.Status)
	if crate == "" {
		return apiEndpoint{}, searchSays + " and names no crate whose owners could be asked", nil
	}
	owners := apiOwners(api, crate)
	resp, err = send(ctx, owners.request(""))
	if err != nil {
		return apiEndpoint{}, "", err
	}
	if refusedCredential(resp) {
		return owners, "", nil
	}
	return apiEndpoint{}, fmt.Sprintf("%s, and so does the owners list of %s (%d)", searchSays, crate, resp.Status), nil
}
