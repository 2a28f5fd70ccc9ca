package auth

import (
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cargo-auth/cargo-auth/credentials"
)

const corpIndex = "sparse+https://corp.example/index/"

// The simulation of the provider chain, offline: every configuration tree
// below was written to make one mistake, and the right problem must come
// out, and nothing else.

func TestStatusCorrectSetupHasNoProblems(t *testing.T) {
	e := newStatusEnv(t)
	e.config(`
[registries.corp]
index = "` + corpIndex + `"

[registry]
global-credential-providers = ["cargo:token"]
`)
	e.setenv("CARGO_REGISTRIES_CORP_TOKEN=" + e.secret("cgatest_correctsetup0123456789"))
	out := e.offline()
	if out.code != ExitOK {
		t.Fatalf("exit %d, want 0:\n%s", out.code, out.stdout)
	}
	r := out.registry(t, "corp")
	wantProblems(t, r)
	if r.Token == nil || r.Token.Source != sourceEnv || r.Token.Origin != "environment variable CARGO_REGISTRIES_CORP_TOKEN" {
		t.Errorf("token = %+v, want the environment variable", r.Token)
	}
	if r.Verdict != verdictUsable || r.AnsweredBy == nil || r.Providers[*r.AnsweredBy].Name != "cargo:token" {
		t.Errorf("verdict %s, answered by %v", r.Verdict, r.AnsweredBy)
	}
	if r.Env.Token != "CARGO_REGISTRIES_CORP_TOKEN" || r.Env.CredentialProvider != "CARGO_REGISTRIES_CORP_CREDENTIAL_PROVIDER" {
		t.Errorf("env = %+v", r.Env)
	}
	if len(out.report.Problems) != 0 {
		t.Errorf("configuration problems: %+v", out.report.Problems)
	}
}

func TestStatusCargoAuthStoreAnswers(t *testing.T) {
	e := newStatusEnv(t)
	e.config(`
[registries.corp]
index = "` + corpIndex + `"
credential-provider = "cargo-auth"
`)
	tok := e.secret("cgatest_fromthestore0123456789")
	if err := e.store.Set(context.Background(), credentials.Credential{IndexURL: corpIndex, Token: credentials.NewToken(tok, credentials.SchemeBearer)}); err != nil {
		t.Fatal(err)
	}
	r := e.offline().registry(t, "corp")
	wantProblems(t, r)
	if r.Token == nil || r.Token.Source != sourceCargoAuth || r.Token.Scheme != "bearer" {
		t.Fatalf("token = %+v, want cargo-auth's bearer token", r.Token)
	}
	if r.header != "" {
		t.Errorf("the header must not survive JSON")
	}
}

