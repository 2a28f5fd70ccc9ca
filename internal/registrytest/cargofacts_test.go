package registrytest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Each test here pins one line of /work/shared/cargo-facts.md with the real
// cargo, so a cargo upgrade that changes the behaviour fails loudly.

// fetchProject starts a cargo home pointed at r with token and a project
// depending on app-core (which depends on app-util).
func fetchProject(t *testing.T, r *Registry, token string) *cargoRun {
	t.Helper()
	c := newCargo(t).withRegistry(r, "corp", token)
	c.writeProject(Project{Name: "consumer", Registry: "corp", Deps: map[string]string{"app-core": "1"}})
	return c
}

func assertNoRequestCarried(t *testing.T, r *Registry, token string) {
	t.Helper()
	if carried := r.RequestsCarrying(token); len(carried) > 0 {
		t.Errorf("cargo sent the token:\n%s", FormatRequests(carried))
	}
}

// "Only an HTTP 401 makes it retry with the token; 400, 403 or 404 end
// there (cargo never sends the token)."
func TestCargoFactConfig403EndsWithoutToken(t *testing.T) {
	t.Parallel()
	r := New(t, WithSwitches(ConfigForbidden), WithCrates(privateCrates()...))
	c := fetchProject(t, r, r.Token())
	out := c.mustFail([]string{r.Token()}, "generate-lockfile")
	assertNoRequestCarried(t, r, r.Token())
	if reqs := r.Requests(); len(reqs) == 0 || reqs[0].Class != ClassConfig || reqs[0].Status != 403 {
		t.Errorf("requests:\n%s", FormatRequests(reqs))
	}
	if !strings.Contains(out, "403") {
		t.Errorf("cargo's error does not name the 403:\n%s", r.redact(out))
	}
}

// "A registry that answers 401 but omits auth-required gets the token for
// config.json only: index files then fail with 401."
func TestCargoFactMissingAuthRequiredFailsOnIndex(t *testing.T) {
	t.Parallel()
	r := New(t, WithSwitches(OmitAuthRequired), WithCrates(privateCrates()...))
	c := fetchProject(t, r, r.Token())
	c.mustFail([]string{r.Token()}, "generate-lockfile")
	for _, req := range r.RequestsTo(ClassConfig) {
		if req.Credential.Present() && !r.Carried(req, r.Token()) {
			t.Errorf("config.json came with %s", req.Credential)
		}
	}
	if len(r.RequestsTo(ClassConfig)) != 2 || !r.Carried(r.RequestsTo(ClassConfig)[1], r.Token()) {
		t.Errorf("want config.json anonymous then with the token:\n%s", FormatRequests(r.Requests()))
	}
	index := r.RequestsTo(ClassIndex)
	if len(index) == 0 {
		t.Fatalf("cargo asked for no index file:\n%s", FormatRequests(r.Requests()))
	}
	for _, req := range index {
		if req.Credential.Present() || req.Status != 401 {
			t.Errorf("index file request %s, want anonymous and 401", req)
		}
	}
}

// "The token goes to whatever host and port dl names (no same-origin check)."
func TestCargoFactTokenFollowsDLToAnotherHost(t *testing.T) {
	t.Parallel()
	r := New(t, WithTLS(), WithSwitches(DLOtherHost), WithCrates(privateCrates()...))
	c := fetchProject(t, r, r.Token())
	c.mustRun([]string{r.Token()}, "fetch")
	other := r.RequestsOn(ListenerOther)
	if len(other) != 2 {
		t.Fatalf("downloads on the other origin:\n%s", FormatRequests(r.Requests()))
	}
	for _, req := range other {
		if req.Class != ClassDownload || !r.Carried(req, r.Token()) || req.Status != 200 {
			t.Errorf("other origin got %s, want a download with the token", req)
		}
	}
}

// "... and over plain http:// without any warning."
func TestCargoFactTokenGoesOverPlainHTTP(t *testing.T) {
	t.Parallel()
	r := New(t, WithTLS(), WithSwitches(DLPlainHTTP), WithCrates(privateCrates()...))
	c := fetchProject(t, r, r.Token())
	out := c.mustRun([]string{r.Token()}, "fetch")
	plain := r.RequestsOn(ListenerPlain)
	if len(plain) != 2 || !r.Carried(plain[0], r.Token()) || !r.Carried(plain[1], r.Token()) {
		t.Errorf("plain-http origin:\n%s", FormatRequests(plain))
	}
	if strings.Contains(strings.ToLower(out), "warning") {
		t.Errorf("cargo warned:\n%s", r.redact(out))
	}
}

