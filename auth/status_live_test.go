package auth

import (
	"strings"
	"testing"
	"time"

	"github.com/cargo-auth/cargo-auth/internal/registrytest"
)

// The live check against the test registry, in its correct and
// misconfigured modes.

// liveEnv defines the registry as corp with cargo:token as the global
// provider and, when withToken, the registry's token in the environment.
func liveEnv(t *testing.T, reg *registrytest.Registry, withToken bool) *statusEnv {
	t.Helper()
	e := newStatusEnv(t)
	e.config(reg.ConfigTOML("corp") + "\n[registry]\nglobal-credential-providers = [\"cargo:token\"]\n")
	for _, tok := range reg.Tokens() {
		e.secret(tok)
	}
	if withToken {
		e.setenv("CARGO_REGISTRIES_CORP_TOKEN=" + reg.Token())
	}
	return e
}

func TestStatusLiveCorrectRegistry(t *testing.T) {
	reg := registrytest.New(t, registrytest.WithTLS())
	out := liveEnv(t, reg, true).run(statusOptions{JSON: true})
	r := out.registry(t, "corp")
	wantProblems(t, r)
	if out.code != ExitOK || r.Live == nil || r.Live.Result != "ok" {
		t.Fatalf("exit %d, live %+v\n%s", out.code, r.Live, out.stdout)
	}
	if r.Live.Anonymous.Status != 401 || r.Live.WithToken.Status != 200 || r.Live.WithToken.AuthRequired == nil || !*r.Live.WithToken.AuthRequired {
		t.Errorf("probes: anonymous %+v, with token %+v", r.Live.Anonymous, r.Live.WithToken)
	}
	if r.AuthRequired == nil || !*r.AuthRequired {
		t.Errorf("auth_required = %v, want true", r.AuthRequired)
	}
}

func TestStatusLiveMisconfiguredRegistry(t *testing.T) {
	tests := []struct {
		name      string
		opts      []registrytest.Option
		withToken bool
		token     string
		want      []string
		result    string
	}{
		{name: "config.json answers 403", opts: []registrytest.Option{registrytest.WithSwitches(registrytest.ConfigForbidden)},
			withToken: true, want: []string{probNo401}, result: "no-401"},
		{name: "no auth-required", opts: []registrytest.Option{registrytest.WithSwitches(registrytest.OmitAuthRequired)},
			withToken: true, want: []string{probNoAuthRequired}, result: "no-auth-required"},
		{name: "only Bearer is accepted", opts: []registrytest.Option{registrytest.WithSchemes(registrytest.SchemeBearer)},
			withToken: true, want: []string{probTokenWrongScheme}, result: "wrong-scheme"},
		{name: "a wrong token", token: "cgatest_wrongtoken0123456789abcdef",
			want: []string{probTokenRejected}, result: "rejected"},
		{name: "no token at all", want: []string{probProviderNoToken}, result: "no-token"},
		{name: "a public registry needs none", opts: []registrytest.Option{registrytest.WithAnonymous(registrytest.ClassConfig, registrytest.ClassIndex, registrytest.ClassDownload)},
			result: "public"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reg := registrytest.New(t, append([]registrytest.Option{registrytest.WithTLS()}, tt.opts...)...)
			e := liveEnv(t, reg, tt.withToken)
			if tt.token != "" {
				e.setenv("CARGO_REGISTRIES_CORP_TOKEN=" + e.secret(tt.token))
			}
			out := e.run(statusOptions{JSON: true})
			r := out.registry(t, "corp")
			wantProblems(t, r, tt.want...)
			if r.Live == nil || r.Live.Result != tt.result {
				t.Errorf("live %+v, want result %s", r.Live, tt.result)
			}
			wantCode := ExitOK
			if len(tt.want) > 0 {
				wantCode = ExitAuth
			}
			if out.code != wantCode {
				t.Errorf("exit %d, want %d", out.code, wantCode)
			}
		})
	}
}

