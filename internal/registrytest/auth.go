package registrytest

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"
)

// Class is a class of endpoint; authentication, misbehaviour and the
// request log are all per class.
type Class string

// The endpoint classes.
const (
	// ClassConfig is the sparse index's config.json.
	ClassConfig Class = "config"
	// ClassIndex is a sparse index file (one crate's versions).
	ClassIndex Class = "index"
	// ClassDownload is a .crate download at the dl URL.
	ClassDownload Class = "download"
	// ClassAPI is the web API under /api/v1 (publish, yank, owners, search).
	ClassAPI Class = "api"
	// ClassGit is the git index served through git http-backend.
	ClassGit Class = "git"
	// ClassLogin is the /me page that login_url points at; never protected.
	ClassLogin Class = "login"
	// ClassOther is any other path (always 404).
	ClassOther Class = "other"
)

// Classes lists the classes that can require authentication.
var Classes = []Class{ClassConfig, ClassIndex, ClassDownload, ClassAPI, ClassGit}

// Scheme is a form of the Authorization header the registry accepts. Cargo
// sends the stored token as is, so a registry wanting "Bearer <token>" needs
// the user to store the token with its scheme.
type Scheme string

// The schemes.
const (
	// SchemeRaw accepts the bare token: "Authorization: <token>".
	SchemeRaw Scheme = "raw"
	// SchemeBearer accepts "Authorization: Bearer <token>" (and Gitea's
	// "token <token>").
	SchemeBearer Scheme = "bearer"
	// SchemeBasic accepts "Authorization: Basic base64(<any user>:<token>)".
	SchemeBasic Scheme = "basic"
)

// Form is how a credential reached the registry.
type Form string

// The forms of a credential.
const (
	// FormNone is no credential at all.
	FormNone Form = ""
	// FormRaw is an Authorization header without a known scheme.
	FormRaw Form = "raw"
	// FormBearer is "Authorization: Bearer <secret>".
	FormBearer Form = "bearer"
	// FormToken is "Authorization: token <secret>" (Gitea, GitHub).
	FormToken Form = "token"
	// FormBasic is "Authorization: Basic base64(<user>:<secret>)".
	FormBasic Form = "basic"
	// FormPath is a token as a path segment (/<token>/index.git).
	FormPath Form = "path"
)

// Credential is what the registry made of the credential a request carried.
// It never holds the secret itself.
type Credential struct {
	// Form is how the credential came; FormNone when there was none.
	Form Form
	// Token is the index of the registry's token it carried (in the order
	// given to WithTokens), or -1 when none of them.
	Token int
	// Accepted reports whether the registry let the request through on it.
	Accepted bool
}

// Present reports whether the request carried any credential.
func (c Credential) Present() bool { return c.Form != FormNone }

// Known reports whether the credential is one of the registry's tokens.
func (c Credential) Known() bool { return c.Token >= 0 }

// String describes the credential without its value: "none",
// "token#0 raw accepted", "unknown bearer rejected".
func (c Credential) String() string {
	if !c.Present() {
		return "none"
	}
	who := "unknown"
	if c.Known() {
		who = fmt.Sprintf("token#%d", c.Token)
	}
	verdict := "rejected"
	if c.Accepted {
		verdict = "accepted"
	}
	return fmt.Sprintf("%s %s %s", who, c.Form, verdict)
}

// presented is a parsed credential: its form, the secret it carries, and
// the other strings that may hold a token (a Basic user name).
type presented struct {
	form   Form
	secret string
	user   string
	raw    string
}

// parseAuthorization splits an Authorization header into its form and
// secret. Anything that is not Bearer, token or Basic is a raw token.
func parseAuthorization(value string) presented {
	if value == "" {
		return presented{}
	}
	p := presented{form: FormRaw, secret: value, raw: value}
	scheme, rest, ok := strings.Cut(value, " ")
	if !ok {
		return p
	}
	rest = strings.TrimSpace(rest)
	switch strings.ToLower(scheme) {
	case "bearer":
		p.form, p.secret = FormBearer, rest
	case "token":
		p.form, p.secret = FormToken, rest
	case "basic":
		decoded, err := base64.StdEncoding.DecodeString(rest)
		if err != nil {
			return p
		}
		user, password, _ := strings.Cut(string(decoded), ":")
		p.form, p.secret, p.user = FormBasic, password, user
	}
	return p
}

// schemeAllows reports whether a form satisfies one of the schemes.
func schemeAllows(schemes []Scheme, form Form) bool {
	for _, s := range schemes {
		switch {
		case s == SchemeRaw && form == FormRaw,
			s == SchemeBearer && (form == FormBearer || form == FormToken),
			s == SchemeBasic && form == FormBasic:
			return true
		}
	}
	return false
}

// tokenIndex returns the index of secret among tokens, or -1. The
// comparison is constant-time.
func tokenIndex(tokens []string, secret string) int {
	found := -1
	for i, t := range tokens {
		if subtle.ConstantTimeCompare([]byte(t), []byte(secret)) == 1 && found < 0 {
			found = i
		}
	}
	return found
}

// classify decides who a request's credential is and whether it passes for
// class. Git accepts Basic only (what git and libgit2 send from userinfo);
// the other classes accept the configured schemes. A path token passes
// everywhere. anyToken accepts any credential at all.
func classify(tokens []string, schemes []Scheme, class Class, p presented, anyToken bool) Credential {
	c := Credential{Form: p.form, Token: -1}
	if p.form == FormNone {
		return c
	}
	c.Token = tokenIndex(tokens, p.secret)
	if c.Token < 0 && p.raw != "" {
		c.Token = tokenIndex(tokens, p.raw)
	}
	if c.Token < 0 && p.user != "" {
		c.Token = tokenIndex(tokens, p.user)
	}
	formOK := p.form == FormPath || schemeAllows(schemes, p.form)
	if class == ClassGit {
		formOK = p.form == FormPath || p.form == FormBasic
	}
	secretOK := tokenIndex(tokens, p.secret) >= 0
	c.Accepted = anyToken || (formOK && secretOK)
	return c
}

// fingerprints are keyed hashes of every string in a request that may be a
// token (the header, the secret, a Basic user, a path segment), so tests can
// ask "did this request carry token X" without the log holding X.
type fingerprints struct {
	key []byte
}

func (f fingerprints) of(value string) [32]byte {
	mac := hmac.New(sha256.New, f.key)
	mac.Write([]byte(value))
	var out [32]byte
	copy(out[:], mac.Sum(nil))
	return out
}

func (f fingerprints) all(p presented) [][32]byte {
	var out [][32]byte
	for _, v := range []string{p.raw, p.secret, p.user} {
		if v != "" {
			out = append(out, f.of(v))
		}
	}
	return out
}