// "On a redirect curl keeps the header only if host name and port are
// unchanged (localhost vs 127.0.0.1 counts as a change)."
func TestCargoFactRedirectOffOriginDropsToken(t *testing.T) {
	t.Parallel()
	r := New(t, WithTLS(), WithSwitches(DLRedirectOffOrigin), WithCrates(privateCrates()...))
	c := fetchProject(t, r, r.Token())
	c.mustRun([]string{r.Token()}, "fetch")
	other := r.RequestsOn(ListenerOther)
	if len(other) != 2 {
		t.Fatalf("redirected downloads:\n%s", FormatRequests(r.Requests()))
	}
	for _, req := range other {
		if req.Credential.Present() || !req.Signed || req.Status != 200 {
			t.Errorf("redirect target got %s (signed %t), want an anonymous signed download", req, req.Signed)
		}
	}
	for _, req := range r.RequestsTo(ClassDownload) {
		if req.Listener == ListenerMain && (!r.Carried(req, r.Token()) || req.Status != 302) {
			t.Errorf("main download %s, want a 302 after the token", req)
		}
	}
}

// "The token is sent raw as the Authorization value, no scheme added ...
// The scheme therefore belongs in the stored token."
func TestCargoFactSchemeBelongsInStoredToken(t *testing.T) {
	t.Parallel()
	r := New(t, WithSchemes(SchemeBearer), WithCrates(privateCrates()...))
	bare := fetchProject(t, r, r.Token())
	bare.mustFail([]string{r.Token()}, "generate-lockfile")
	for _, req := range r.RequestsCarrying(r.Token()) {
		if req.Credential.Form != FormRaw {
			t.Errorf("cargo added a scheme: %s", req)
		}
	}
	r.Reset()
	withScheme := fetchProject(t, r, "Bearer "+r.Token())
	withScheme.mustRun([]string{r.Token()}, "fetch")
	for _, req := range r.Requests() {
		if req.Credential.Present() && (req.Credential.Form != FormBearer || !req.Credential.Accepted) {
			t.Errorf("request %s, want an accepted Bearer credential", req)
		}
	}
}

// "An auth-required registry needs a provider configured; without one:
// authenticated registries require a credential-provider to be configured"
func TestCargoFactAuthRequiredNeedsProvider(t *testing.T) {
	t.Parallel()
	r := New(t, WithCrates(privateCrates()...))
	c := newCargo(t).setenv(r.Env("corp")...).setenv("CARGO_REGISTRIES_CORP_TOKEN=" + r.Token())
	c.writeProject(Project{Name: "consumer", Registry: "corp", Deps: map[string]string{"app-core": "1"}})
	out := c.mustFail([]string{r.Token()}, "generate-lockfile")
	if !strings.Contains(out, "authenticated registries require a credential-provider to be configured") {
		t.Errorf("cargo said:\n%s", r.redact(out))
	}
	assertNoRequestCarried(t, r, r.Token())
}

// A rejected token: cargo says "token rejected" and shows the errors
// detail of the body, but not the login_url of the challenge (cargo passes
// that to `cargo login` only). With CARGO_HTTP_DEBUG the header is logged as
// [REDACTED] ("cargo's own debug logs redact the header").
func TestCargoFactRejectedToken(t *testing.T) {
	t.Parallel()
	const wrong = "cgatest_wrong_token"
	r := New(t, WithCrates(privateCrates()...))
	c := fetchProject(t, r, wrong).setenv("CARGO_HTTP_DEBUG=true", "CARGO_LOG=network=debug")
	out := c.mustFail([]string{r.Token(), wrong}, "generate-lockfile")
	for _, want := range []string{"token rejected for `corp`", `"detail":"invalid credential"`, "Authorization: [REDACTED]"} {
		if !strings.Contains(out, want) {
			t.Errorf("cargo's output lacks %q:\n%s", want, redactAll(out, []string{wrong}))
		}
	}
	if strings.Contains(out, wrong) {
		t.Errorf("cargo printed the token it sent")
	}
	if strings.Contains(out, "error: ") && strings.Contains(out[strings.Index(out, "error: "):], r.LoginURL()) {
		t.Errorf("cargo's error now names the login_url; update cargo-facts.md")
	}
	if reqs := r.Requests(); len(reqs) != 2 || !r.Carried(reqs[1], wrong) {
		t.Errorf("want one anonymous config.json and one with the wrong token:\n%s", FormatRequests(reqs))
	}
}

