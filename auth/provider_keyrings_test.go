package auth

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/cargo-auth/cargo-auth/credentials"
	"github.com/cargo-auth/cargo-auth/internal/registrytest"
)

// TestRealKeyringsLoginAndProvider runs login and the provider on the real
// keyrings that work headless: keyctl always (on Linux), Secret Service and
// pass when scripts/with-keyrings set them up (CARGO_AUTH_TEST_KEYRINGS=1).
// With CI set, a missing keyring fails the test instead of skipping it.
func TestRealKeyringsLoginAndProvider(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the headless keyrings tested here are Linux's")
	}
	for _, backend := range []string{credentials.BackendKeyctl, credentials.BackendSecretService, credentials.BackendPass} {
		t.Run(backend, func(t *testing.T) {
			if backend != credentials.BackendKeyctl && os.Getenv("CARGO_AUTH_TEST_KEYRINGS") != "1" {
				if os.Getenv("CI") != "" {
					t.Fatalf("%s: no test keyring (run under scripts/with-keyrings)", backend)
				}
				t.Skipf("%s: run under scripts/with-keyrings", backend)
			}
			testRealKeyring(t, backend)
		})
	}
}

func testRealKeyring(t *testing.T, backend string) {
	suffix := make([]byte, 6)
	rand.Read(suffix)
	service := "cargo-auth-test-" + hex.EncodeToString(suffix)
	opts := credentials.Options{Backend: backend, ServiceName: service, Getenv: os.Getenv, Timeout: 10 * time.Second}
	store, err := credentials.Open(context.Background(), opts)
	if err != nil {
		t.Fatalf("opening %s: %v", backend, err)
	}
	if backend == credentials.BackendKeyctl {
		t.Cleanup(func() { unlinkTestKeyctlKeyring(t, service) })
	}
	reg := registrytest.New(t, registrytest.WithTLS(), registrytest.WithSchemes(registrytest.SchemeBearer))
	e := newTokensEnv(t, reg)
	e.store = store
	t.Cleanup(func() { store.Delete(context.Background(), reg.IndexURL()) })

	e.stdin = reg.Token() + "\n"
	if code := e.login(loginOptions{NoConfigure: true}); code != ExitOK {
		t.Fatalf("login: exit %d\n%s", code, e.stderr.String())
	}
	_, answers := e.providerRun(e.factory(), getRequest(reg.IndexURL()))
	if ok := okOf(t, answers[0]); ok["token"] != "Bearer "+reg.Token() || ok["cache"] != "session" {
		t.Errorf("get answered %v", ok["cache"])
	}
	logout := `{"v":1,"registry":{"index-url":"` + reg.IndexURL() + `"},"kind":"logout"}`
	_, answers = e.providerRun(e.factory(), logout, getRequest(reg.IndexURL()))
	if okOf(t, answers[0])["kind"] != "logout" || errKind(answers[1]) != "not-found" {
		t.Errorf("logout then get: %v", answers)
	}
}

// unlinkTestKeyctlKeyring removes the keyring a test created in the user
// keyring.
func unlinkTestKeyctlKeyring(t *testing.T, name string) {
	out, err := exec.Command("keyctl", "search", "@u", "keyring", name).Output()
	if err != nil {
		return
	}
	if id := strings.TrimSpace(string(out)); id != "" {
		exec.Command("keyctl", "unlink", id, "@u").Run()
	}
}