func TestStatusProblemsOfTheChain(t *testing.T) {
	tests := []struct {
		name   string
		config string
		env    []string
		setup  func(e *statusEnv)
		want   []string
		// answer is the provider that answers, "" for none.
		answer  string
		verdict string
	}{{
		name:    "auth-required registry without any provider",
		config:  `[registries.corp]` + "\n" + `index = "` + corpIndex + `"`,
		env:     []string{"CARGO_REGISTRIES_CORP_TOKEN=cgatest_noprovider0123456789"},
		want:    []string{probProviderNone},
		verdict: verdictUnusable,
	}, {
		name: "the book's list on a headless box",
		config: `[registries.corp]
index = "` + corpIndex + `"
[registry]
global-credential-providers = ["cargo:token", "cargo:libsecret", "cargo:macos-keychain", "cargo:wincred"]`,
		env:     []string{"CARGO_REGISTRIES_CORP_TOKEN=cgatest_headless0123456789"},
		setup:   func(e *statusEnv) { e.noBus = true },
		want:    []string{probLibsecretFails},
		answer:  "cargo:libsecret",
		verdict: verdictUnusable,
	}, {
		name: "the book's list with a desktop keyring and no item",
		config: `[registries.corp]
index = "` + corpIndex + `"
[registry]
global-credential-providers = ["cargo:token", "cargo:libsecret", "cargo:macos-keychain", "cargo:wincred"]`,
		env:     []string{"CARGO_REGISTRIES_CORP_TOKEN=cgatest_desktop0123456789"},
		answer:  "cargo:token",
		verdict: verdictUsable,
	}, {
		name: "a libsecret item answers",
		config: `[registries.corp]
index = "` + corpIndex + `"
credential-provider = "cargo:libsecret"`,
		setup:   func(e *statusEnv) { e.libsecret[corpIndex] = "cgatest_libsecretitem0123456789" },
		answer:  "cargo:libsecret",
		verdict: verdictUsable,
	}, {
		name: "libsecret is not installed",
		config: `[registries.corp]
index = "` + corpIndex + `"
credential-provider = "cargo:libsecret"`,
		want:    []string{probLibsecretFails},
		answer:  "cargo:libsecret",
		verdict: verdictUnusable,
	}, {
		name: "an environment token the provider never reads",
		config: `[registries.corp]
index = "` + corpIndex + `"
credential-provider = "cargo-auth"`,
		env: []string{"CARGO_REGISTRIES_CORP_TOKEN=cgatest_ignoredenv0123456789"},
		setup: func(e *statusEnv) {
			e.store.Set(context.Background(), credentials.Credential{IndexURL: corpIndex, Token: credentials.NewToken("cgatest_storetoken0123456789", credentials.SchemeRaw)})
		},
		want:    []string{probTokenIgnored},
		answer:  "cargo-auth",
		verdict: verdictUsable,
	}, {
		name: "cargo-auth answers before cargo:token",
		config: `[registries.corp]
index = "` + corpIndex + `"
[registry]
global-credential-providers = ["cargo:token", "cargo-auth"]`,
		env: []string{"CARGO_REGISTRIES_CORP_TOKEN=cgatest_shadowedenv0123456789"},
		setup: func(e *statusEnv) {
			e.store.Set(context.Background(), credentials.Credential{IndexURL: corpIndex, Token: credentials.NewToken("cgatest_storetoken0123456789", credentials.SchemeRaw)})
		},
		want:    []string{probTokenShadowed},
		answer:  "cargo-auth",
		verdict: verdictUsable,
	}, {
		name: "cargo-auth alone with an empty store",
		config: `[registries.corp]
index = "` + corpIndex + `"
credential-provider = "cargo-auth"`,
		want:    []string{probProviderNoToken},
		verdict: verdictUnusable,
	}, {
		name: "an external provider that is not run",
		config: `[registries.corp]
index = "` + corpIndex + `"
credential-provider = "/bin/true"`,
		want:    []string{probProviderNotRun},
		answer:  "/bin/true",
		verdict: verdictUnverified,
	}, {
		name: "an external provider that does not exist",
		config: `[registries.corp]
index = "` + corpIndex + `"
[registry]
global-credential-providers = ["cargo:token", "/nonexistent/provider"]`,
		env:     []string{"CARGO_REGISTRIES_CORP_TOKEN=cgatest_missingprovider0123456789"},
		want:    []string{probProviderMissing},
		answer:  "/nonexistent/provider",
		verdict: verdictUnusable,
	}, {
		name: "cargo:paseto on stable cargo",
		config: `[registries.corp]
index = "` + corpIndex + `"
credential-provider = "cargo:paseto"`,
		want:    []string{probProviderUnsupported},
		answer:  "cargo:paseto",
		verdict: verdictUnusable,
	}, {
		name: "a token in credentials.toml",
		config: `[registries.corp]
index = "` + corpIndex + `"
[registry]
global-credential-providers = ["cargo:token"]`,
		setup: func(e *statusEnv) {
			e.write("home/.cargo/credentials.toml", "[registries.corp]\ntoken = \"cgatest_plaintext0123456789\"\n")
		},
		want:    []string{probTokenPlaintext},
		answer:  "cargo:token",
		verdict: verdictUsable,
	}, {
		name: "a token in a config file git tracks",
		config: `[registries.corp]
index = "` + corpIndex + `"
token = "cgatest_committed0123456789"
[registry]
global-credential-providers = ["cargo:token"]`,
		setup:   func(e *statusEnv) { e.tracked[filepath.Join(e.project, ".cargo", "config.toml")] = true },
		want:    []string{probTokenInGit, probTokenPlaintext},
		answer:  "cargo:token",
		verdict: verdictUsable,
	}, {
		name: "the environment token wins over the config token",
		config: `[registries.corp]
index = "` + corpIndex + `"
token = "cgatest_configtoken0123456789"
[registry]
global-credential-providers = ["cargo:token"]`,
		env:     []string{"CARGO_REGISTRIES_CORP_TOKEN=cgatest_envtoken0123456789"},
		want:    []string{probTokenShadowed, probTokenPlaintext},
		answer:  "cargo:token",
		verdict: verdictUsable,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newStatusEnv(t)
			e.config(tt.config)
			for _, kv := range tt.env {
				_, v, _ := strings.Cut(kv, "=")
				e.secret(v)
			}
			e.setenv(tt.env...)
			opts := statusOptions{JSON: true, Offline: true}
			if tt.name == "libsecret is not installed" {
				opts.libsecretLoadable = func() bool { return false }
			}
			if tt.setup != nil {
				tt.setup(e)
			}
			r := e.run(opts).registry(t, "corp")
			wantProblems(t, r, tt.want...)
			answer := ""
			if r.AnsweredBy != nil {
				answer = r.Providers[*r.AnsweredBy].Name
			}
			if answer != tt.answer {
				t.Errorf("answered by %q, want %q\n%s", answer, tt.answer, describeProblems(r))
			}
			if r.Verdict != tt.verdict {
				t.Errorf("verdict %s, want %s", r.Verdict, tt.verdict)
			}
		})
	}
}

