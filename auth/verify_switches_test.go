package auth

import (
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/cargo-auth/cargo-auth/internal/registrytest"
)

// namedCrates are testCrates as --crate values, so the switch tests do not
// depend on discovery (which needs the API on the index's origin).
var namedCrates = []string{"base", "app-lib@1.0.0", "Mixed_Case"}

// switchExpectation is what one misbehaviour must do to the report: exactly
// these checks fail and warn, nothing else.
type switchExpectation struct {
	fail, warn []string
	// plainFail replaces fail when the registry serves plain http.
	plainFail []string
}

var bogusTokenChecks = []string{
	"config.bogus-token", "index.bogus-token", "download.bogus-token",
	"api.search.bogus-token", "api.owners.bogus-token", "api.publish.bogus-token", "api.yank.bogus-token",
	"api.unyank.bogus-token", "api.owners-add.bogus-token", "api.owners-remove.bogus-token",
}

var switchExpectations = map[registrytest.Switch]switchExpectation{
	registrytest.OpenConfig:          {fail: []string{"config.anonymous", "config.bogus-token"}},
	registrytest.OpenIndex:           {fail: []string{"index.anonymous", "index.bogus-token"}},
	registrytest.OpenDownloads:       {fail: []string{"download.anonymous", "download.bogus-token"}},
	registrytest.OpenAPI:             {fail: []string{"api.search.anonymous", "api.search.bogus-token", "api.owners.anonymous", "api.owners.bogus-token"}},
	registrytest.OpenGit:             {}, // a sparse index has no git endpoint; see the git tests
	registrytest.AnyToken:            {fail: bogusTokenChecks},
	registrytest.Enumerate:           {fail: []string{"index.enumeration", "download.enumeration"}},
	registrytest.ConfigForbidden:     {fail: []string{"config.anonymous"}},
	registrytest.Forbidden:           {fail: []string{"config.anonymous"}},
	registrytest.OmitAuthRequired:    {fail: []string{"config.auth-required"}},
	registrytest.BasicChallenge:      {warn: []string{"config.challenge"}},
	registrytest.NoChallenge:         {warn: []string{"config.challenge"}},
	registrytest.DLOtherHost:         {fail: []string{"download.origin"}},
	registrytest.DLPlainHTTP:         {fail: []string{"download.origin", "transport.dl-https"}, plainFail: []string{"download.origin"}},
	registrytest.APIOtherOrigin:      {fail: []string{"api.origin"}},
	registrytest.DLRedirectOffOrigin: {fail: []string{"download.redirect"}},
	registrytest.DLRedirectHTTP:      {fail: []string{"download.redirect", "transport.redirect-downgrade"}, plainFail: []string{"download.redirect"}},
	registrytest.EchoToken:           {fail: []string{"transport.token-echo"}},
	registrytest.BadChecksum:         {fail: []string{"download.checksum"}},
}

// hostileSwitches are tested in verify_safety_test.go, class by class.
var hostileSwitches = []registrytest.Switch{registrytest.EndlessBody, registrytest.SlowBody, registrytest.SlowHeaders, registrytest.RedirectLoop}

func TestVerifyEverySwitchIsCovered(t *testing.T) {
	for _, sw := range registrytest.Switches() {
		if _, ok := switchExpectations[sw]; !ok && !slices.Contains(hostileSwitches, sw) {
			t.Errorf("switch %s has no expectation in verify's tests", sw)
		}
	}
}

