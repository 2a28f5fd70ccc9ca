package auth

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
)

// tokenEndpoint picks the read-only endpoint that refuses anonymous
// requests, asking without a token and only with GETs.
func TestTokenEndpoint(t *testing.T) {
	const api = "https://corp.example"
	search := `{"crates":[{"name":"not a name"},{"name":"base","max_version":"0.1.0"}],"meta":{"total":2}}`
	tests := []struct {
		name    string
		known   string
		answers map[string]int // path and query -> status; 404 when missing
		want    string         // URL of the endpoint, or "why: ..." or "error"
	}{
		{name: "search refuses", answers: map[string]int{"/api/v1/crates?q=a&per_page=10": 401},
			want: api + "/api/v1/crates?q=a&per_page=10"},
		{name: "search refuses with 403", known: "Base", answers: map[string]int{"/api/v1/crates?q=base&per_page=10": 403},
			want: api + "/api/v1/crates?q=base&per_page=10"},
		{name: "public search, private owners of a listed crate", answers: map[string]int{"/api/v1/crates?q=a&per_page=10": 200, "/api/v1/crates/base/owners": 401},
			want: api + "/api/v1/crates/base/owners"},
		{name: "public search, private owners of the known crate", known: "app-lib", answers: map[string]int{"/api/v1/crates?q=app-lib&per_page=10": 200, "/api/v1/crates/app-lib/owners": 403},
			want: api + "/api/v1/crates/app-lib/owners"},
		{name: "everything public", answers: map[string]int{"/api/v1/crates?q=a&per_page=10": 200, "/api/v1/crates/base/owners": 200},
			want: "why: its search answers 200 without a token, and so does the owners list of base (200)"},
		{name: "no search", want: "why: its search answers 404 without a token and names no crate whose owners could be asked"},
		{name: "no answer", answers: map[string]int{"error": 0}, want: "error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			send := func(_ context.Context, req request) (*response, error) {
				if req.Method != "" && req.Method != http.MethodGet || req.Authorization != "" {
					t.Fatalf("sent %s with Authorization %q", req.Method, req.Authorization)
				}
				if _, ok := tt.answers["error"]; ok {
					return nil, errors.New("connection refused")
				}
				status, ok := tt.answers[strings.TrimPrefix(req.URL, api)]
				if !ok {
					status = 404
				}
				body := `{"errors":[{"detail":"no"}]}`
				if status == 200 {
					body = search
					if strings.HasSuffix(req.URL, "/owners") {
						body = `{"users":[]}`
					}
				}
				return &response{Status: status, Body: []byte(body)}, nil
			}
			ep, why, err := tokenEndpoint(context.Background(), send, api+"/", tt.known)
			got := ep.URL
			switch {
			case err != nil:
				got = "error"
			case why != "":
				got = "why: " + why
			}
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