func TestStatusHeadlessChainOrder(t *testing.T) {
	e := newStatusEnv(t)
	e.noBus = true
	e.config(`[registries.corp]
index = "` + corpIndex + `"
[registry]
global-credential-providers = ["cargo:token", "cargo:libsecret", "cargo:macos-keychain", "cargo:wincred"]`)
	r := e.offline().registry(t, "corp")
	var got []string
	for _, p := range r.Providers {
		got = append(got, p.Name+"="+p.Outcome)
	}
	want := "cargo:wincred=url-not-supported cargo:macos-keychain=url-not-supported cargo:libsecret=error cargo:token=not-reached"
	if strings.Join(got, " ") != want {
		t.Errorf("chain:\n got %s\nwant %s", strings.Join(got, " "), want)
	}
}

func TestStatusNameCollision(t *testing.T) {
	e := newStatusEnv(t)
	e.config(`[registries.a-b]
index = "sparse+https://one.example/index/"
[registries.a_b]
index = "sparse+https://two.example/index/"
[registry]
global-credential-providers = ["cargo:token"]`)
	e.setenv("CARGO_REGISTRIES_A_B_TOKEN=" + e.secret("cgatest_collide0123456789"))
	out := e.offline()
	for _, name := range []string{"a-b", "a_b"} {
		r := out.registry(t, name)
		wantProblems(t, r, probEnvCollision)
		if r.Token == nil || r.Token.Origin != "environment variable CARGO_REGISTRIES_A_B_TOKEN" {
			t.Errorf("%s: token %+v, want the shared variable", name, r.Token)
		}
	}
}

