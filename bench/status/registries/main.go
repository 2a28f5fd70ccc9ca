// Command registries serves ten test registries on loopback for
// bench/status/run, the benchmark of `cargo auth status`. Registry rN
// answers config.json after (N+1) × -step (over TLS, each with its own
// token), so the slowest is r9.
//
// It writes, into -dir: config.toml (the ten registries, cargo:token as the
// provider, and a CA bundle trusting all of them), tokens.env (0600, shell
// assignments of CARGO_REGISTRIES_RN_TOKEN, never printed) and slowest.url
// (r9's config.json). It prints "ready" and serves until stdin closes.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/cargo-auth/cargo-auth/internal/registrytest"
)

func main() {
	dir := flag.String("dir", "", "directory for config.toml, tokens.env and slowest.url")
	count := flag.Int("registries", 10, "how many registries")
	step := flag.Duration("step", 40*time.Millisecond, "extra config.json delay of each next registry")
	flag.Parse()
	if *dir == "" {
		fail(fmt.Errorf("-dir is required"))
	}
	var config, tokens, cas strings.Builder
	var slowest string
	for i := range *count {
		reg, err := registrytest.Start(
			registrytest.WithTLS(),
			registrytest.WithSwitches(registrytest.SlowHeaders),
			registrytest.WithSlowHeaders(time.Duration(i+1)**step),
			registrytest.WithHostileClasses(registrytest.ClassConfig),
		)
		if err != nil {
			fail(err)
		}
		defer reg.Close()
		name := fmt.Sprintf("r%d", i)
		fmt.Fprintf(&config, "[registries.%s]\nindex = %q\n", name, reg.IndexURL())
		fmt.Fprintf(&tokens, "CARGO_REGISTRIES_%s_TOKEN=%s\n", strings.ToUpper(name), reg.Token())
		ca, err := os.ReadFile(reg.CAFile())
		if err != nil {
			fail(err)
		}
		cas.Write(ca)
		slowest = strings.TrimPrefix(reg.IndexURL(), "sparse+") + "config.json"
	}
	bundle := filepath.Join(*dir, "ca.pem")
	fmt.Fprintf(&config, "\n[registry]\nglobal-credential-providers = [\"cargo:token\"]\n\n[http]\ncainfo = %q\n", bundle)
	for name, content := range map[string]string{
		"config.toml": config.String(), "tokens.env": tokens.String(), "ca.pem": cas.String(), "slowest.url": slowest + "\n",
	} {
		if err := os.WriteFile(filepath.Join(*dir, name), []byte(content), 0o600); err != nil {
			fail(err)
		}
	}
	fmt.Println("ready")
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "registries:", err)
	os.Exit(1)
}
