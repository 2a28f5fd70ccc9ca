package auth

import (
	"encoding/json"
	"fmt"
	"mime"
	"regexp"
	"strings"
)

// How the audit judges one answer. Refusals are 401 and 403 (and, where a
// missing resource reveals nothing, 404, 410 and 451); anything in 2xx means
// the endpoint served the request.

func isRefusal(status int, notFoundToo bool) bool {
	switch status {
	case 401, 403:
		return true
	case 404, 410, 451:
		return notFoundToo
	}
	return false
}

func isSuccess(status int) bool { return status >= 200 && status < 300 }

// refusalVerdict judges an answer that must refuse the request (anonymous
// or bogus token): refused passes, served fails, no answer fails (nothing
// proves the endpoint is protected), anything else warns.
func refusalVerdict(p probeResult, notFoundToo bool) (string, checkDetail) {
	d := checkDetail{URL: redactedURL(p.url), Status: p.status()}
	switch {
	case !p.answered():
		d.Message = p.noAnswer()
		return statusFail, d
	case isRefusal(p.resp.Status, notFoundToo):
		d.Message = fmt.Sprintf("refused (%d)", p.resp.Status)
		return statusPass, d
	case isSuccess(p.resp.Status) && looksLikeWebPage(p.resp):
		d.Message = fmt.Sprintf("redirected to a web page that answered %d, not the 401 cargo expects", p.resp.Status)
		return statusWarn, d
	case isSuccess(p.resp.Status):
		d.Message = fmt.Sprintf("served (%d)", p.resp.Status)
		return statusFail, d
	}
	d.Message = fmt.Sprintf("answered %d, neither a refusal (401/403) nor content", p.resp.Status)
	return statusWarn, d
}

// looksLikeWebPage reports a redirect that ended on an HTML page, the way
// some registries send browsers to a login form.
func looksLikeWebPage(resp *response) bool {
	if len(resp.Redirects) == 0 {
		return false
	}
	media, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	return media == "text/html"
}

// acceptVerdict judges an answer to the real token, which must succeed;
// valid checks the content.
func acceptVerdict(p probeResult, valid func(*response) string) (string, checkDetail) {
	d := checkDetail{URL: redactedURL(p.url), Status: p.status()}
	switch {
	case !p.answered():
		d.Message = p.noAnswer()
		return statusFail, d
	case p.err != nil:
		d.Message = trimURLPrefix(p.err.Error(), p.url)
		return statusFail, d
	case p.resp.Status == 401 || p.resp.Status == 403:
		d.Message = fmt.Sprintf("the token was refused (%d)", p.resp.Status)
		return statusFail, d
	case !isSuccess(p.resp.Status):
		d.Message = fmt.Sprintf("answered %d", p.resp.Status)
		return statusFail, d
	}
	if valid != nil {
		if problem := valid(p.resp); problem != "" {
			d.Message = problem
			return statusFail, d
		}
	}
	d.Message = fmt.Sprintf("served (%d)", p.resp.Status)
	return statusPass, d
}

// cargoChallenge matches a `Cargo login_url=...` challenge among the
// WWW-Authenticate values.
var cargoChallenge = regexp.MustCompile(`(?i)(^|,)\s*cargo\s+login_url\s*=`)

// basicChallenge matches a Basic challenge.
var basicChallenge = regexp.MustCompile(`(?i)(^|,)\s*basic(\s|$)`)

// answerShape is what an anonymous caller can observe of an answer: the
// status, the media type, whether a challenge came, and the body with the
// crate's name and version, numbers and hex runs normalised away. Answers
// for existing and missing crates must have the same shape.
func answerShape(p probeResult, name, version, path string) string {
	if !p.answered() {
		return "no answer"
	}
	resp := p.resp
	media, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	body := string(resp.Body)
	if len(body) > 4096 {
		body = body[:4096]
	}
	body = strings.ToLower(body)
	for _, s := range []string{strings.ToLower(path), strings.ToLower(name), strings.ToLower(version)} {
		if s != "" {
			body = strings.ReplaceAll(body, s, "<x>")
		}
	}
	body = hexRun.ReplaceAllString(body, "<h>")
	body = digitRun.ReplaceAllString(body, "0")
	if media == "application/json" {
		var v any
		if json.Unmarshal([]byte(body), &v) == nil {
			normalized, _ := json.Marshal(v)
			body = string(normalized)
		}
	}
	challenge := "no challenge"
	if challengeOf(resp.Header) != "" {
		challenge = "challenge"
	}
	return fmt.Sprintf("%d %s %s %s", resp.Status, media, challenge, body)
}

var (
	hexRun   = regexp.MustCompile(`[0-9a-f][0-9a-f-]{7,}`)
	digitRun = regexp.MustCompile(`[0-9]+`)
)

// describeShape is a short human form of an answer for enumeration
// findings.
func describeShape(p probeResult) string {
	if !p.answered() {
		return p.noAnswer()
	}
	desc := fmt.Sprint(p.resp.Status)
	if c := challengeOf(p.resp.Header); c != "" {
		desc += " with a challenge"
	}
	return desc
}