func TestStatusExpiredStoreToken(t *testing.T) {
	e := newStatusEnv(t)
	e.config(`[registries.corp]
index = "` + corpIndex + `"
credential-provider = "cargo-auth"`)
	tok := credentials.NewToken(e.secret("cgatest_expired0123456789"), credentials.SchemeRaw).WithExpiry(e.now.Add(-time.Hour))
	e.store.Set(context.Background(), credentials.Credential{IndexURL: corpIndex, Token: tok})
	out := e.offline()
	r := out.registry(t, "corp")
	// The provider answers not-found for an expired token, so cargo has none.
	wantProblems(t, r, probStoredExpired, probProviderNoToken)
	if out.code != ExitAuth {
		t.Errorf("exit %d, want %d", out.code, ExitAuth)
	}
	soon := credentials.NewToken("cgatest_expiring0123456789", credentials.SchemeRaw).WithExpiry(e.now.Add(time.Hour))
	e.store.Set(context.Background(), credentials.Credential{IndexURL: corpIndex, Token: soon})
	wantProblems(t, e.offline().registry(t, "corp"), probTokenExpiring)

	// A short life is the design when a token command renews the token.
	minted := credentials.NewToken("cgatest_minted0123456789", credentials.SchemeRaw).WithExpiry(e.now.Add(time.Hour))
	e.store.Set(context.Background(), credentials.Credential{IndexURL: corpIndex, Token: minted,
		TokenCommand: []string{"/usr/bin/mint-token"}, Updated: e.now.Add(-time.Hour)})
	r = e.offline().registry(t, "corp")
	wantProblems(t, r)
	if r.Token == nil || r.Token.RenewedBy == "" {
		t.Errorf("token %+v, want renewed_by naming the token command", r.Token)
	}
}

func TestStatusRunsProvidersOnlyWhenAsked(t *testing.T) {
	e := newStatusEnv(t)
	script := e.write("bin/provider", `#!/bin/sh
echo '{"v":[1]}'
read -r request
case "$request" in
*'"name":"corp"'*) echo '{"Ok":{"kind":"get","token":"cgatest_fromscript0123456789","cache":"session","operation_independent":true}}' ;;
*) echo '{"Err":{"kind":"not-found"}}' ;;
esac
`)
	os.Chmod(script, 0o755)
	e.secret("cgatest_fromscript0123456789")
	e.config(`[registries.corp]
index = "` + corpIndex + `"
credential-provider = "` + script + `"`)
	r := e.offline().registry(t, "corp")
	if r.Token != nil || r.Verdict != verdictUnverified {
		t.Fatalf("without --run-providers: token %+v, verdict %s", r.Token, r.Verdict)
	}
	r = e.run(statusOptions{JSON: true, Offline: true, RunProviders: true}).registry(t, "corp")
	wantProblems(t, r)
	if r.Token == nil || r.Token.Source != sourceProvider || r.Verdict != verdictUsable {
		t.Fatalf("with --run-providers: token %+v, verdict %s\n%s", r.Token, r.Verdict, describeProblems(r))
	}
}

func TestStatusTokenFromStdout(t *testing.T) {
	e := newStatusEnv(t)
	e.secret("cgatest_stdout0123456789")
	e.config(`[registries.corp]
index = "` + corpIndex + `"
credential-provider = ["cargo:token-from-stdout", "sh", "-c", "echo cgatest_stdout0123456789"]`)
	r := e.run(statusOptions{JSON: true, Offline: true, RunProviders: true}).registry(t, "corp")
	if r.Token == nil || r.Token.Source != sourceStdout {
		t.Fatalf("token %+v\n%s", r.Token, describeProblems(r))
	}
	e.config(`[registries.corp]
index = "` + corpIndex + `"
credential-provider = ["cargo:token-from-stdout", "sh", "-c", "exit 3"]`)
	r = e.run(statusOptions{JSON: true, Offline: true, RunProviders: true}).registry(t, "corp")
	wantProblems(t, r, probProviderFailed)
}

func TestStatusNarrowsToNamedRegistries(t *testing.T) {
	e := newStatusEnv(t)
	e.config(`[registries.corp]
index = "` + corpIndex + `"
[registries.other]
index = "sparse+https://other.example/index/"`)
	out := e.offline("other")
	if len(out.report.Registries) != 1 || out.report.Registries[0].Name != "other" {
		t.Fatalf("registries %+v", out.report.Registries)
	}
	out = e.offline("nosuch")
	if out.code != ExitUsage || !strings.Contains(out.stderr, `unknown registry "nosuch"`) {
		t.Fatalf("unknown registry: exit %d, stderr %s", out.code, out.stderr)
	}
}

