package credentials_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/cargo-auth/cargo-auth/credentials"
)

func openFileStore(t *testing.T, dir, passphrase string, prompt func(string) (string, error)) credentials.Store {
	t.Helper()
	s, err := credentials.Open(context.Background(), credentials.Options{Backend: credentials.BackendFile, FileDir: dir, FilePassphrase: passphrase, PassphrasePrompt: prompt})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestFileNamesHideRegistries(t *testing.T) {
	dir := t.TempDir()
	s := openFileStore(t, dir, "pw", nil)
	ctx := context.Background()
	for _, u := range []string{"sparse+https://secret-registry.example/index/", "https://git.example/corp/index.git"} {
		if err := s.Set(ctx, credentials.Credential{IndexURL: u, Token: credentials.NewToken("cgatest_file_name_token", credentials.SchemeRaw)}); err != nil {
			t.Fatal(err)
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	name := regexp.MustCompile(`^(sha256\.[0-9a-f]{64}|\.lock)$`)
	for _, e := range entries {
		if !name.MatchString(e.Name()) {
			t.Errorf("file %q in the keyring directory", e.Name())
		}
		info, _ := e.Info()
		if perm := info.Mode().Perm(); perm&0o077 != 0 {
			t.Errorf("%s has mode %v", e.Name(), perm)
		}
		data, _ := os.ReadFile(dir + "/" + e.Name())
		if strings.Contains(string(data), "cgatest_file_name_token") || strings.Contains(string(data), "secret-registry") {
			t.Errorf("%s holds plaintext", e.Name())
		}
	}
}

// Several processes writing one registry at once (each store has its own
// lock file descriptor, as separate processes do) never leave a damaged
// item: without the lock and the rename, the library's in-place writes
// corrupted it in a third of such rounds.
func TestFileConcurrentWritersOfOneKey(t *testing.T) {
	dir := t.TempDir()
	const u = "sparse+https://contended.example/"
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	written := map[string]bool{}
	var mu sync.Mutex
	for w := range 4 {
		s := openFileStore(t, dir, "pw", nil)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 8 {
				secret := fmt.Sprintf("cgatest_writer_%d_round_%d_%s", w, i, strings.Repeat("z", 3000*(i%3)))
				mu.Lock()
				written[secret] = true
				mu.Unlock()
				if err := s.Set(context.Background(), credentials.Credential{IndexURL: u, Token: credentials.NewToken(secret, credentials.SchemeRaw)}); err != nil {
					errs <- err
					return
				}
				if _, err := s.Get(context.Background(), u); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("concurrent writer: %v", err)
	}
	got, err := openFileStore(t, dir, "pw", nil).Get(context.Background(), u)
	if err != nil {
		t.Fatalf("after concurrent writes: %v", err)
	}
	if !written[got.Token.Reveal()] {
		t.Fatal("the stored token is none of those written")
	}
}

func TestFileWrongPassphrase(t *testing.T) {
	dir := t.TempDir()
	const u = "sparse+https://r.example/"
	const secret = "cgatest_wrong_passphrase_token_9f8e"
	if err := openFileStore(t, dir, "right", nil).Set(context.Background(), credentials.Credential{IndexURL: u, Token: credentials.NewToken(secret, credentials.SchemeRaw)}); err != nil {
		t.Fatal(err)
	}
	_, err := openFileStore(t, dir, "wrong", nil).Get(context.Background(), u)
	if err == nil || errors.Is(err, credentials.ErrNotFound) || !strings.Contains(err.Error(), "wrong passphrase") || strings.Contains(err.Error(), secret) {
		t.Fatalf("err = %v, want a wrong-passphrase error", err)
	}
}

func TestFilePromptsOnlyWhenNeeded(t *testing.T) {
	dir := t.TempDir()
	prompts := 0
	prompt := func(msg string) (string, error) {
		prompts++
		if !strings.Contains(msg, dir) {
			t.Errorf("prompt %q does not name the keyring", msg)
		}
		return "typed", nil
	}
	s := openFileStore(t, dir, "", prompt)
	ctx := context.Background()
	if _, err := s.Get(ctx, "sparse+https://r.example/"); !errors.Is(err, credentials.ErrNotFound) {
		t.Fatalf("Get of a missing registry: %v", err)
	}
	if urls, err := s.List(ctx); err != nil || len(urls) != 0 {
		t.Fatalf("List of an empty keyring: %q, %v", urls, err)
	}
	if prompts != 0 {
		t.Fatalf("asked for the passphrase %d times before anything needed decrypting", prompts)
	}
	if err := s.Set(ctx, credentials.Credential{IndexURL: "sparse+https://r.example/", Token: credentials.NewToken("cgatest_prompted_token", credentials.SchemeRaw)}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, "sparse+https://r.example/"); err != nil {
		t.Fatal(err)
	}
	if prompts != 1 {
		t.Fatalf("asked %d times, want once", prompts)
	}
	probeName := uniqueName(t)
	t.Cleanup(func() { unlinkKeyctlKeyring(t, probeName) })
	for _, st := range credentials.Backends(ctx, credentials.Options{ServiceName: probeName, FileDir: t.TempDir(), PassphrasePrompt: prompt}) {
		if st.Name == credentials.BackendFile && !st.Works {
			t.Errorf("file backend with a prompt reported as not working: %s", st.Reason)
		}
	}
	if prompts != 1 {
		t.Fatal("Backends asked for a passphrase")
	}
}

// A prompt that cannot ask (no terminal) leaves the keyring unavailable,
// not broken: a credential provider then answers not-found.
func TestFilePromptWithoutTerminalIsUnavailable(t *testing.T) {
	dir := t.TempDir()
	const u = "sparse+https://r.example/"
	if err := openFileStore(t, dir, "right", nil).Set(context.Background(), credentials.Credential{IndexURL: u, Token: credentials.NewToken("cgatest_no_terminal_token_4d3c", credentials.SchemeRaw)}); err != nil {
		t.Fatal(err)
	}
	noTerminal := func(string) (string, error) { return "", errors.New("no terminal to prompt on") }
	_, err := openFileStore(t, dir, "", noTerminal).Get(context.Background(), u)
	if !errors.Is(err, credentials.ErrUnavailable) || !strings.Contains(err.Error(), credentials.EnvFilePassphrase) {
		t.Fatalf("err = %v, want ErrUnavailable naming %s", err, credentials.EnvFilePassphrase)
	}
}

func TestFileWithoutPassphrase(t *testing.T) {
	_, err := credentials.Open(context.Background(), credentials.Options{Backend: credentials.BackendFile, FileDir: t.TempDir()})
	if !errors.Is(err, credentials.ErrUnavailable) || !strings.Contains(err.Error(), credentials.EnvFilePassphrase) {
		t.Fatalf("err = %v", err)
	}
}

func TestDefaultFileDir(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the XDG layout is the Linux one")
	}
	env := map[string]string{"HOME": "/home/u"}
	getenv := func(k string) string { return env[k] }
	dir, err := credentials.DefaultFileDir(getenv)
	if err != nil || dir != "/home/u/.config/cargo-auth/keyring" {
		t.Fatalf("DefaultFileDir = %q, %v", dir, err)
	}
	env["XDG_CONFIG_HOME"] = "/xdg"
	if dir, _ := credentials.DefaultFileDir(getenv); dir != "/xdg/cargo-auth/keyring" {
		t.Fatalf("with XDG_CONFIG_HOME: %q", dir)
	}
	env["XDG_CONFIG_HOME"] = "relative"
	if dir, _ := credentials.DefaultFileDir(getenv); dir != "/home/u/.config/cargo-auth/keyring" {
		t.Fatalf("a relative XDG_CONFIG_HOME is used: %q", dir)
	}
	if _, err := credentials.DefaultFileDir(func(string) string { return "" }); err == nil {
		t.Fatal("no HOME, yet a directory")
	}
}
