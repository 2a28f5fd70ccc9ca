// Command harness is the timing harness of bench/provider/run. It measures
//
//  1. the whole credential-provider round trip as cargo does it: spawn
//     `cargo-auth --cargo-plugin`, read the hello, send a get, read the
//     answer, close stdin, wait for the exit; against spawning a Go program
//     that only starts and exits (noop);
//  2. `cargo generate-lockfile` against an auth-required registry on
//     loopback (internal/registrytest, TLS) with cargo-auth answering from
//     its keyring, against the same with cargo:token reading
//     CARGO_REGISTRIES_BENCH_TOKEN;
//
// interleaving the two sides of each comparison run by run so that a noisy
// machine slows both alike, and prints the medians and their ratios. It
// works in a temporary HOME and removes what it stored.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/cargo-auth/cargo-auth/internal/registrytest"
)

func main() {
	cargoAuth := flag.String("cargo-auth", "", "the cargo-auth binary")
	noop := flag.String("noop", "", "the noop binary")
	runs := flag.Int("runs", 200, "provider round trips per side")
	cargoRuns := flag.Int("cargo-runs", 30, "cargo generate-lockfile runs per side")
	backends := flag.String("backends", "keyctl,file", "backends to measure the provider with, comma-separated")
	flag.Parse()
	if *cargoAuth == "" || *noop == "" {
		fail("-cargo-auth and -noop are required")
	}
	h, err := newHarness(*cargoAuth)
	if err != nil {
		fail(err.Error())
	}
	defer h.close()

	fmt.Printf("machine         %d CPUs, %s/%s, %s\n", runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, loadAverage())
	var firstBackend string
	for _, backend := range strings.Split(*backends, ",") {
		if err := h.login(backend); err != nil {
			fmt.Printf("%-15s skipped: %v\n", backend, err)
			continue
		}
		if firstBackend == "" {
			firstBackend = backend
		}
		provider, floor, err := h.roundTrips(backend, *noop, *runs)
		if err != nil {
			fail(err.Error())
		}
		fmt.Printf("round trip      %-7s median %6.2f ms (p90 %6.2f); noop Go program %5.2f ms; ratio %5.1fx (+%.2f ms) over %d runs\n",
			backend, ms(median(provider)), ms(percentile(provider, 90)), ms(median(floor)), ratio(provider, floor), ms(median(provider)-median(floor)), *runs)
	}
	if firstBackend == "" {
		fail("no backend could be measured")
	}
	withAuth, withToken, err := h.cargoRuns(firstBackend, *cargoRuns)
	if err != nil {
		fail(err.Error())
	}
	fmt.Printf("generate-lockfile cargo-auth (%s) median %6.1f ms; cargo:token %6.1f ms; ratio %.2fx (+%.1f ms) over %d runs\n",
		firstBackend, ms(median(withAuth)), ms(median(withToken)), ratio(withAuth, withToken), ms(median(withAuth)-median(withToken)), *cargoRuns)
}

type harness struct {
	cargoAuth string
	dir       string
	reg       *registrytest.Registry
	env       []string
	loggedIn  []string
}

func newHarness(cargoAuth string) (*harness, error) {
	dir, err := os.MkdirTemp("", "bench-provider-")
	if err != nil {
		return nil, err
	}
	reg, err := registrytest.Start(registrytest.WithTLS(), registrytest.WithCrates(
		registrytest.Crate{Name: "base", Version: "0.1.0"},
		registrytest.Crate{Name: "app-lib", Version: "0.2.0", Deps: []registrytest.Dep{{Name: "base", Req: "^0.1"}}},
	))
	if err != nil {
		return nil, err
	}
	h := &harness{cargoAuth: cargoAuth, dir: dir, reg: reg}
	home := filepath.Join(dir, "home")
	bin := filepath.Dir(cargoAuth)
	h.env = append(filteredEnviron(),
		"HOME="+home,
		"CARGO_HOME="+filepath.Join(home, ".cargo"),
		"XDG_CONFIG_HOME="+filepath.Join(home, ".config"),
		"XDG_CACHE_HOME="+filepath.Join(home, ".cache"),
		"PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"),
		"RUSTUP_HOME="+rustupHome(),
		"CARGO_REGISTRIES_BENCH_INDEX="+reg.IndexURL(),
		"CARGO_HTTP_CAINFO="+reg.CAFile(),
		"CARGO_AUTH_FILE_PASSPHRASE=bench-passphrase",
		// Its own keyring namespace: keyctl outlives HOME, and the user's
		// real items live under the default name.
		"CARGO_AUTH_SERVICE=cargo-auth-bench-"+filepath.Base(dir),
		"CARGO_TERM_COLOR=never",
	)
	project := filepath.Join(dir, "project")
	err = registrytest.WriteProject(project, registrytest.Project{Name: "consumer", Registry: "bench", Deps: map[string]string{"app-lib": "0.2"}})
	if err != nil {
		return nil, err
	}
	return h, os.MkdirAll(filepath.Join(home, ".cargo"), 0o700)
}

