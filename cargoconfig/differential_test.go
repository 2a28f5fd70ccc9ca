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
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math/rand"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
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
	if testing.Short() {
		t.Skip("differential test runs the real cargo; skipped with -short")
	}
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
		if !strings.HasPrefix(l, "warning:") {
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

// cargoConfig asks cargo for its merged view of the files and --config
// arguments, and the legacy-file warnings it prints on the way.
func (h *harness) cargoConfig(cwd string, env, args []string) outcome {
	env = append(append([]string{}, env...), "RUSTC_BOOTSTRAP=1")
	stdout, stderr, ok := h.cargoCmd(cwd, env, append([]string{"-Zunstable-options", "config", "get", "--show-origin"}, withConfigArgs(args)...)...)
	o := outcome{ok: ok, extra: stderr}
	if !ok {
		return o
	}
	for _, l := range strings.Split(stdout, "\n") {
		if strings.HasPrefix(l, "# The following environment variables") {
			break
		}
		if l != "" {
			o.lines = append(o.lines, l)
		}
	}
	o.lines = append(o.lines, legacyWarnings(stderr)...)
	return o
}

var (
	reDeprecated = regexp.MustCompile("warning: `([^`]*)` is deprecated in favor of")
	reBoth       = regexp.MustCompile("warning: both `([^`]*)` and `[^`]*` exist")
)

func legacyWarnings(stderr string) []string {
	var out []string
	for _, m := range reDeprecated.FindAllStringSubmatch(stderr, -1) {
		out = append(out, "warning: legacy "+m[1])
	}
	for _, m := range reBoth.FindAllStringSubmatch(stderr, -1) {
		out = append(out, "warning: shadows "+m[1])
	}
	sort.Strings(out)
	return dedupe(out)
}

func dedupe(xs []string) []string {
	var out []string
	for i, x := range xs {
		if i == 0 || x != xs[i-1] {
			out = append(out, x)
		}
	}
	return out
}

func modelLegacyWarnings(cfg *Config, includeCredentials bool) []string {
	var out []string
	for _, w := range cfg.Warnings() {
		if !includeCredentials && w.Origin.Path == filepath.Join(cfg.CargoHome(), "credentials") {
			continue
		}
		switch w.Kind {
		case WarnLegacyFile:
			out = append(out, "warning: legacy "+w.Origin.Path)
		case WarnLegacyShadows:
			out = append(out, "warning: shadows "+w.Origin.Path)
		}
	}
	sort.Strings(out)
	return dedupe(out)
}

func modelConfig(cfg *Config, loadErr error) outcome {
	if loadErr != nil {
		return outcome{ok: false, extra: loadErr.Error()}
	}
	o := outcome{ok: true, extra: cfg.showOrigin()}
	for _, l := range strings.Split(cfg.showOrigin(), "\n") {
		if l != "" {
			o.lines = append(o.lines, l)
		}
	}
	o.lines = append(o.lines, modelLegacyWarnings(cfg, false)...)
	return o
}

var reCredential = regexp.MustCompile(`(?m)^\s+Credential (.*) (logout|get) (\S+)$`)

// cargoChain runs cargo logout (or search) and reads the providers it asked
// from its verbose output and from the scripts' log.
func (h *harness) cargoChain(cwd string, env, args []string, q query, action, logPath string) outcome {
	var cargoArgs []string
	if q.kind == "logout" {
		cargoArgs = withConfigArgs(args, "logout", "-v", "--registry", q.registry)
	} else {
		cargoArgs = withConfigArgs(args, "search", "-v", "--registry", q.registry, "somecrate")
	}
	_, stderr, ok := h.cargoCmd(cwd, env, cargoArgs...)
	o := outcome{ok: ok, extra: stderr}
	if strings.HasSuffix(stderr, "(cargo timed out)") {
		return outcome{ok: false, lines: []string{"cargo hangs"}, extra: stderr}
	}
	if q.kind == "search" {
		// search never succeeds against a registry that always says 401;
		// what matters is whether cargo refused for lack of a provider.
		o.ok = !strings.Contains(stderr, "authenticated registries require a credential-provider")
	}
	for _, m := range reCredential.FindAllStringSubmatch(stderr, -1) {
		o.lines = append(o.lines, fmt.Sprintf("provider %s (%s %s)", m[1], m[2], m[3]))
	}
	logData, _ := os.ReadFile(logPath)
	for _, l := range strings.Split(strings.TrimSpace(string(logData)), "\n") {
		if l == "" {
			continue
		}
		_, req, _ := strings.Cut(l, " :: ")
		var msg struct {
			Registry struct {
				Name string `json:"name"`
			} `json:"registry"`
			Kind string   `json:"kind"`
			Args []string `json:"args"`
		}
		_ = json.Unmarshal([]byte(req), &msg)
		o.lines = append(o.lines, fmt.Sprintf("script %q %s registry=%s", msg.Args, msg.Kind, msg.Registry.Name))
	}
	o.lines = append(o.lines, warningSummary(stderr)...)
	if q.kind == "logout" {
		o.lines = append(o.lines, legacyWarnings(stderr)...)
	}
	return o
}

func warningSummary(stderr string) []string {
	var out []string
	if strings.Contains(stderr, "would shadow a built-in credential-provider") {
		out = append(out, "warning: alias shadows built-in")
	}
	if strings.Contains(stderr, "that will be ignored because") {
		out = append(out, "warning: token ignored")
	}
	return out
}

// modelChain predicts what cargoChain observes: the chain cut after the
// first provider that ends cargo's search (a cargo:token that has a token,
// a program that cannot be run), the scripts' log, and the warnings.
func modelChain(cfg *Config, loadErr error, registry string, authRequired bool, action string, env []string) outcome {
	fail := func(err error) outcome {
		o := outcome{ok: false, extra: err.Error()}
		if strings.Contains(err.Error(), "which is already in the chain") {
			o.lines = []string{"cargo hangs"}
		}
		if authRequired {
			o.ok = !errors.Is(err, ErrProviderRequired)
		}
		return o
	}
	if loadErr != nil {
		return fail(loadErr)
	}
	if _, err := cfg.RegistryIndex(registry); err != nil {
		return fail(err)
	}
	if _, err := cfg.ReplacementOf(registry); err != nil {
		return fail(err)
	}
	var warnings []Warning
	provs, err := cfg.providers(registry, authRequired, func(w Warning) { warnings = append(warnings, w) })
	if err != nil {
		return fail(err)
	}
	tok, hasToken, err := cfg.Token(registry)
	if err != nil {
		return fail(err)
	}
	_ = tok
	o := outcome{}
	var scripts []string
	notFound, ended := false, false
	for _, p := range provs {
		o.lines = append(o.lines, fmt.Sprintf("provider %s (%s %s)", strings.Join(p.Argv, " "), action, registry))
		if p.Builtin() {
			switch p.Argv[0] {
			case "cargo:token":
				if hasToken {
					o.ok, ended = true, true
				} else {
					notFound = true
				}
			case "cargo:wincred", "cargo:macos-keychain":
			default:
				ended = true
			}
		} else if !runnable(p.Argv[0], env) {
			ended = true
		} else {
			notFound = true
			args := p.Argv[1:]
			if args == nil {
				args = []string{}
			}
			scripts = append(scripts, fmt.Sprintf("script %q %s registry=%s", args, action, registry))
		}
		if ended {
			break
		}
	}
	if !ended {
		o.ok = notFound
	}
	if authRequired {
		o.ok = true
	}
	o.lines = append(o.lines, scripts...)
	kinds := map[WarningKind]bool{}
	for _, w := range warnings {
		kinds[w.Kind] = true
	}
	if kinds[WarnAliasShadowsBuiltin] {
		o.lines = append(o.lines, "warning: alias shadows built-in")
	}
	if kinds[WarnTokenIgnored] {
		o.lines = append(o.lines, "warning: token ignored")
	}
	if !authRequired {
		o.lines = append(o.lines, modelLegacyWarnings(cfg, true)...)
	}
	var detail strings.Builder
	for _, p := range provs {
		fmt.Fprintf(&detail, "%q from %s\n", p.Argv, p.Origin)
	}
	o.extra = detail.String()
	return o
}

// runnable reports whether cargo can start the program: a path must be an
// executable file, a bare name must be found on PATH.
func runnable(program string, env []string) bool {
	if strings.Contains(program, "/") {
		info, err := os.Stat(program)
		return err == nil && !info.IsDir() && info.Mode()&0o111 != 0
	}
	for _, kv := range env {
		if path, ok := strings.CutPrefix(kv, "PATH="); ok {
			for _, dir := range filepath.SplitList(path) {
				if info, err := os.Stat(filepath.Join(dir, program)); err == nil && !info.IsDir() && info.Mode()&0o111 != 0 {
					return true
				}
			}
		}
	}
	return false
}

// shrink removes files, lines, variables and arguments one at a time while
// the query still disagrees.
func (h *harness) shrink(t *testing.T, tree *genTree, q query) *genTree {
	fails := func(c *genTree) bool {
		want, got, err := h.run(t, c, q)
		return err == nil && !equalOutcome(want, got)
	}
	cur := tree.clone()
	for changed := true; changed; {
		changed = false
		names := make([]string, 0, len(cur.files))
		for n := range cur.files {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			c := cur.clone()
			delete(c.files, n)
			if fails(c) {
				cur, changed = c, true
				continue
			}
			for i := len(cur.files[n]) - 1; i >= 0; i-- {
				c := cur.clone()
				c.files[n] = append(c.files[n][:i:i], c.files[n][i+1:]...)
				if fails(c) {
					cur, changed = c, true
				}
			}
		}
		for i := len(cur.env) - 1; i >= 0; i-- {
			c := cur.clone()
			c.env = append(c.env[:i:i], c.env[i+1:]...)
			if fails(c) {
				cur, changed = c, true
			}
		}
		for i := len(cur.args) - 1; i >= 0; i-- {
			c := cur.clone()
			c.args = append(c.args[:i:i], c.args[i+1:]...)
			if fails(c) {
				cur, changed = c, true
			}
		}
	}
	return cur
}
