package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/cargo-auth/cargo-auth/internal/registrytest"
)

// The registry command gives scripts a test registry on 127.0.0.1:
//
//	registry start NAME [--tls] [--git] [--path-token] [--token T]... [--scheme raw|bearer|basic]...
//	                    [--switch S]... [--anonymous CLASS]... [--crate NAME@VERSION[:DEP@REQ,...]]...
//	registry enable|disable NAME SWITCH...
//	[!] registry saw-token NAME [CLASS...]   (did any request of these classes carry the token)
//	registry requests NAME                   (the request log on stdout)
//	registry reset NAME
//
// start sets $<NAME>_INDEX (sparse+ URL), $<NAME>_URL, $<NAME>_GIT (with
// --git), $<NAME>_CA (with --tls, also CARGO_HTTP_CAINFO and GIT_SSL_CAINFO)
// and $<NAME>_ENV (CARGO_REGISTRIES_<NAME>), and writes the token to
// $WORK/<name>.token (a file the leak guard allows), never into the
// environment or the log.

type registriesKey struct{}

func scriptRegistries(ts *testscript.TestScript) map[string]*registrytest.Registry {
	m, _ := ts.Value(registriesKey{}).(map[string]*registrytest.Registry)
	return m
}

func cmdRegistry(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 2 {
		ts.Fatalf("usage: registry start|enable|disable|saw-token|requests|reset NAME ...")
	}
	verb, name := args[0], args[1]
	regs := scriptRegistries(ts)
	if verb == "start" {
		if neg {
			ts.Fatalf("registry start cannot be negated")
		}
		startRegistry(ts, regs, name, args[2:])
		return
	}
	reg := regs[name]
	if reg == nil {
		ts.Fatalf("no registry %q started", name)
	}
	switch verb {
	case "enable", "disable":
		var switches []registrytest.Switch
		for _, s := range args[2:] {
			sw, err := registrytest.ParseSwitch(s)
			ts.Check(err)
			switches = append(switches, sw)
		}
		if verb == "enable" {
			ts.Check(reg.Enable(switches...))
		} else {
			ts.Check(reg.Disable(switches...))
		}
	case "saw-token":
		var classes []registrytest.Class
		for _, c := range args[2:] {
			classes = append(classes, registrytest.Class(c))
		}
		saw := false
		for _, req := range reg.Requests() {
			if (len(classes) == 0 || containsClass(classes, req.Class)) && reg.Carried(req, reg.Token()) {
				saw = true
			}
		}
		if saw == neg {
			ts.Fatalf("registry %s saw the token: %v, want %v; requests:\n%s", name, saw, !neg, registrytest.FormatRequests(reg.Requests()))
		}
	case "requests":
		fmt.Fprint(ts.Stdout(), registrytest.FormatRequests(reg.Requests()))
	case "reset":
		reg.Reset()
	default:
		ts.Fatalf("unknown registry verb %q", verb)
	}
}

func containsClass(classes []registrytest.Class, c registrytest.Class) bool {
	for _, x := range classes {
		if x == c {
			return true
		}
	}
	return false
}

type repeated []string

func (r *repeated) String() string     { return strings.Join(*r, ",") }
func (r *repeated) Set(v string) error { *r = append(*r, v); return nil }