func TestStatusLiveDownAndSlowStayWithinTheTimeout(t *testing.T) {
	slow := registrytest.New(t, registrytest.WithSwitches(registrytest.SlowHeaders), registrytest.WithSlowHeaders(time.Minute))
	good := registrytest.New(t)
	e := newStatusEnv(t)
	e.config(slow.ConfigTOML("slow") + good.ConfigTOML("good") + `
[registries.down]
index = "sparse+http://127.0.0.1:1/index/"
[registry]
global-credential-providers = ["cargo:token"]
`)
	e.setenv("CARGO_REGISTRIES_GOOD_TOKEN="+e.secret(good.Token()), "CARGO_REGISTRIES_SLOW_TOKEN="+e.secret(slow.Token()))
	start := time.Now()
	out := e.run(statusOptions{JSON: true, Timeout: time.Second})
	if took := time.Since(start); took > 20*time.Second {
		t.Errorf("status took %s with a 1s timeout", took)
	}
	wantProblems(t, out.registry(t, "slow"), probTimeout)
	wantProblems(t, out.registry(t, "down"), probUnreachable, probProviderNoToken)
	wantProblems(t, out.registry(t, "good"))
	if out.code != ExitAuth || out.report.Summary.Usable != 1 || out.report.Summary.Unusable != 2 {
		t.Errorf("exit %d, summary %+v", out.code, out.report.Summary)
	}
}

func TestStatusOfflineSendsNothing(t *testing.T) {
	reg := registrytest.New(t)
	out := liveEnv(t, reg, true).run(statusOptions{JSON: true, Offline: true})
	if n := len(reg.Requests()); n != 0 {
		t.Errorf("--offline sent %d requests", n)
	}
	if r := out.registry(t, "corp"); r.Live != nil || r.Verdict != verdictUsable {
		t.Errorf("live %+v, verdict %s", r.Live, r.Verdict)
	}
}

func TestStatusHumanOutput(t *testing.T) {
	reg := registrytest.New(t, registrytest.WithTLS())
	e := liveEnv(t, reg, true)
	out := e.run(statusOptions{})
	for _, want := range []string{
		"corp " + reg.IndexURL(),
		"✓ 1. cargo:token (",
		"✓ token cgat…",
		"(raw) from environment variable CARGO_REGISTRIES_CORP_TOKEN",
		"variables: CARGO_REGISTRIES_CORP_INDEX CARGO_REGISTRIES_CORP_TOKEN CARGO_REGISTRIES_CORP_CREDENTIAL_PROVIDER",
		"✓ live " + strings.TrimPrefix(reg.IndexURL(), "sparse+") + "config.json: 401 without a token, 200 with it, auth-required",
		"✓ usable",
		"1 registry: 1 usable, 0 not usable (0 errors, 0 warnings)",
	} {
		if !strings.Contains(out.stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, out.stdout)
		}
	}
	if strings.Contains(out.stdout, "\x1b[") {
		t.Errorf("colour on a non-terminal:\n%s", out.stdout)
	}
	shown := e.run(statusOptions{ShowToken: true})
	if !strings.Contains(shown.stdout, "token "+reg.Token()+" (raw)") {
		t.Errorf("--show-token does not show the token:\n%s", shown.stdout)
	}
}

func TestStatusGitIndexIsProbedWithoutTheToken(t *testing.T) {
	reg := registrytest.New(t, registrytest.WithGitIndex(), registrytest.WithSwitches(registrytest.OpenGit))
	e := newStatusEnv(t)
	e.config("[registries.corp]\nindex = \"" + reg.GitIndexURL() + "\"\n")
	out := e.run(statusOptions{JSON: true})
	r := out.registry(t, "corp")
	wantProblems(t, r)
	if r.Protocol != "git" || r.Live == nil || r.Live.Result != "ok" || r.Live.WithToken != nil {
		t.Fatalf("protocol %s, live %+v", r.Protocol, r.Live)
	}
	if reg.SawToken(reg.Token()) {
		t.Errorf("the git index saw a token")
	}
}
