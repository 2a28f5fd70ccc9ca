package auth

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/cargo-auth/cargo-auth/internal/redact"
)

// gitSnapshot is a shallow fetch of a git index's newest commit, made with
// the git command line the way cargo's net.git-fetch-with-cli does, in a
// temporary bare repository. It is how the audit reads config.json and the
// index files of a git index.
type gitSnapshot struct {
	git string
	dir string
	env []string
}

// fetchGitIndex fetches the index's HEAD. header, when set, is sent as the
// Authorization of every request (through the environment, never argv);
// git's own credential helpers and the user's git configuration are kept
// out so "anonymous" means anonymous.
func (a *audit) fetchGitIndex(ctx context.Context, header string) (*gitSnapshot, error) {
	git, err := exec.LookPath(a.opts.GitCommand)
	if err != nil {
		return nil, fmt.Errorf("reading a git index needs git on PATH: %w", err)
	}
	dir, err := os.MkdirTemp("", "cargo-auth-verify-git-")
	if err != nil {
		return nil, err
	}
	s := &gitSnapshot{git: git, dir: dir, env: gitEnviron(a.opts.Factory.Environ(), header, a.caInfo)}
	ctx, cancel := context.WithTimeout(ctx, 4*a.opts.Timeout)
	defer cancel()
	if _, err := s.run(ctx, nil, "init", "--bare", "--quiet", dir); err != nil {
		s.remove()
		return nil, err
	}
	if _, err := s.run(ctx, nil, "-C", dir, "fetch", "--quiet", "--depth=1", "--no-tags", a.target.Base.String(), "HEAD"); err != nil {
		s.remove()
		if ctx.Err() != nil {
			return nil, fmt.Errorf("git fetch timed out after %s", 4*a.opts.Timeout)
		}
		return nil, err
	}
	return s, nil
}

// gitEnviron isolates git from the user's configuration and passes the
// Authorization header and CA bundle through GIT_CONFIG_* variables.
func gitEnviron(environ []string, header, caInfo string) []string {
	var env []string
	for _, kv := range environ {
		if !strings.HasPrefix(kv, "GIT_") && !strings.HasPrefix(kv, "SSH_ASKPASS=") {
			env = append(env, kv)
		}
	}
	config := [][2]string{{"credential.helper", ""}, {"core.askPass", ""}}
	if header != "" {
		config = append(config, [2]string{"http.extraHeader", "Authorization: " + header})
	}
	if caInfo != "" {
		config = append(config, [2]string{"http.sslCAInfo", caInfo})
	}
	env = append(env, "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL="+os.DevNull, "GIT_TERMINAL_PROMPT=0",
		"GIT_ASKPASS=", "GIT_CONFIG_COUNT="+strconv.Itoa(len(config)))
	for i, kv := range config {
		env = append(env, fmt.Sprintf("GIT_CONFIG_KEY_%d=%s", i, kv[0]), fmt.Sprintf("GIT_CONFIG_VALUE_%d=%s", i, kv[1]))
	}
	return env
}

// run runs git with the snapshot's environment; errors carry git's
// redacted stderr.
func (s *gitSnapshot) run(ctx context.Context, stdin io.Reader, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, s.git, args...)
	cmd.Env = s.env
	cmd.Stdin = stdin
	cmd.WaitDelay = 2 * time.Second
	var stdout, stderr limitedBuffer
	stdout.max, stderr.max = 64<<20, 16<<10
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(redact.Text(stderr.String()))
		if msg == "" {
			msg = err.Error()
		}
		name := args[0]
		if name == "-C" && len(args) > 2 {
			name = args[2]
		}
		return nil, fmt.Errorf("git %s: %s", name, lastLine(msg))
	}
	return stdout.Bytes(), nil
}

// readFile returns a file of the fetched commit.
func (s *gitSnapshot) readFile(ctx context.Context, path string) ([]byte, error) {
	return s.run(ctx, nil, "-C", s.dir, "cat-file", "blob", "FETCH_HEAD:"+path)
}

// readFiles returns many files at once through cat-file --batch; missing
// ones are absent from the map.
func (s *gitSnapshot) readFiles(ctx context.Context, paths []string) (map[string][]byte, error) {
	var in bytes.Buffer
	for _, p := range paths {
		in.WriteString("FETCH_HEAD:" + p + "\n")
	}
	out, err := s.run(ctx, &in, "-C", s.dir, "cat-file", "--batch")
	if err != nil {
		return nil, err
	}
	files := map[string][]byte{}
	r := bufio.NewReader(bytes.NewReader(out))
	for _, p := range paths {
		header, err := r.ReadString('\n')
		if err != nil {
			return files, nil
		}
		fields := strings.Fields(header)
		if len(fields) != 3 || fields[1] != "blob" {
			continue // "<object> missing"
		}
		size, err := strconv.Atoi(fields[2])
		if err != nil {
			return files, nil
		}
		data := make([]byte, size+1)
		if _, err := io.ReadFull(r, data); err != nil {
			return files, nil
		}
		files[p] = data[:size]
	}
	return files, nil
}

// listFiles lists every file of the fetched commit.
func (s *gitSnapshot) listFiles(ctx context.Context) ([]string, error) {
	out, err := s.run(ctx, nil, "-C", s.dir, "ls-tree", "-r", "-z", "--name-only", "FETCH_HEAD")
	if err != nil {
		return nil, err
	}
	var files []string
	for _, f := range bytes.Split(out, []byte{0}) {
		if len(f) > 0 {
			files = append(files, string(f))
		}
	}
	return files, nil
}

func (s *gitSnapshot) remove() {
	if s != nil && s.dir != "" {
		os.RemoveAll(s.dir)
	}
}

// limitedBuffer keeps at most max bytes and reports an overflow as an
// error, so a hostile repository cannot fill memory through git's output.
type limitedBuffer struct {
	bytes.Buffer
	max int
}

var errOutputTooLarge = errors.New("git output too large")

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if b.Len()+len(p) > b.max {
		return 0, errOutputTooLarge
	}
	return b.Buffer.Write(p)
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}
