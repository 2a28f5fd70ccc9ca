package auth

import (
	"fmt"
	"net/http"
	"reflect"
	"runtime"
	"testing"
	"time"

	"github.com/cargo-auth/cargo-auth/internal/registrytest"
)

// A hostile registry (endless or trickling bodies, headers that never come,
// redirect loops) on any endpoint class cannot hang the audit or fill its
// memory: with --timeout 1s it finishes within a few timeouts, reports the
// class's answers in transport.answers, and still audits the other classes.
func TestVerifyHostileRegistryCannotHangIt(t *testing.T) {
	classes := []registrytest.Class{registrytest.ClassConfig, registrytest.ClassIndex, registrytest.ClassDownload, registrytest.ClassAPI}
	for _, sw := range hostileSwitches {
		for _, class := range classes {
			t.Run(fmt.Sprintf("%s/%s", sw, class), func(t *testing.T) {
				t.Parallel()
				reg := registrytest.New(t, registrytest.WithTLS(), testCrates(), registrytest.WithSwitches(sw),
					registrytest.WithHostileClasses(class), registrytest.WithSlowHeaders(time.Minute), registrytest.WithTrickle(200*time.Millisecond))
				start := time.Now()
				out := newVerifyEnv(t, reg).withToken().run(verifyOptions{Crates: namedCrates, Timeout: time.Second, Jobs: 4})
				elapsed := time.Since(start)
				if elapsed > 20*time.Second {
					t.Errorf("the audit took %v against a hostile %s endpoint", elapsed, class)
				}
				if out.code != ExitFindings {
					t.Errorf("exit code = %d, want %d\n%s", out.code, ExitFindings, out.stderr)
				}
				if got := out.check(t, "transport.answers").Status; got != statusFail {
					t.Errorf("transport.answers = %s, want fail", got)
				}
				// Endpoints that behave are still judged.
				if class != registrytest.ClassConfig {
					if got := out.check(t, "config.anonymous").Status; got != statusPass {
						t.Errorf("config.anonymous = %s, want pass (only %s is hostile)", got, class)
					}
				}
				if t.Failed() {
					t.Log(out.stdout)
				}
			})
		}
	}
}

// An endless download streams through the hash, not into memory.
func TestVerifyEndlessDownloadKeepsMemoryFlat(t *testing.T) {
	reg := registrytest.New(t, testCrates(), registrytest.WithSwitches(registrytest.EndlessBody),
		registrytest.WithHostileClasses(registrytest.ClassDownload))
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	done, stopped := make(chan struct{}), make(chan struct{})
	peak := before.HeapAlloc
	go func() {
		defer close(stopped)
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				var m runtime.MemStats
				runtime.ReadMemStats(&m)
				peak = max(peak, m.HeapAlloc)
			}
		}
	}()
	out := newVerifyEnv(t, reg).withToken().run(verifyOptions{Crates: []string{"base@0.2.0"}, Timeout: 3 * time.Second, Jobs: 2})
	close(done)
	<-stopped
	if got := out.check(t, "transport.answers").Status; got != statusFail {
		t.Errorf("transport.answers = %s, want fail", got)
	}
	if grew := int64(peak) - int64(before.HeapAlloc); grew > 64<<20 {
		t.Errorf("heap grew by %d MiB while downloading an endless body", grew>>20)
	}
}

