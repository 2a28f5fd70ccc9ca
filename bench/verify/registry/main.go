// Command registry serves a test registry of many crates on loopback for
// bench/verify/run, the benchmark of `cargo auth verify`. It lives in this
// module because internal/registrytest does.
//
// It prints the registry's environment as shell assignments on stdout, then
// reads commands on stdin, one per line:
//
//	replay FILE   write every request so far as a curl config (-K) that repeats it
//	count         print how many requests the registry has seen
//	reset         forget the requests so far
//
// and exits when stdin closes. The token is written to the file named by
// -token-file (0600), never printed.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/cargo-auth/cargo-auth/internal/registrytest"
)

func main() {
	crates := flag.Int("crates", 1000, "how many crates to publish")
	tokenFile := flag.String("token-file", "", "file to write the token to")
	tls := flag.Bool("tls", true, "serve https with a test CA")
	flag.Parse()
	if *tokenFile == "" {
		fmt.Fprintln(os.Stderr, "registry: -token-file is required")
		os.Exit(2)
	}
	opts := []registrytest.Option{registrytest.WithCrates(benchCrates(*crates)...)}
	if *tls {
		opts = append(opts, registrytest.WithTLS())
	}
	reg, err := registrytest.Start(opts...)
	if err != nil {
		fmt.Fprintln(os.Stderr, "registry:", err)
		os.Exit(1)
	}
	defer reg.Close()
	if err := os.WriteFile(*tokenFile, []byte(reg.Token()+"\n"), 0o600); err != nil {
		fmt.Fprintln(os.Stderr, "registry:", err)
		os.Exit(1)
	}
	fmt.Printf("BENCH_INDEX=%s\nBENCH_URL=%s\nBENCH_CA=%s\n", reg.IndexURL(), reg.URL(), reg.CAFile())
	fmt.Println("ready")
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		verb, arg, _ := strings.Cut(strings.TrimSpace(in.Text()), " ")
		switch verb {
		case "replay":
			n, err := writeReplay(reg, arg)
			if err != nil {
				fmt.Println("error", err)
				continue
			}
			fmt.Println("ok", n)
		case "count":
			fmt.Println("ok", len(reg.Requests()))
		case "reset":
			reg.Reset()
			fmt.Println("ok")
		default:
			fmt.Println("error unknown command", verb)
		}
	}
}

// benchCrates are n crates with realistic, shared-prefix names, a few
// versions each for some, and dependencies between neighbours.
func benchCrates(n int) []registrytest.Crate {
	var out []registrytest.Crate
	for i := range n {
		name := fmt.Sprintf("corp-%s-%04d", []string{"core", "svc", "util", "proto"}[i%4], i)
		c := registrytest.Crate{Name: name, Version: "1.0.0"}
		if i > 0 && i%10 != 0 {
			c.Deps = []registrytest.Dep{{Name: out[len(out)-1].Name, Req: "^1"}}
		}
		out = append(out, c)
		if i%5 == 0 {
			out = append(out, registrytest.Crate{Name: name, Version: "1.1.0"})
		}
	}
	return out
}

// writeReplay writes a curl config that sends the logged requests again, one
// after the other on one connection: the same method, URL and kind of
// credential (the token, a bogus one, or none). Bodies of state-changing
// requests are the same size of junk; the registry refuses them before
// reading either way.
func writeReplay(reg *registrytest.Registry, path string) (int, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	w := bufio.NewWriter(f)
	requests := reg.Requests()
	for i, r := range requests {
		if i > 0 {
			fmt.Fprintln(w, "next")
		}
		fmt.Fprintf(w, "url = %q\nrequest = %q\noutput = \"/dev/null\"\nsilent\n", reg.OriginURL(r.Listener)+r.Path, r.Method)
		switch {
		case r.Credential.Known():
			fmt.Fprintf(w, "header = %q\n", "Authorization: "+reg.Tokens()[r.Credential.Token])
		case r.Credential.Present():
			fmt.Fprintf(w, "header = %q\n", "Authorization: cargo-auth-bench-bogus-0123456789abcdef")
		}
		if r.Method == "PUT" || r.Method == "DELETE" {
			fmt.Fprintf(w, "data-binary = %q\n", "{\"users\": [")
		}
		if ca := reg.CAFile(); ca != "" {
			fmt.Fprintf(w, "cacert = %q\n", ca)
		}
	}
	return len(requests), w.Flush()
}