func TestVerifySwitchFailsTheRightCheck(t *testing.T) {
	for _, sw := range registrytest.Switches() {
		want, ok := switchExpectations[sw]
		if !ok {
			continue
		}
		for _, tls := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/tls=%v", sw, tls), func(t *testing.T) {
				t.Parallel()
				opts := []registrytest.Option{testCrates(), registrytest.WithSwitches(sw)}
				if tls {
					opts = append(opts, registrytest.WithTLS())
				}
				reg := registrytest.New(t, opts...)
				out := newVerifyEnv(t, reg).withToken().run(verifyOptions{Crates: namedCrates})
				wantFail := want.fail
				if !tls && want.plainFail != nil {
					wantFail = want.plainFail
				}
				assertIDs(t, "failing", out.with(statusFail), wantFail)
				assertIDs(t, "warning", out.with(statusWarn), want.warn)
				wantCode := ExitOK
				if len(wantFail) > 0 {
					wantCode = ExitFindings
				}
				if out.code != wantCode {
					t.Errorf("exit code = %d, want %d", out.code, wantCode)
				}
				for _, id := range append(append([]string(nil), wantFail...), want.warn...) {
					c := out.check(t, id)
					if prefix, _, _ := strings.Cut(id, "."); c.Endpoint != prefix {
						t.Errorf("%s is in endpoint %q, want %q", id, c.Endpoint, prefix)
					}
					if c.Attack == "" || c.Remediation == "" {
						t.Errorf("%s has no attack or remediation: %+v", id, c)
					}
				}
				if t.Failed() {
					t.Log(out.stdout)
				}
			})
		}
	}
}

func assertIDs(t *testing.T, what string, got, want []string) {
	t.Helper()
	got, want = slices.Clone(got), slices.Clone(want)
	sort.Strings(got)
	sort.Strings(want)
	if !slices.Equal(got, want) {
		t.Errorf("%s checks = %v, want %v", what, got, want)
	}
}

func TestVerifyCorrectRegistryHasNoFindings(t *testing.T) {
	for _, tls := range []bool{true, false} {
		t.Run(fmt.Sprintf("tls=%v", tls), func(t *testing.T) {
			opts := []registrytest.Option{testCrates()}
			if tls {
				opts = append(opts, registrytest.WithTLS())
			}
			reg := registrytest.New(t, opts...)
			out := newVerifyEnv(t, reg).withToken().run(verifyOptions{})
			assertIDs(t, "failing", out.with(statusFail), nil)
			assertIDs(t, "warning", out.with(statusWarn), nil)
			assertIDs(t, "skipped", out.with(statusSkip), nil)
			if out.code != ExitOK {
				t.Errorf("exit code = %d, want 0", out.code)
			}
			if out.report.Crates.Source != "search" || out.report.Crates.Crates != 3 || out.report.Crates.Versions != 3 {
				t.Errorf("crates = %+v, want 3 discovered through search, each with a version", out.report.Crates)
			}
			if len(out.report.Checks) != len(checkList)-len(gitOnlyChecks) {
				t.Errorf("%d checks, want every sparse check (%d)", len(out.report.Checks), len(checkList)-len(gitOnlyChecks))
			}
		})
	}
}

// gitOnlyChecks run only against git indexes; sparseOnlyChecks only
// against sparse ones.
var (
	gitOnlyChecks    = []string{"git.smart.anonymous", "git.smart.bogus-token", "git.smart.token", "git.dumb.anonymous", "git.dumb.bogus-token", "git.challenge"}
	sparseOnlyChecks = []string{"config.anonymous", "config.bogus-token", "config.token", "config.challenge",
		"index.anonymous", "index.bogus-token", "index.token", "index.enumeration", "index.missing-crate"}
)

// gitEnv defines the registry's git index as "corp".
func gitEnv(t *testing.T, reg *registrytest.Registry) *verifyEnv {
	env := newVerifyEnv(t, nil)
	env.reg = reg
	env.environ = append(env.environ, "CARGO_REGISTRIES_CORP_INDEX="+reg.GitIndexURL())
	if ca := reg.CAFile(); ca != "" {
		env.environ = append(env.environ, "CARGO_HTTP_CAINFO="+ca)
	}
	return env
}