func TestStatusCratesIOWithACredentialsToken(t *testing.T) {
	e := newStatusEnv(t)
	e.write("home/.cargo/credentials.toml", "[registry]\ntoken = \""+e.secret("cgatest_cratesio0123456789")+"\"\n")
	out := e.offline()
	r := out.registry(t, "crates-io")
	wantProblems(t, r, probTokenPlaintext)
	if r.IndexURL != cratesIOSparseIndex || r.AuthRequired == nil || *r.AuthRequired {
		t.Errorf("index %s, auth_required %v", r.IndexURL, r.AuthRequired)
	}
	if r.Token == nil || r.Token.Source != sourceCredentialsFile || r.Env.Token != "CARGO_REGISTRY_TOKEN" {
		t.Errorf("token %+v, env %+v", r.Token, r.Env)
	}
	if out.code != ExitOK {
		t.Errorf("exit %d", out.code)
	}
}

func TestStatusUnnamedReplacementWithUserinfo(t *testing.T) {
	e := newStatusEnv(t)
	e.config(`[registries.corp]
index = "` + corpIndex + `"
[source.corp]
registry = "` + corpIndex + `"
replace-with = "corp-authed"
[source.corp-authed]
registry = "sparse+https://ci:` + e.secret("cgatest_userinfo0123456789") + `@mirror.example/index/"
`)
	r := e.offline().registry(t, "corp")
	if strings.Join(r.ReplacedBy, ",") != "corp-authed" {
		t.Errorf("replaced_by %v", r.ReplacedBy)
	}
	if r.Token == nil || r.Token.Source != "index-url" || r.Token.Scheme != "basic" {
		t.Fatalf("token %+v\n%s", r.Token, describeProblems(r))
	}
	wantProblems(t, r, probURLConfig)
}

func TestStatusExpiredJWTFromTheEnvironment(t *testing.T) {
	e := newStatusEnv(t)
	e.config(`[registries.corp]
index = "` + corpIndex + `"
[registry]
global-credential-providers = ["cargo:token"]`)
	enc := base64.RawURLEncoding.EncodeToString
	jwt := enc([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." +
		enc([]byte(fmt.Sprintf(`{"sub":"ci","exp":%d}`, e.now.Add(-time.Hour).Unix()))) + "." + enc([]byte("signature-bytes-here"))
	e.setenv("CARGO_REGISTRIES_CORP_TOKEN=" + e.secret(jwt))
	r := e.offline().registry(t, "corp")
	wantProblems(t, r, probTokenExpired)
	if r.Token == nil || r.Token.Expires == nil {
		t.Fatalf("token %+v: no expiry read from the JWT", r.Token)
	}
}

func TestStatusDefinedByConfigArgument(t *testing.T) {
	e := newStatusEnv(t)
	out := e.run(statusOptions{JSON: true, Offline: true, ConfigArgs: []string{
		`registries.corp.index="` + corpIndex + `"`,
		`registry.global-credential-providers=["cargo:token"]`,
	}})
	r := out.registry(t, "corp")
	if r.Defined.Kind != "cli" || !strings.Contains(r.Defined.Display, "--config") {
		t.Errorf("defined_in %+v, want the --config argument", r.Defined)
	}
	wantProblems(t, r, probProviderNoToken)
}

func TestStatusRegistryRenamedByIndexVariable(t *testing.T) {
	e := newStatusEnv(t)
	e.config(`[registries.corp]
index = "` + corpIndex + `"
credential-provider = "cargo:token"`)
	e.setenv("CARGO_REGISTRIES_OTHER_INDEX="+corpIndex, "CARGO_REGISTRY_GLOBAL_CREDENTIAL_PROVIDERS=cargo:token",
		"CARGO_REGISTRIES_OTHER_TOKEN="+e.secret("cgatest_renamed0123456789"))
	r := e.offline("corp").registry(t, "corp")
	if r.CredentialsFrom != "other" {
		t.Errorf("credentials_from %q, want other", r.CredentialsFrom)
	}
	if r.Token == nil || r.Token.Origin != "environment variable CARGO_REGISTRIES_OTHER_TOKEN" {
		t.Errorf("token %+v, want other's variable", r.Token)
	}
	if !r.has(probEnvRenamed) {
		t.Errorf("no env.renamed:\n%s", describeProblems(r))
	}
}
