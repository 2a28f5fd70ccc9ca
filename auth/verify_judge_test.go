package auth

import (
	"net/http"
	"strings"
	"testing"
)

func probeOf(status int, contentType, body string, challenge bool) probeResult {
	h := http.Header{"Content-Type": {contentType}}
	if challenge {
		h.Set("WWW-Authenticate", `Cargo login_url="https://r.example/me"`)
	}
	return probeResult{url: "https://r.example/index/x", resp: &response{Status: status, Header: h, Body: []byte(body)}}
}

// Answers that differ only in the crate's name, numbers or request ids
// have the same shape; a different status, challenge or message does not.
func TestAnswerShape(t *testing.T) {
	json := "application/json"
	same := [][2]probeResult{
		{probeOf(401, json, `{"errors":[{"detail":"authentication required"}]}`, true), probeOf(401, json, `{"errors": [{"detail": "authentication required"}]}`, true)},
		{probeOf(401, json, `{"errors":[{"detail":"login to read base"}]}`, true), probeOf(401, json, `{"errors":[{"detail":"login to read other-name"}]}`, true)},
		{probeOf(401, "text/plain", "denied, request 5f1c2a9e-77aa-4b3c-9d1e-0a1b2c3d4e5f", false), probeOf(401, "text/plain", "denied, request 0b7e0f00-1111-4222-8333-944455556666", false)},
	}
	for i, pair := range same {
		a, b := answerShape(pair[0], "base", "", "ba/se/base"), answerShape(pair[1], "other-name", "", "ot/he/other-name")
		if a != b {
			t.Errorf("case %d: shapes differ:\n%s\n%s", i, a, b)
		}
	}
	differ := [][2]probeResult{
		{probeOf(401, json, `{}`, true), probeOf(404, json, `{}`, true)},
		{probeOf(401, json, `{}`, true), probeOf(401, json, `{}`, false)},
		{probeOf(401, json, `{"errors":[{"detail":"authentication required"}]}`, true), probeOf(401, json, `{"errors":[{"detail":"no such crate"}]}`, true)},
	}
	for i, pair := range differ {
		if answerShape(pair[0], "base", "", "") == answerShape(pair[1], "other-name", "", "") {
			t.Errorf("case %d: shapes are equal", i)
		}
	}
}

func TestEnumerationResult(t *testing.T) {
	existing := []shapeSample{{probe: probeOf(401, "application/json", `{"detail":"denied"}`, true)}}
	missing := []shapeSample{{probe: probeOf(401, "application/json", `{"detail":"no such crate"}`, true)}}
	for _, s := range [][]shapeSample{existing, missing} {
		s[0].shape = answerShape(s[0].probe, "x", "", "")
	}
	r := enumerationResult("index.enumeration", "u", "index.anonymous", "crate", existing, missing, "")
	if r.Status != statusFail || !strings.Contains(r.Message, "same status but different bodies") {
		t.Errorf("result = %+v", r)
	}
}

// Refusals pass, content fails, a login page after a redirect warns, and
// no answer fails: nothing proves the endpoint is protected.
func TestRefusalVerdict(t *testing.T) {
	login := probeOf(200, "text/html; charset=utf-8", "<html>", false)
	login.resp.Redirects = append(login.resp.Redirects, nil)
	cases := []struct {
		p           probeResult
		notFoundToo bool
		want        string
	}{
		{probeOf(401, "", "", true), false, statusPass},
		{probeOf(403, "", "", false), false, statusPass},
		{probeOf(404, "", "", false), true, statusPass},
		{probeOf(404, "", "", false), false, statusWarn},
		{probeOf(200, "application/json", "{}", false), false, statusFail},
		{login, false, statusWarn},
		{probeOf(500, "", "", false), false, statusWarn},
		{probeResult{url: "https://r.example/x", err: errTimedOut}, false, statusFail},
	}
	for i, c := range cases {
		if got, _ := refusalVerdict(c.p, c.notFoundToo); got != c.want {
			t.Errorf("case %d: %s, want %s", i, got, c.want)
		}
	}
}

func TestMutationVerdict(t *testing.T) {
	refused := probeOf(401, "", "", true)
	cases := []struct {
		p    probeResult
		anon *probeResult
		want string
	}{
		{probeOf(401, "", "", true), nil, statusPass},
		{probeOf(403, "", "", false), &refused, statusPass},
		{probeOf(200, "", "", false), nil, statusFail},
		{probeOf(400, "", "", false), nil, statusFail},
		{probeOf(422, "", "", false), nil, statusFail},
		{probeOf(404, "", "", false), nil, statusWarn},
		{probeOf(404, "", "", false), &refused, statusFail},
		{probeOf(405, "", "", false), nil, statusWarn},
	}
	for i, c := range cases {
		if got, _ := mutationVerdict(c.p, c.anon); got != c.want {
			t.Errorf("case %d: %s, want %s", i, got, c.want)
		}
	}
}
