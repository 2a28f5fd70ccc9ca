package registrytest

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// gitCLI runs the git CLI isolated from the machine's configuration.
func gitCLI(t *testing.T, r *Registry, dir string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = dir
	cmd.Env = append(gitEnv(t.TempDir()), "GIT_ASKPASS=/bin/false", "SSH_ASKPASS=/bin/false")
	if r.CAFile() != "" {
		cmd.Env = append(cmd.Env, "GIT_SSL_CAINFO="+r.CAFile())
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return r.redact(out.String()), err
}

func TestGitIndexOverHTTP(t *testing.T) {
	t.Parallel()
	requireTool(t, "git")
	r := New(t, WithGitIndex(), WithTLS(), WithCrates(Crate{Name: "abc", Version: "0.1.0"}, Crate{Name: "app-core", Version: "1.0.0"}))
	work := t.TempDir()
	clone := filepath.Join(work, "clone")

	if out, err := gitCLI(t, r, work, "clone", "--quiet", r.GitIndexURLWithUserinfo("x", r.Token()), clone); err != nil {
		t.Fatalf("clone with Basic credentials: %v\n%s", err, out)
	}
	for _, f := range []string{"config.json", "3/a/abc", "ap/p-/app-core"} {
		if _, err := os.Stat(filepath.Join(clone, f)); err != nil {
			t.Errorf("the clone lacks %s", f)
		}
	}
	cfg, _ := os.ReadFile(filepath.Join(clone, "config.json"))
	var parsed indexConfig
	if err := json.Unmarshal(cfg, &parsed); err != nil || parsed.AuthRequired == nil || !*parsed.AuthRequired || parsed.DL != r.URL()+"/api/v1/crates/{crate}/{version}/download" {
		t.Errorf("git config.json = %s", cfg)
	}
	// The git CLI asks anonymously first and sends userinfo after the 401.
	git := r.RequestsTo(ClassGit)
	if len(git) < 2 || git[0].Credential.Present() || git[0].Status != 401 {
		t.Errorf("git requests, want a 401 challenge first:\n%s", FormatRequests(git))
	}
	for _, req := range git[1:] {
		if !req.Credential.Accepted || req.Credential.Form != FormBasic || !r.Carried(req, r.Token()) {
			t.Errorf("git request with %s", req)
		}
	}

	// Publishing and yanking commit to the index; a pull sees them.
	commits := r.GitCommits()
	if err := r.AddCrate(Crate{Name: "abc", Version: "0.2.0"}); err != nil {
		t.Fatal(err)
	}
	if err := r.SetYanked("abc", "0.1.0", true); err != nil {
		t.Fatal(err)
	}
	if r.GitCommits() != commits+2 {
		t.Errorf("%d commits after publish and yank, want %d", r.GitCommits(), commits+2)
	}
	if out, err := gitCLI(t, r, clone, "pull", "--quiet", "--ff-only"); err != nil {
		t.Fatalf("pull: %v\n%s", err, out)
	}
	lines, _ := os.ReadFile(filepath.Join(clone, "3/a/abc"))
	if !bytes.Contains(lines, []byte(`"vers":"0.2.0"`)) || !bytes.Contains(lines, []byte(`"yanked":true`)) {
		t.Errorf("pulled index file:\n%s", lines)
	}

	// Dumb HTTP paths are served too.
	c := newClient(t, r)
	auth := basic("x", r.Token())
	if got := c.expect(r.GitIndexURL()+"/HEAD", auth, 200); strings.TrimSpace(got.body) != "ref: refs/heads/master" {
		t.Errorf("HEAD = %q", got.body)
	}
	if got := c.expect(r.GitIndexURL()+"/info/refs", auth, 200); !strings.Contains(got.body, "refs/heads/master") {
		t.Errorf("dumb info/refs = %q", got.body)
	}
	if got := c.expect(r.GitIndexURL()+"/info/refs?service=git-upload-pack", auth, 200); got.header.Get("Content-Type") != "application/x-git-upload-pack-advertisement" {
		t.Errorf("smart info/refs content type %q", got.header.Get("Content-Type"))
	}
	c.expect(r.GitIndexURL()+"/info/refs?service=git-upload-pack", r.Token(), 401)
	got := c.expect(r.GitIndexURL()+"/info/refs?service=git-upload-pack", "", 401)
	if !strings.HasPrefix(got.header.Get("WWW-Authenticate"), "Basic realm=") {
		t.Errorf("git challenge %q, want Basic", got.header.Get("WWW-Authenticate"))
	}

	// open-git lets anyone in.
	if err := r.Enable(OpenGit); err != nil {
		t.Fatal(err)
	}
	c.expect(r.GitIndexURL()+"/info/refs?service=git-upload-pack", "", 200)
}

func TestGitIndexPathToken(t *testing.T) {
	t.Parallel()
	requireTool(t, "git")
	r := New(t, WithGitIndex(), WithPathToken(), WithCrates(Crate{Name: "abc", Version: "0.1.0"}))
	work := t.TempDir()
	clone := filepath.Join(work, "clone")
	if out, err := gitCLI(t, r, work, "clone", "--quiet", r.PathTokenGitIndexURL(r.Token()), clone); err != nil {
		t.Fatalf("clone with a path token: %v\n%s", err, out)
	}
	cfg, _ := os.ReadFile(filepath.Join(clone, "config.json"))
	if !bytes.Contains(cfg, []byte(r.URL()+"/"+r.Token()+"/api/v1/crates/")) || bytes.Contains(cfg, []byte("auth-required")) {
		t.Errorf("path-token git config.json = %s", r.redact(string(cfg)))
	}
	if out, err := gitCLI(t, r, work, "clone", "--quiet", r.PathTokenGitIndexURL("cgatest_wrong"), filepath.Join(work, "wrong")); err == nil {
		t.Errorf("clone with a wrong path token succeeded: %s", out)
	}
	for _, req := range r.RequestsTo(ClassGit) {
		if strings.Contains(req.Path, r.Token()) {
			t.Errorf("the log holds the path token")
		}
	}
}

func TestGitSwitchRecommitsConfig(t *testing.T) {
	t.Parallel()
	requireTool(t, "git")
	r := New(t, WithGitIndex())
	before := r.GitCommits()
	if err := r.Enable(OmitAuthRequired); err != nil {
		t.Fatal(err)
	}
	if r.GitCommits() != before+1 {
		t.Errorf("omit-auth-required made %d commits, want 1", r.GitCommits()-before)
	}
	if err := r.Enable(EchoToken); err != nil {
		t.Fatal(err)
	}
	if r.GitCommits() != before+1 {
		t.Errorf("a switch that leaves config.json alone made a commit")
	}
	if files := r.git.gitFiles(); len(files) != 1 || files[0] != "config.json" {
		t.Errorf("work tree = %v", files)
	}
}