// verify never changes the registry: even one that accepts any token and
// answers anonymous reads, every state-changing request is refused or
// fails on the missing crate or the invalid body, and the index is as
// before.
func TestVerifyNeverModifiesTheRegistry(t *testing.T) {
	for _, switches := range [][]registrytest.Switch{nil, {registrytest.AnyToken}, {registrytest.AnyToken, registrytest.OpenAPI, registrytest.OpenIndex, registrytest.OpenDownloads}} {
		t.Run(fmt.Sprint(switches), func(t *testing.T) {
			reg := registrytest.New(t, registrytest.WithTLS(), testCrates(), registrytest.WithSwitches(switches...))
			before := map[string][]registrytest.IndexEntry{}
			for _, name := range []string{"base", "app-lib", "Mixed_Case"} {
				before[name] = reg.IndexEntries(name)
			}
			ownersBefore := ownersOf(t, reg, "base")
			out := newVerifyEnv(t, reg).withToken().run(verifyOptions{})
			if out.report.Summary.Requests == 0 {
				t.Fatal("the audit sent no request")
			}
			mutations := 0
			for _, req := range reg.Requests() {
				if req.Method == http.MethodGet || req.Method == http.MethodHead || req.Class == registrytest.ClassGit {
					continue
				}
				mutations++
				if req.Status < 400 {
					t.Errorf("state-changing request %s answered %d", req, req.Status)
				}
			}
			if mutations < 10 {
				t.Errorf("%d state-changing probes, want the 10 anonymous and bogus-token ones", mutations)
			}
			for name, entries := range before {
				if got := reg.IndexEntries(name); !reflect.DeepEqual(got, entries) {
					t.Errorf("index entries of %s changed:\n got %+v\nwant %+v", name, got, entries)
				}
			}
			if got := ownersOf(t, reg, "base"); got != ownersBefore {
				t.Errorf("owners of base changed: %s, was %s", got, ownersBefore)
			}
		})
	}
}

// ownersOf lists a crate's owners through the API with the token.
func ownersOf(t *testing.T, reg *registrytest.Registry, name string) string {
	t.Helper()
	c := testClient(t, clientOptions{CAInfo: reg.CAFile()})
	resp, err := c.get(t.Context(), reg.URL()+"/api/v1/crates/"+name+"/owners", reg.Token())
	if err != nil || resp.Status != 200 {
		t.Fatalf("listing owners: %v %v", err, resp)
	}
	return string(resp.Body)
}

// The registry is unreachable: a runtime error (exit 1), not a finding.
func TestVerifyUnreachableRegistryIsAnError(t *testing.T) {
	env := newVerifyEnv(t, nil)
	env.environ = append(env.environ, "CARGO_REGISTRIES_CORP_INDEX=sparse+http://127.0.0.1:1/index/")
	out := env.run(verifyOptions{Registry: "corp"})
	if out.code != ExitError {
		t.Errorf("exit code = %d, want %d\n%s", out.code, ExitError, out.stderr)
	}
	if out.stdout != "" {
		t.Errorf("stdout = %q, want nothing", out.stdout)
	}
}

// A registry whose certificate is not trusted is a runtime error with the
// hint to set http.cainfo.
func TestVerifyUntrustedCertificateHints(t *testing.T) {
	reg := registrytest.New(t, registrytest.WithTLS(), testCrates())
	env := newVerifyEnv(t, nil)
	env.environ = append(env.environ, "CARGO_REGISTRIES_CORP_INDEX="+reg.IndexURL())
	out := env.run(verifyOptions{Registry: "corp"})
	if out.code != ExitError {
		t.Errorf("exit code = %d, want %d", out.code, ExitError)
	}
	if want := "hint: trust the registry's CA with http.cainfo"; !contains(out.stderr, want) {
		t.Errorf("stderr = %q, want %q", out.stderr, want)
	}
}

// A token in the index URL (the Cloudsmith style) travels with every
// request: transport.url-credentials fails and says the anonymous probes
// carried it; the report never shows it.
func TestVerifyTokenInIndexPath(t *testing.T) {
	reg := registrytest.New(t, registrytest.WithTLS(), registrytest.WithPathToken(), testCrates())
	env := newVerifyEnv(t, reg)
	env.environ = append(env.environ, "CARGO_REGISTRIES_CORP_INDEX="+reg.PathTokenIndexURL(reg.Token()))
	out := env.run(verifyOptions{Crates: namedCrates})
	c := out.check(t, "transport.url-credentials")
	if c.Status != statusFail || !contains(c.Message, "anonymous probes of this audit included") {
		t.Errorf("transport.url-credentials = %+v", c)
	}
	if !contains(out.report.Registry.IndexURL, "/***/index/") {
		t.Errorf("index_url = %q, want the path token redacted", out.report.Registry.IndexURL)
	}
}
