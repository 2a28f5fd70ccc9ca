package registrytest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// route is where a request goes: its class, the path token it came under
// (path-token mode), and the path after that token.
type route struct {
	class     Class
	pathToken string
	rest      string
	logPath   string
}

// reservedFirstSegments start the registry's own routes; in path-token mode
// anything else in front of them is a token.
var reservedFirstSegments = map[string]bool{"index": true, "index.git": true, "api": true, "me": true}

func (r *Registry) route(req *http.Request) route {
	path := req.URL.Path
	rt := route{rest: path, logPath: req.URL.RequestURI()}
	if r.cfg.pathToken {
		first, after, ok := strings.Cut(strings.TrimPrefix(path, "/"), "/")
		second, _, _ := strings.Cut(after, "/")
		if ok && first != "" && !reservedFirstSegments[first] && reservedFirstSegments[second] {
			rt.pathToken, rt.rest = first, "/"+after
			rt.logPath = "/<path-token>" + rt.rest
			if req.URL.RawQuery != "" {
				rt.logPath += "?" + req.URL.RawQuery
			}
		}
	}
	rt.class = r.classOf(rt.rest)
	rt.logPath = r.redactTokens(rt.logPath)
	return rt
}

// urlFingerprints covers every path segment and query value, so a token
// that travels in a URL (a path token, or a leak) counts as carried.
func (r *Registry) urlFingerprints(req *http.Request) [][32]byte {
	var out [][32]byte
	values := strings.Split(req.URL.Path, "/")
	for _, vs := range req.URL.Query() {
		values = append(values, vs...)
	}
	for _, v := range values {
		if v != "" && len(out) < 64 {
			out = append(out, r.fp.of(v))
		}
	}
	return out
}

// redactTokens replaces the registry's tokens in text (a path sent to the
// wrong place, a query parameter) so the log never holds them.
func (r *Registry) redactTokens(text string) string {
	for i, token := range r.cfg.tokens {
		if token != "" {
			text = strings.ReplaceAll(text, token, fmt.Sprintf("<token#%d>", i))
		}
	}
	return text
}

func (r *Registry) classOf(path string) Class {
	switch {
	case path == "/index/config.json":
		return ClassConfig
	case strings.HasPrefix(path, "/index/"):
		return ClassIndex
	case path == "/index.git" || strings.HasPrefix(path, "/index.git/"):
		return ClassGit
	case path == "/me":
		return ClassLogin
	}
	if _, _, ok := r.downloadTarget(path); ok {
		return ClassDownload
	}
	if strings.HasPrefix(path, "/api/v1/") {
		if strings.HasPrefix(path, "/api/v1/crates/") && strings.HasSuffix(path, "/download") {
			return ClassDownload
		}
		return ClassAPI
	}
	return ClassOther
}

// handler serves one listener: it records the request, applies the hostile
// switches, and hands it to serve.
func (r *Registry) handler(listener string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if !r.enter() {
			http.Error(w, "registry closed", http.StatusServiceUnavailable)
			return
		}
		defer r.wg.Done()
		req.Body = http.MaxBytesReader(w, req.Body, r.cfg.maxBody)
		rt := r.route(req)
		header := parseAuthorization(req.Header.Get("Authorization"))
		presentedCred := header
		if rt.pathToken != "" {
			presentedCred = presented{form: FormPath, secret: rt.pathToken}
		}
		entry := &Request{
			Time:       time.Now(),
			Listener:   listener,
			Proto:      req.Proto,
			Method:     req.Method,
			Path:       rt.logPath,
			Class:      rt.class,
			Credential: r.classify(rt.class, presentedCred),
			Signed:     rt.class == ClassDownload && r.validSignature(req),
			carried:    r.fp.all(header),
		}
		entry.carried = append(entry.carried, r.urlFingerprints(req)...)
		r.log.add(entry)
		sw := &statusWriter{ResponseWriter: w, onStatus: func(status int) {
			r.log.setStatus(entry, status)
			r.logf("registrytest: %s %s [%s %s] -> %d cred=%s", req.Method, rt.logPath, listener, rt.class, status, entry.Credential)
		}}
		if r.misbehaveBefore(sw, req, rt.class) {
			return
		}
		if r.slowBody(rt.class) {
			captured := newCapture()
			r.serve(captured, req, rt, entry, listener)
			r.trickle(sw, req, captured)
			return
		}
		r.serve(sw, req, rt, entry, listener)
	})
}

func (r *Registry) classify(class Class, p presented) Credential {
	return classify(r.cfg.tokens, r.cfg.schemes, class, p, r.Enabled(AnyToken))
}