// filteredEnviron is the caller's environment without what would change
// what is measured (another backend, another CARGO_HOME).
func filteredEnviron() []string {
	var out []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "CARGO_") || strings.HasPrefix(kv, "HOME=") || strings.HasPrefix(kv, "PATH=") || strings.HasPrefix(kv, "XDG_") {
			continue
		}
		out = append(out, kv)
	}
	return out
}

func rustupHome() string {
	if h := os.Getenv("RUSTUP_HOME"); h != "" {
		return h
	}
	home, _ := os.UserHomeDir()
	return filepath.Join(home, ".rustup")
}

func (h *harness) envWith(kv ...string) []string { return append(slices.Clone(h.env), kv...) }

// login stores the registry's token in backend with cargo auth login.
func (h *harness) login(backend string) error {
	cmd := exec.Command(h.cargoAuth, "login", "bench", "--no-configure")
	cmd.Env = h.envWith("CARGO_AUTH_BACKEND=" + backend)
	cmd.Stdin = strings.NewReader(h.reg.Token() + "\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("cargo auth login: %v\n%s", err, out)
	}
	h.loggedIn = append(h.loggedIn, backend)
	return nil
}

func (h *harness) close() {
	for _, backend := range h.loggedIn {
		cmd := exec.Command(h.cargoAuth, "logout", "bench")
		cmd.Env = h.envWith("CARGO_AUTH_BACKEND=" + backend)
		cmd.Run()
	}
	h.reg.Close()
	os.RemoveAll(h.dir)
}

// roundTrips times provider round trips and noop starts, interleaved.
func (h *harness) roundTrips(backend, noop string, runs int) (provider, floor []time.Duration, err error) {
	request, _ := json.Marshal(map[string]any{
		"v": 1, "kind": "get", "operation": "read",
		"registry": map[string]any{"index-url": h.reg.IndexURL(), "name": "bench"},
	})
	env := h.envWith("CARGO_AUTH_BACKEND=" + backend)
	for i := 0; i < runs+5; i++ {
		d, err := h.roundTrip(env, request)
		if err != nil {
			return nil, nil, err
		}
		start := time.Now()
		if err := exec.Command(noop).Run(); err != nil {
			return nil, nil, err
		}
		f := time.Since(start)
		if i >= 5 { // warm-up
			provider, floor = append(provider, d), append(floor, f)
		}
	}
	return provider, floor, nil
}

// roundTrip is one provider conversation, as cargo has it.
func (h *harness) roundTrip(env []string, request []byte) (time.Duration, error) {
	start := time.Now()
	cmd := exec.Command(h.cargoAuth, "--cargo-plugin")
	cmd.Env = env
	cmd.Stderr = os.Stderr
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	out := bufio.NewReader(stdout)
	hello, err := out.ReadString('\n')
	if err != nil || strings.TrimSpace(hello) != `{"v":[1]}` {
		return 0, fmt.Errorf("hello: %q %v", hello, err)
	}
	stdin.Write(append(request, '\n'))
	answer, err := out.ReadString('\n')
	if err != nil || !strings.HasPrefix(answer, `{"Ok":{`) {
		return 0, fmt.Errorf("the provider did not answer with a token: %v", err)
	}
	stdin.Close()
	io.Copy(io.Discard, out)
	if err := cmd.Wait(); err != nil {
		return 0, err
	}
	return time.Since(start), nil
}

// cargoRuns times cargo generate-lockfile with each provider, interleaved.
func (h *harness) cargoRuns(backend string, runs int) (withAuth, withToken []time.Duration, err error) {
	auth := h.envWith("CARGO_AUTH_BACKEND="+backend, "CARGO_REGISTRY_GLOBAL_CREDENTIAL_PROVIDERS=cargo:token cargo-auth")
	token := h.envWith("CARGO_REGISTRY_GLOBAL_CREDENTIAL_PROVIDERS=cargo:token", "CARGO_REGISTRIES_BENCH_TOKEN="+h.reg.Token())
	run := func(env []string) (time.Duration, error) {
		cmd := exec.Command("cargo", "generate-lockfile")
		cmd.Dir = filepath.Join(h.dir, "project")
		cmd.Env = env
		start := time.Now()
		out, err := cmd.CombinedOutput()
		if err != nil {
			return 0, fmt.Errorf("cargo generate-lockfile: %v\n%s", err, strings.ReplaceAll(string(out), h.reg.Token(), "***"))
		}
		return time.Since(start), nil
	}
	for i := 0; i < runs+2; i++ {
		a, err := run(auth)
		if err != nil {
			return nil, nil, err
		}
		b, err := run(token)
		if err != nil {
			return nil, nil, err
		}
		if i >= 2 {
			withAuth, withToken = append(withAuth, a), append(withToken, b)
		}
	}
	return withAuth, withToken, nil
}

func median(d []time.Duration) time.Duration { return percentile(d, 50) }

func percentile(d []time.Duration, p int) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[(len(s)-1)*p/100]
}

func ratio(a, b []time.Duration) float64 { return float64(median(a)) / float64(median(b)) }

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func loadAverage() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "load unknown"
	}
	return "load " + strings.Join(strings.Fields(string(data))[:3], " ")
}

func fail(msg string) {
	fmt.Fprintln(os.Stderr, "bench/provider:", msg)
	os.Exit(1)
}
