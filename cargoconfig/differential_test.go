package cargoconfig

// The differential test: generated configuration trees, each read by this
// package and by the real cargo, and every answer compared.
//
//   - `cargo config get --show-origin` (unstable, with RUSTC_BOOTSTRAP=1)
//     prints cargo's merged view of the files and --config arguments, with
//     the origin of every value; showOrigin renders ours the same way.
//   - `cargo logout -v --registry NAME` prints a "Credential <argv> logout
//     NAME" line for every provider cargo asks, in order, until one answers
//     something other than not-found. Every external provider in the trees
//     is a shell script that answers not-found and logs its name, argv and
//     request. No network is needed.
//   - `cargo search -v --registry NAME` against an httptest server that
//     answers 401 shows the chain cargo uses for an auth-required registry
//     ("get" instead of "logout"), or its refusal to go on without a
//     configured provider.
//
// CARGOCONFIG_SEED (or -cargoconfig.seed) picks the seed, CARGOCONFIG_TREES
// (or -cargoconfig.trees) the number of trees; a failure prints the seed,
// the shrunk tree and both answers.

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"math/rand"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

var (
	flagSeed  = flag.Int64("cargoconfig.seed", 0, "seed of the differential test (default: $CARGOCONFIG_SEED or 1)")
	flagTrees = flag.Int("cargoconfig.trees", 0, "number of trees in the differential test (default: $CARGOCONFIG_TREES or 320)")
)

func diffSettings(t *testing.T) (seed int64, trees int) {
	seed, trees = 1, 320
	if s := os.Getenv("CARGOCONFIG_SEED"); s != "" {
		if s == "random" {
			seed = time.Now().UnixNano()
		} else if v, err := strconv.ParseInt(s, 10, 64); err == nil {
			seed = v
		} else {
			t.Fatalf("CARGOCONFIG_SEED=%q: %v", s, err)
		}
	}
	if s := os.Getenv("CARGOCONFIG_TREES"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil {
			t.Fatalf("CARGOCONFIG_TREES=%q: %v", s, err)
		}
		trees = v
	}
	if *flagSeed != 0 {
		seed = *flagSeed
	}
	if *flagTrees != 0 {
		trees = *flagTrees
	}
	return seed, trees
}

// requireCargo finds cargo, failing in CI and skipping loudly elsewhere.
func requireCargo(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("runs the real cargo; skipped with -short")
	}
	path, err := exec.LookPath("cargo")
	if err == nil {
		err = exec.Command(path, "--version").Run()
	}
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("cargo is required in CI for the differential test: %v", err)
		}
		t.Skipf("SKIPPING the differential test against cargo: cargo not usable: %v", err)
	}
	return path
}

const providerScript = `#!/bin/sh
echo '{"v":[1]}'
read -r line
printf '%s %s :: %s\n' "$(basename "$0")" "$*" "$line" >> "$CARGOCONFIG_PROVIDER_LOG"
echo '{"Err":{"kind":"not-found"}}'
`