// A download whose sha256 differs from the index's cksum fails the fetch.
func TestCargoFactBadChecksumFails(t *testing.T) {
	t.Parallel()
	r := New(t, WithSwitches(BadChecksum), WithCrates(privateCrates()...))
	c := fetchProject(t, r, r.Token())
	out := c.mustFail([]string{r.Token()}, "fetch")
	if !strings.Contains(out, "checksum") {
		t.Errorf("cargo's error does not mention the checksum:\n%s", r.redact(out))
	}
}

// With config.json open (no 401), cargo still sends the token on index
// files and downloads, because config.json says auth-required.
func TestCargoFactOpenConfigStillSendsTokenElsewhere(t *testing.T) {
	t.Parallel()
	r := New(t, WithSwitches(OpenConfig), WithCrates(privateCrates()...))
	c := fetchProject(t, r, r.Token())
	c.mustRun([]string{r.Token()}, "fetch")
	for _, req := range r.Requests() {
		switch req.Class {
		case ClassConfig:
			if req.Credential.Present() {
				t.Errorf("config.json came with a credential: %s", req)
			}
		default:
			if !r.Carried(req, r.Token()) {
				t.Errorf("%s came without the token", req)
			}
		}
	}
}

// "Once config.json is cached, later commands send the token on the first
// request."
func TestCargoFactCachedConfigSendsTokenFirst(t *testing.T) {
	t.Parallel()
	r := New(t, WithCrates(privateCrates()...))
	c := fetchProject(t, r, r.Token())
	c.mustRun([]string{r.Token()}, "generate-lockfile")
	r.Reset()
	c.mustRun([]string{r.Token()}, "update")
	reqs := r.Requests()
	if len(reqs) == 0 {
		t.Fatalf("cargo update made no request")
	}
	for _, req := range reqs {
		if !r.Carried(req, r.Token()) {
			t.Errorf("%s came without the token", req)
		}
	}
}

// gitProject points a cargo home at r's git index through [source]
// replacement with user:token@ in the replacement's URL.
func gitProject(t *testing.T, r *Registry, withCLI bool) *cargoRun {
	t.Helper()
	c := newCargo(t)
	if r.CAFile() != "" {
		c.setenv("CARGO_HTTP_CAINFO="+r.CAFile(), "GIT_SSL_CAINFO="+r.CAFile())
	}
	clean := r.GitIndexURL()
	config := "[registries.corp]\nindex = " + tomlString(clean) + "\n\n" +
		"[source.corp]\nregistry = " + tomlString(clean) + "\nreplace-with = \"corp-authed\"\n\n" +
		"[source.corp-authed]\nregistry = " + tomlString(r.GitIndexURLWithUserinfo("x", r.Token())) + "\n"
	if withCLI {
		config += "\n[net]\ngit-fetch-with-cli = true\n"
	}
	c.writeFile(filepath.Join(c.project, ".cargo", "config.toml"), config)
	c.writeProject(Project{Name: "consumer", Registry: "corp", Deps: map[string]string{"app-core": "1"}})
	return c
}

// "libgit2 and the git CLI (net.git-fetch-with-cli) both use a userinfo
// password after a 401 challenge"; source replacement keeps Cargo.lock
// clean; "Cargo's token is never sent to git endpoints".
//
// Observed beyond cargo-facts.md: once cargo routes libgit2 through its own
// curl transport (it does when http.cainfo is set, as any TLS test
// registry needs, and then even over plain http), the userinfo credentials
// go out preemptively on the first request, without waiting for the 401.
func TestCargoFactGitIndexBasicThroughSourceReplacement(t *testing.T) {
	t.Parallel()
	requireTool(t, "git")
	for _, tc := range []struct {
		name           string
		withCLI, tls   bool
		challengeFirst bool
	}{
		{"libgit2-http", false, false, true},
		{"libgit2-https-cainfo", false, true, false},
		{"git-cli-https", true, true, true},
	} {
		withCLI := tc.withCLI
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			opts := []Option{WithGitIndex(), WithAnonymous(ClassDownload), WithCrates(privateCrates()...)}
			if tc.tls {
				opts = append(opts, WithTLS())
			}
			r := New(t, opts...)
			c := gitProject(t, r, withCLI)
			c.mustRun([]string{r.Token()}, "fetch")
			lock, err := os.ReadFile(filepath.Join(c.project, "Cargo.lock"))
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(lock), r.Token()) || !strings.Contains(string(lock), "registry+"+r.GitIndexURL()) {
				t.Errorf("Cargo.lock does not hold the clean git URL only:\n%s", r.redact(string(lock)))
			}
			git := r.RequestsTo(ClassGit)
			if len(git) < 2 {
				t.Fatalf("git requests:\n%s", FormatRequests(git))
			}
			if challenged := !git[0].Credential.Present() && git[0].Status == 401; challenged != tc.challengeFirst {
				t.Errorf("first git request %s; want a 401 challenge first: %t", git[0], tc.challengeFirst)
			}
			authed := 0
			for _, req := range git {
				if req.Credential.Present() {
					authed++
					if req.Credential.Form != FormBasic || !r.Carried(req, r.Token()) || !req.Credential.Accepted {
						t.Errorf("git request %s, want Basic with the token", req)
					}
				}
			}
			if authed == 0 {
				t.Errorf("no git request carried credentials:\n%s", FormatRequests(git))
			}
			downloads := r.RequestsTo(ClassDownload)
			if len(downloads) != 2 {
				t.Errorf("downloads:\n%s", FormatRequests(downloads))
			}
			for _, req := range downloads {
				if req.Credential.Present() {
					t.Errorf("a download carried %s; userinfo is for the index only", req.Credential)
				}
			}
		})
	}
}