func startRegistry(ts *testscript.TestScript, regs map[string]*registrytest.Registry, name string, args []string) {
	if regs[name] != nil {
		ts.Fatalf("registry %q already started", name)
	}
	fs := flag.NewFlagSet("registry start", flag.ContinueOnError)
	tls := fs.Bool("tls", false, "serve https with a test CA")
	git := fs.Bool("git", false, "also serve a git index")
	pathToken := fs.Bool("path-token", false, "also serve under /<token>/")
	var schemes, switches, anonymous, crates, tokens repeated
	fs.Var(&tokens, "token", "an accepted token (repeatable; the first is Token)")
	fs.Var(&schemes, "scheme", "accepted Authorization form")
	fs.Var(&switches, "switch", "misbehaviour switch")
	fs.Var(&anonymous, "anonymous", "endpoint class open by design")
	fs.Var(&crates, "crate", "NAME@VERSION[:DEP@REQ,...]")
	ts.Check(fs.Parse(args))

	dir := ts.MkAbs(".registry-" + name)
	ts.Check(os.MkdirAll(dir, 0o700))
	opts := []registrytest.Option{registrytest.WithDir(dir)}
	if *tls {
		opts = append(opts, registrytest.WithTLS())
	}
	if *git {
		opts = append(opts, registrytest.WithGitIndex())
	}
	if *pathToken {
		opts = append(opts, registrytest.WithPathToken())
	}
	if len(tokens) > 0 {
		opts = append(opts, registrytest.WithTokens(tokens...))
	}
	var regSchemes []registrytest.Scheme
	for _, s := range schemes {
		regSchemes = append(regSchemes, registrytest.Scheme(s))
	}
	if len(regSchemes) > 0 {
		opts = append(opts, registrytest.WithSchemes(regSchemes...))
	}
	var sw []registrytest.Switch
	for _, s := range switches {
		parsed, err := registrytest.ParseSwitch(s)
		ts.Check(err)
		sw = append(sw, parsed)
	}
	if len(sw) > 0 {
		opts = append(opts, registrytest.WithSwitches(sw...))
	}
	var anon []registrytest.Class
	for _, c := range anonymous {
		anon = append(anon, registrytest.Class(c))
	}
	if len(anon) > 0 {
		opts = append(opts, registrytest.WithAnonymous(anon...))
	}
	var cs []registrytest.Crate
	for _, spec := range crates {
		c, err := parseCrateSpec(spec)
		ts.Check(err)
		cs = append(cs, c)
	}
	if len(cs) > 0 {
		opts = append(opts, registrytest.WithCrates(cs...))
	}

	reg, err := registrytest.Start(opts...)
	ts.Check(err)
	ts.Defer(func() { reg.Close() })
	regs[name] = reg

	upper := registrytest.EnvName(name)
	ts.Setenv(upper+"_INDEX", reg.IndexURL())
	ts.Setenv(upper+"_URL", reg.URL())
	ts.Setenv(upper+"_ENV", "CARGO_REGISTRIES_"+upper)
	if *git {
		ts.Setenv(upper+"_GIT", reg.GitIndexURL())
	}
	if ca := reg.CAFile(); ca != "" {
		ts.Setenv(upper+"_CA", ca)
		ts.Setenv("CARGO_HTTP_CAINFO", ca)
		ts.Setenv("GIT_SSL_CAINFO", ca)
	}
	tokenFile := ts.MkAbs(name + ".token")
	ts.Check(os.WriteFile(tokenFile, []byte(reg.Token()+"\n"), 0o600))
	allowed, _ := ts.Value(allowTokenKey{}).(map[string]bool)
	allowed[tokenFile] = true
	// The registry's own files (its git index in path-token mode) hold
	// the token by design.
	allowTree(allowed, reg.Dir())
}

// allowTree allows every file under dir, now and later (the prefix is
// checked by checkLeaks).
func allowTree(allowed map[string]bool, dir string) {
	allowed[dir+string(filepath.Separator)] = true
}

// parseCrateSpec reads NAME@VERSION[:DEP@REQ,...].
func parseCrateSpec(spec string) (registrytest.Crate, error) {
	head, depList, _ := strings.Cut(spec, ":")
	name, version, ok := strings.Cut(head, "@")
	if !ok {
		return registrytest.Crate{}, fmt.Errorf("crate %q: want NAME@VERSION", spec)
	}
	c := registrytest.Crate{Name: name, Version: version}
	if depList != "" {
		for _, d := range strings.Split(depList, ",") {
			depName, req, _ := strings.Cut(d, "@")
			c.Deps = append(c.Deps, registrytest.Dep{Name: depName, Req: req})
		}
	}
	return c, nil
}