// directCargo skips the rustup proxy, which costs about 40 ms a run: it
// asks rustup for the toolchain's cargo, and falls back to the one on PATH.
func directCargo(cargo string, env []string) string {
	cmd := exec.Command("rustup", "which", "cargo")
	cmd.Env = env
	out, err := cmd.Output()
	if p := strings.TrimSpace(string(out)); err == nil && p != "" {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return cargo
}

// harness is what all trees of one run share.
type harness struct {
	cargo   string
	port    string
	baseEnv []string
	scratch string
}

func TestDifferentialAgainstCargo(t *testing.T) {
	cargo := requireCargo(t)
	seed, trees := diffSettings(t)
	t.Logf("seed %d, %d trees (reproduce: CARGOCONFIG_SEED=%d CARGOCONFIG_TREES=%d)", seed, trees, seed, trees)

	// A registry that wants authentication for everything.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("WWW-Authenticate", `Cargo login_url="http://127.0.0.1/me"`)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"dl":"http://127.0.0.1/dl","api":"http://127.0.0.1","auth-required":true}`)
	}))
	t.Cleanup(srv.Close)
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())

	rustupHome := os.Getenv("RUSTUP_HOME")
	if rustupHome == "" {
		if h, err := os.UserHomeDir(); err == nil {
			rustupHome = filepath.Join(h, ".rustup")
		}
	}
	h := &harness{port: port, scratch: t.TempDir()}
	h.baseEnv = []string{"PATH=" + os.Getenv("PATH"), "RUSTUP_HOME=" + rustupHome, "CARGO_TERM_COLOR=never", "CARGO_NET_RETRY=0", "CARGO_HTTP_TIMEOUT=5"}
	if tc := os.Getenv("RUSTUP_TOOLCHAIN"); tc != "" {
		h.baseEnv = append(h.baseEnv, "RUSTUP_TOOLCHAIN="+tc)
	}

	h.cargo = directCargo(cargo, append(h.baseEnv, "HOME="+os.Getenv("HOME")))
	t.Logf("cargo: %s", h.cargo)
	start := time.Now()
	t.Run("trees", func(t *testing.T) {
		for i := 0; i < trees; i++ {
			treeSeed := seed*1_000_003 + int64(i)
			t.Run(fmt.Sprintf("%03d", i), func(t *testing.T) {
				t.Parallel()
				tree := generate(rand.New(rand.NewSource(treeSeed)))
				h.checkTree(t, treeSeed, tree)
			})
		}
	})
	t.Logf("%d trees in %v", trees, time.Since(start).Round(time.Millisecond))
}

// outcome is one side's answer to one query, in a comparable form.
type outcome struct {
	ok    bool
	lines []string
	extra string // context shown on failure only
}

func (o outcome) String() string {
	status := "ok"
	if !o.ok {
		status = "error"
	}
	return fmt.Sprintf("%s\n  %s", status, strings.Join(o.lines, "\n  "))
}

func (h *harness) checkTree(t *testing.T, treeSeed int64, tree *genTree) {
	queries := h.queries(tree)
	for _, q := range queries {
		want, got, err := h.run(t, tree, q)
		if err != nil {
			t.Fatalf("seed %d: %s: %v", treeSeed, q, err)
		}
		if equalOutcome(want, got) {
			continue
		}
		t.Logf("before shrinking:\n%s\ncargoconfig says: %s\ncargo says: %s", tree, want, got)
		small := tree
		if os.Getenv("CARGOCONFIG_NOSHRINK") == "" {
			small = h.shrink(t, tree, q)
			want, got, _ = h.run(t, small, q)
		}
		t.Errorf("seed %d (CARGOCONFIG_SEED=... tree seed %d): %s disagrees\n"+
			"shrunk tree:\n%s\ncargoconfig says: %s\ncargo says: %s\ncargo output:\n%s\nmodel detail:\n%s",
			treeSeed, treeSeed, q, small, want, got, got.extra, want.extra)
		return
	}
}

type query struct {
	kind     string // "config", "logout", "search"
	registry string
}

func (q query) String() string {
	if q.registry == "" {
		return q.kind
	}
	return q.kind + " " + q.registry
}

func (h *harness) queries(tree *genTree) []query {
	qs := []query{{kind: "config"}}
	for _, r := range tree.queries {
		qs = append(qs, query{kind: "logout", registry: r})
	}
	for _, r := range tree.authQueries {
		qs = append(qs, query{kind: "search", registry: r})
	}
	return qs
}

func equalOutcome(a, b outcome) bool {
	if !a.ok && !b.ok {
		// Cargo prints warnings before it fails; compare the chains only.
		a.lines, b.lines = withoutWarnings(a.lines), withoutWarnings(b.lines)
	}
	if a.ok != b.ok || len(a.lines) != len(b.lines) {
		return false
	}
	for i := range a.lines {
		if a.lines[i] != b.lines[i] {
			return false
		}
	}
	return true
}

func withoutWarnings(lines []string) []string {
	var out []string
	for _, l := range lines {
		if !strings.HasPrefix(l, "warning:") && !strings.HasPrefix(l, "note:") {
			out = append(out, l)
		}
	}
	return out
}

// run writes the tree to a fresh directory and answers the query with the
// model (want) and with cargo (got).
func (h *harness) run(t *testing.T, tree *genTree, q query) (want, got outcome, err error) {
	root, err := os.MkdirTemp(h.scratch, "tree")
	if err != nil {
		return want, got, err
	}
	defer os.RemoveAll(root)
	if err := tree.write(root, h.port); err != nil {
		return want, got, err
	}
	if err := writeProviders(filepath.Join(root, "bin")); err != nil {
		return want, got, err
	}
	env := append([]string{}, h.baseEnv...)
	env = append(env, "HOME="+filepath.Join(root, "home"), "CARGOCONFIG_PROVIDER_LOG="+filepath.Join(root, "provider.log"))
	for _, kv := range tree.env {
		env = append(env, expand(kv, root, h.port))
	}
	args := make([]string, len(tree.args))
	for i, a := range tree.args {
		args[i] = expand(a, root, h.port)
	}
	cwd := filepath.Join(root, tree.cwd)
	cfg, loadErr := Load(LoadOptions{Cwd: cwd, Environ: env, ConfigArgs: args, Home: filepath.Join(root, "home")})

	switch q.kind {
	case "config":
		want = modelConfig(cfg, loadErr)
		got = h.cargoConfig(cwd, env, args)
	case "search":
		// Only registries served by the fake registry are asked: any other
		// index would send cargo to the network.
		if loadErr != nil {
			return outcome{ok: true}, outcome{ok: true}, nil
		}
		if idx, err := cfg.RegistryIndex(q.registry); err != nil ||
			!strings.HasPrefix(idx.Value, "sparse+http://127.0.0.1:"+h.port+"/") {
			return outcome{ok: true}, outcome{ok: true}, nil
		}
		fallthrough
	case "logout":
		action := map[string]string{"logout": "logout", "search": "get"}[q.kind]
		want = modelChain(cfg, loadErr, q.registry, q.kind == "search", action, env)
		got = h.cargoChain(cwd, env, args, q, action, filepath.Join(root, "provider.log"))
	}
	want.lines = unroot(want.lines, root)
	got.lines = unroot(got.lines, root)
	got.extra = strings.ReplaceAll(got.extra, root, "@ROOT@")
	want.extra = strings.ReplaceAll(want.extra, root, "@ROOT@")
	return want, got, nil
}

func unroot(lines []string, root string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = strings.ReplaceAll(l, root, "@ROOT@")
	}
	return out
}

func writeProviders(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "prov"), []byte(providerScript), 0o755); err != nil {
		return err
	}
	for i := 0; i < 6; i++ {
		if err := os.Symlink("prov", filepath.Join(dir, fmt.Sprintf("p%d", i))); err != nil {
			return err
		}
	}
	return nil
}

func (h *harness) cargoCmd(cwd string, env []string, args ...string) (stdout, stderr string, ok bool) {
	// Cargo hangs on a replace-with loop that does not come back to the
	// source it started from; everything else takes well under a second.
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, h.cargo, args...)
	cmd.Dir, cmd.Env = cwd, env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	began := time.Now()
	err := cmd.Run()
	if d := time.Since(began); d > 2*time.Second && os.Getenv("CARGOCONFIG_SLOW") != "" {
		fmt.Fprintf(os.Stderr, "slow cargo %v (%v): %s\n", args, d, errb.String())
	}
	if ctx.Err() != nil {
		return out.String(), errb.String() + "\n(cargo timed out)", false
	}
	return out.String(), errb.String(), err == nil
}

func withConfigArgs(args []string, rest ...string) []string {
	var out []string
	for _, a := range args {
		out = append(out, "--config", a)
	}
	return append(out, rest...)
}