// A path-token git index (Cloudsmith style) with dl embedding the token:
// downloads carry the path token, and no header credential is sent.
func TestCargoFactPathTokenGitIndex(t *testing.T) {
	t.Parallel()
	requireTool(t, "git")
	r := New(t, WithGitIndex(), WithPathToken(), WithCrates(privateCrates()...))
	c := newCargo(t)
	clean := r.GitIndexURL()
	c.writeFile(filepath.Join(c.project, ".cargo", "config.toml"),
		"[registries.corp]\nindex = "+tomlString(clean)+"\n\n"+
			"[source.corp]\nregistry = "+tomlString(clean)+"\nreplace-with = \"corp-authed\"\n\n"+
			"[source.corp-authed]\nregistry = "+tomlString(r.PathTokenGitIndexURL(r.Token()))+"\n")
	c.writeProject(Project{Name: "consumer", Registry: "corp", Deps: map[string]string{"app-core": "1"}})
	c.mustRun([]string{r.Token()}, "fetch")
	for _, req := range r.Requests() {
		if req.Credential.Form != FormPath || !req.Credential.Accepted {
			t.Errorf("%s, want an accepted path token", req)
		}
	}
	if n := len(r.RequestsTo(ClassDownload)); n != 2 {
		t.Errorf("%d downloads, want 2:\n%s", n, FormatRequests(r.Requests()))
	}
}

// `cargo login --registry X` with the token on stdin (cargo:token) asks for
// config.json anonymously, gets the 401 and its login_url, never sends the
// token anywhere, and saves it without validating it.
func TestCargoFactLoginDoesNotValidate(t *testing.T) {
	t.Parallel()
	r := New(t, WithTLS())
	c := newCargo(t).withRegistry(r, "corp", "")
	c.stdin = "cgatest_not_a_valid_token\n"
	c.mustRun([]string{r.Token(), "cgatest_not_a_valid_token"}, "login", "--registry", "corp")
	reqs := r.Requests()
	if len(reqs) != 1 || reqs[0].Class != ClassConfig || reqs[0].Credential.Present() || reqs[0].Status != 401 {
		t.Errorf("cargo login's requests, want one anonymous config.json:\n%s", FormatRequests(reqs))
	}
	creds, err := os.ReadFile(filepath.Join(c.cargoHome, "credentials.toml"))
	if err != nil || !strings.Contains(string(creds), "[registries.corp]") || !strings.Contains(string(creds), "cgatest_not_a_valid_token") {
		t.Errorf("credentials.toml after cargo login does not hold the token (%v)", err)
	}
}

// Like dl, an api on another origin gets the token: cargo checks neither.
func TestCargoFactTokenFollowsAPIToAnotherOrigin(t *testing.T) {
	t.Parallel()
	r := New(t, WithTLS(), WithSwitches(APIOtherOrigin), WithCrates(privateCrates()...))
	c := newCargo(t).withRegistry(r, "corp", r.Token())
	c.mustRun([]string{r.Token()}, "search", "--registry", "corp", "app")
	other := r.RequestsOn(ListenerOther)
	if len(other) != 1 || other[0].Class != ClassAPI || !r.Carried(other[0], r.Token()) || other[0].Status != 200 {
		t.Errorf("the other origin's requests, want one search with the token:\n%s", FormatRequests(r.Requests()))
	}
}