// serve answers a recorded request: authentication first, then the class.
func (r *Registry) serve(w http.ResponseWriter, req *http.Request, rt route, entry *Request, listener string) {
	switch rt.class {
	case ClassOther:
		r.writeError(w, req, http.StatusNotFound, "not found")
		return
	case ClassLogin:
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, "<!doctype html><p>Create a token for this registry and run <code>cargo login</code>.</p>\n")
		return
	}
	if r.requiresAuth(rt.class) && !entry.Credential.Accepted && !entry.Signed {
		if r.Enabled(Enumerate) && !r.crateExists(rt) {
			r.writeError(w, req, http.StatusNotFound, "not found")
			return
		}
		r.deny(w, req, rt.class, entry.Credential)
		return
	}
	switch rt.class {
	case ClassConfig:
		r.serveConfig(w, req, rt.pathToken)
	case ClassIndex:
		r.serveIndexFile(w, req, strings.TrimPrefix(rt.rest, "/index/"))
	case ClassDownload:
		r.serveDownload(w, req, rt, listener)
	case ClassAPI:
		r.serveAPI(w, req, rt, entry.Credential)
	case ClassGit:
		r.serveGit(w, req, rt.rest)
	}
}

// requiresAuth reports whether class refuses anonymous requests right now.
func (r *Registry) requiresAuth(class Class) bool {
	open := map[Class]Switch{ClassConfig: OpenConfig, ClassIndex: OpenIndex, ClassDownload: OpenDownloads, ClassAPI: OpenAPI, ClassGit: OpenGit}
	sw, ok := open[class]
	if !ok || r.cfg.anonymous[class] {
		return false
	}
	return !r.Enabled(sw)
}

// claimsAuth is what config.json's auth-required says: the sparse index
// claims it while config.json, index files or downloads are protected by
// design; the git index while downloads are.
func (r *Registry) claimsAuth(git bool) bool {
	if git {
		return !r.cfg.anonymous[ClassDownload]
	}
	return !r.cfg.anonymous[ClassConfig] || !r.cfg.anonymous[ClassIndex] || !r.cfg.anonymous[ClassDownload]
}

// deny answers an unauthenticated request: 401 with a challenge, or 403
// for a rejected credential on the API (the web API chapter: "The server
// should respond with a 403 response code if the token is not valid") and
// whenever config-403 or forbid-403 say so.
func (r *Registry) deny(w http.ResponseWriter, req *http.Request, class Class, cred Credential) {
	status := http.StatusUnauthorized
	if (class == ClassAPI && cred.Present()) || r.Enabled(Forbidden) ||
		(class == ClassConfig && !cred.Present() && r.Enabled(ConfigForbidden)) {
		status = http.StatusForbidden
	}
	if status == http.StatusUnauthorized && !r.Enabled(NoChallenge) {
		if class == ClassGit || r.Enabled(BasicChallenge) {
			w.Header().Set("WWW-Authenticate", `Basic realm="cargo-auth test registry"`)
		} else {
			w.Header().Set("WWW-Authenticate", fmt.Sprintf("Cargo login_url=%q", r.cfg.loginURL))
		}
	}
	detail := "authentication required"
	if cred.Present() {
		detail = "invalid credential"
	}
	r.writeError(w, req, status, detail)
}

// writeError answers with the web API's error object. With echo-token the
// detail repeats the Authorization header the request carried.
func (r *Registry) writeError(w http.ResponseWriter, req *http.Request, status int, detail string) {
	if r.Enabled(EchoToken) && req.Header.Get("Authorization") != "" {
		detail += " (received Authorization: " + req.Header.Get("Authorization") + ")"
	}
	type apiError struct {
		Detail string `json:"detail"`
	}
	writeJSON(w, status, map[string][]apiError{"errors": {{Detail: detail}}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "encoding the response", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(append(body, '\n'))
}

// statusWriter reports the status of a response as soon as it is written.
type statusWriter struct {
	http.ResponseWriter
	onStatus func(int)
	wrote    bool
}

func (s *statusWriter) WriteHeader(status int) {
	if !s.wrote {
		s.wrote = true
		s.onStatus(status)
	}
	s.ResponseWriter.WriteHeader(status)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	if !s.wrote {
		s.WriteHeader(http.StatusOK)
	}
	return s.ResponseWriter.Write(b)
}

// Flush lets hostile bodies reach the client byte by byte.
func (s *statusWriter) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		if !s.wrote {
			s.WriteHeader(http.StatusOK)
		}
		f.Flush()
	}
}

// Unwrap gives http.ResponseController the underlying writer.
func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }
