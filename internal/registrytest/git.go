package registrytest

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/cgi"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"
)

// gitIndex is the index as a bare git repository, committed with the git
// CLI and served by the real git http-backend, so that libgit2 and the git
// CLI fetch it exactly as they fetch any hosted index.
type gitIndex struct {
	mu      sync.Mutex
	root    string // GIT_PROJECT_ROOT; the repository is root/index.git
	work    string // the work tree each commit is made from
	home    string
	backend string
	env     []string
	last    [32]byte
	commits int
}

// newGitIndex creates an empty bare repository under dir.
func newGitIndex(dir string) (*gitIndex, error) {
	gitPath, err := exec.LookPath("git")
	if err != nil {
		return nil, fmt.Errorf("the git index needs git on PATH: %w", err)
	}
	execPath, err := exec.Command(gitPath, "--exec-path").Output()
	if err != nil {
		return nil, fmt.Errorf("git --exec-path: %w", err)
	}
	g := &gitIndex{
		root:    filepath.Join(dir, "git"),
		work:    filepath.Join(dir, "git-work"),
		home:    filepath.Join(dir, "git-home"),
		backend: filepath.Join(strings.TrimSpace(string(execPath)), "git-http-backend"),
	}
	if _, err := os.Stat(g.backend); err != nil {
		return nil, fmt.Errorf("git http-backend: %w", err)
	}
	for _, d := range []string{g.root, g.work, g.home} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, err
		}
	}
	g.env = gitEnv(g.home)
	if err := g.run("init", "--bare", "--quiet", filepath.Join(g.root, "index.git")); err != nil {
		return nil, err
	}
	if err := g.run("--git-dir", g.gitDir(), "symbolic-ref", "HEAD", "refs/heads/master"); err != nil {
		return nil, err
	}
	return g, nil
}

// gitEnv isolates git from the machine's and the user's configuration and
// names an author, so commits work on a bare machine.
func gitEnv(home string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GIT_") && !strings.HasPrefix(kv, "HOME=") && !strings.HasPrefix(kv, "XDG_CONFIG_HOME=") {
			env = append(env, kv)
		}
	}
	return append(env,
		"HOME="+home,
		"GIT_CONFIG_NOSYSTEM=1",
		"GIT_CONFIG_GLOBAL="+os.DevNull,
		"GIT_TERMINAL_PROMPT=0",
		"GIT_AUTHOR_NAME=registrytest",
		"GIT_AUTHOR_EMAIL=registrytest@127.0.0.1",
		"GIT_COMMITTER_NAME=registrytest",
		"GIT_COMMITTER_EMAIL=registrytest@127.0.0.1",
	)
}

func (g *gitIndex) gitDir() string { return filepath.Join(g.root, "index.git") }

func (g *gitIndex) run(args ...string) error {
	return g.runEnv(nil, args...)
}

func (g *gitIndex) runEnv(extra []string, args ...string) error {
	cmd := exec.Command("git", args...)
	cmd.Env = append(append([]string(nil), g.env...), extra...)
	cmd.Dir = g.home
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("git %s: %v: %s", args[0], err, bytes.TrimSpace(out))
	}
	return nil
}

// commitLocked makes the work tree hold exactly files and commits it,
// unless nothing changed since the last commit. g.mu must be held.
func (g *gitIndex) commitLocked(files map[string][]byte, message string) error {
	state := sha256.New()
	paths := sortedKeys(files)
	for _, p := range paths {
		fmt.Fprintf(state, "%s\x00%d\x00", p, len(files[p]))
		state.Write(files[p])
	}
	var sum [32]byte
	copy(sum[:], state.Sum(nil))
	if sum == g.last && g.commits > 0 {
		return nil
	}
	if err := os.RemoveAll(g.work); err != nil {
		return err
	}
	for _, p := range paths {
		full := filepath.Join(g.work, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(full, files[p], 0o644); err != nil {
			return err
		}
	}
	tree := []string{"--git-dir", g.gitDir(), "--work-tree", g.work}
	if err := g.run(append(tree, "add", "--all")...); err != nil {
		return err
	}
	date := time.Date(2024, 1, 1, 0, 0, g.commits, 0, time.UTC).Format(time.RFC3339)
	dates := []string{"GIT_AUTHOR_DATE=" + date, "GIT_COMMITTER_DATE=" + date}
	if err := g.runEnv(dates, append(tree, "commit", "--quiet", "--allow-empty", "-m", message)...); err != nil {
		return err
	}
	if err := g.run("--git-dir", g.gitDir(), "update-server-info"); err != nil {
		return err
	}
	g.last = sum
	g.commits++
	return nil
}

// syncGit commits the current index to the git repository, if there is
// one. In path-token mode its config.json embeds the first token in dl.
func (r *Registry) syncGit(message string) error {
	if r.git == nil {
		return nil
	}
	// Holding the git lock across the snapshot keeps commits in the order
	// of the changes they record.
	r.git.mu.Lock()
	defer r.git.mu.Unlock()
	files := r.indexFiles()
	pathToken := ""
	if r.cfg.pathToken {
		pathToken = r.Token()
	}
	files["config.json"] = r.configFor(pathToken, true).encode()
	return r.git.commitLocked(files, message)
}

// serveGit hands a request to git http-backend (smart and dumb HTTP).
// rest is the path below the origin with any path token removed.
func (r *Registry) serveGit(w http.ResponseWriter, req *http.Request, rest string) {
	if r.git == nil {
		r.writeError(w, req, http.StatusNotFound, "this registry has no git index")
		return
	}
	inner := req.Clone(req.Context())
	inner.URL.Path, inner.URL.RawPath = rest, ""
	inner.RequestURI = inner.URL.RequestURI()
	handler := &cgi.Handler{
		Path: r.git.backend,
		Root: "/",
		Dir:  r.git.home,
		Env: []string{
			"GIT_PROJECT_ROOT=" + r.git.root,
			"GIT_HTTP_EXPORT_ALL=1",
			"GIT_CONFIG_NOSYSTEM=1",
			"GIT_CONFIG_GLOBAL=" + os.DevNull,
			"HOME=" + r.git.home,
		},
		Logger: log.New(io.Discard, "", 0),
		Stderr: io.Discard,
	}
	handler.ServeHTTP(w, inner)
}

// GitCommits is how many commits the git index has, for tests that wait
// for a change to land.
func (r *Registry) GitCommits() int {
	if r.git == nil {
		return 0
	}
	r.git.mu.Lock()
	defer r.git.mu.Unlock()
	return r.git.commits
}

// gitFiles lists the files of the git work tree, for tests.
func (g *gitIndex) gitFiles() []string {
	var out []string
	filepath.WalkDir(g.work, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(g.work, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	sort.Strings(out)
	return out
}