func TestVerifyGitIndex(t *testing.T) {
	cases := map[registrytest.Switch]switchExpectation{
		"":                            {},
		registrytest.OpenGit:          {fail: []string{"git.smart.anonymous", "git.smart.bogus-token", "git.dumb.anonymous", "git.dumb.bogus-token"}},
		registrytest.AnyToken:         {fail: append(slices.DeleteFunc(slices.Clone(bogusTokenChecks), func(id string) bool { return strings.HasPrefix(id, "config.") || strings.HasPrefix(id, "index.") }), "git.smart.bogus-token", "git.dumb.bogus-token")},
		registrytest.OmitAuthRequired: {fail: []string{"config.auth-required"}},
		registrytest.NoChallenge:      {warn: []string{"git.challenge"}},
		registrytest.Forbidden:        {fail: []string{"git.smart.anonymous"}},
		registrytest.OpenDownloads:    {fail: []string{"download.anonymous", "download.bogus-token"}},
		registrytest.DLOtherHost:      {fail: []string{"download.origin"}},
		registrytest.Enumerate:        {fail: []string{"download.enumeration"}},
		registrytest.EchoToken:        {fail: []string{"transport.token-echo"}},
	}
	for sw, want := range cases {
		t.Run(string(sw), func(t *testing.T) {
			t.Parallel()
			opts := []registrytest.Option{testCrates(), registrytest.WithGitIndex(), registrytest.WithTLS()}
			if sw != "" {
				opts = append(opts, registrytest.WithSwitches(sw))
			}
			reg := registrytest.New(t, opts...)
			out := gitEnv(t, reg).withToken().run(verifyOptions{})
			assertIDs(t, "failing", out.with(statusFail), want.fail)
			assertIDs(t, "warning", out.with(statusWarn), want.warn)
			for _, id := range sparseOnlyChecks {
				if _, ran := out.statuses()[id]; ran {
					t.Errorf("%s ran against a git index", id)
				}
			}
			if sw == "" {
				assertIDs(t, "skipped", out.with(statusSkip), nil)
				if out.report.Crates.Source != "git-index" || out.report.Crates.Crates != 3 {
					t.Errorf("crates = %+v, want 3 listed from the git index", out.report.Crates)
				}
			}
			if t.Failed() {
				t.Log(out.stdout)
			}
		})
	}
}

// The git index is fetched into a temporary directory that is gone after
// the audit.
func TestVerifyGitLeavesNoTemporaryFiles(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	reg := registrytest.New(t, testCrates(), registrytest.WithGitIndex())
	out := gitEnv(t, reg).withToken().run(verifyOptions{})
	if out.report.Crates.Source != "git-index" {
		t.Fatalf("the git index was not read: %+v", out.report.Crates)
	}
	entries, _ := os.ReadDir(tmp)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "cargo-auth-verify-") {
			t.Errorf("left behind in TMPDIR: %s", e.Name())
		}
	}
}

// An origin trusted with --trust-origin is treated like the index's own:
// dl and api there pass, and the token checks run against it.
func TestVerifyTrustOrigin(t *testing.T) {
	reg := registrytest.New(t, registrytest.WithTLS(), testCrates(),
		registrytest.WithSwitches(registrytest.DLOtherHost, registrytest.APIOtherOrigin))
	other := reg.OriginURL(registrytest.ListenerOther)
	out := newVerifyEnv(t, reg).withToken().run(verifyOptions{TrustOrigins: []string{other}})
	assertIDs(t, "failing", out.with(statusFail), nil)
	assertIDs(t, "skipped", out.with(statusSkip), nil)
	if c := out.check(t, "download.origin"); !strings.Contains(c.Message, "trusted with --trust-origin") {
		t.Errorf("download.origin = %q", c.Message)
	}
	if !reg.SawToken(reg.Token()) {
		t.Fatal("the registry never saw the token")
	}
	for _, req := range reg.RequestsOn(registrytest.ListenerOther) {
		if req.Class == registrytest.ClassDownload && req.Credential.Known() {
			return
		}
	}
	t.Error("no download on the trusted origin carried the token")
}

// Without --trust-origin, the token never goes to another origin.
func TestVerifyTokenStaysOnTheIndexOrigin(t *testing.T) {
	reg := registrytest.New(t, registrytest.WithTLS(), testCrates(),
		registrytest.WithSwitches(registrytest.DLOtherHost, registrytest.APIOtherOrigin, registrytest.DLRedirectOffOrigin))
	newVerifyEnv(t, reg).withToken().run(verifyOptions{Crates: namedCrates})
	for _, req := range reg.RequestsOn(registrytest.ListenerOther) {
		if reg.Carried(req, reg.Token()) {
			t.Errorf("the token went to another origin: %s", req)
		}
	}
}
