package registrytest

import (
	"flag"
	"fmt"
	"io"
	"strings"
)

// ParseArgs turns command-line arguments into Options, so a testscript
// command can start a registry from a script line such as
//
//	registry start -tls -switch dl-other-host -crate app-util@0.2.0 -crate app-core@1.0.0:app-util@^0.2
//
// The flags, each repeatable where it makes sense:
//
//	-tls                       WithTLS
//	-git                       WithGitIndex
//	-path-token                WithPathToken
//	-token VALUE               WithTokens (repeatable)
//	-scheme raw|bearer|basic   WithSchemes (repeatable)
//	-anonymous CLASS           WithAnonymous (repeatable)
//	-switch NAME               WithSwitches (repeatable; see Switches)
//	-hostile CLASS             WithHostileClasses (repeatable)
//	-crate NAME@VERSION[:DEP@REQ,...]  WithCrates (repeatable, dependencies first)
//	-slow-headers DURATION     WithSlowHeaders
//	-trickle DURATION          WithTrickle
func ParseArgs(args []string) ([]Option, error) {
	fs := flag.NewFlagSet("registry", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	tlsOn := fs.Bool("tls", false, "")
	git := fs.Bool("git", false, "")
	pathToken := fs.Bool("path-token", false, "")
	slowHeaders := fs.Duration("slow-headers", 0, "")
	trickle := fs.Duration("trickle", 0, "")
	var tokens, schemes, anonymous, switches, hostile, crates repeated
	fs.Var(&tokens, "token", "")
	fs.Var(&schemes, "scheme", "")
	fs.Var(&anonymous, "anonymous", "")
	fs.Var(&switches, "switch", "")
	fs.Var(&hostile, "hostile", "")
	fs.Var(&crates, "crate", "")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	var opts []Option
	if *tlsOn {
		opts = append(opts, WithTLS())
	}
	if *git {
		opts = append(opts, WithGitIndex())
	}
	if *pathToken {
		opts = append(opts, WithPathToken())
	}
	if len(tokens) > 0 {
		opts = append(opts, WithTokens(tokens...))
	}
	if len(schemes) > 0 {
		var parsed []Scheme
		for _, s := range schemes {
			switch Scheme(s) {
			case SchemeRaw, SchemeBearer, SchemeBasic:
				parsed = append(parsed, Scheme(s))
			default:
				return nil, fmt.Errorf("unknown scheme %q (want raw, bearer or basic)", s)
			}
		}
		opts = append(opts, WithSchemes(parsed...))
	}
	anonymousClasses, err := parseClasses(anonymous)
	if err != nil {
		return nil, err
	}
	if len(anonymousClasses) > 0 {
		opts = append(opts, WithAnonymous(anonymousClasses...))
	}
	hostileClasses, err := parseClasses(hostile)
	if err != nil {
		return nil, err
	}
	if len(hostileClasses) > 0 {
		opts = append(opts, WithHostileClasses(hostileClasses...))
	}
	for _, name := range switches {
		s, err := ParseSwitch(name)
		if err != nil {
			return nil, err
		}
		opts = append(opts, WithSwitches(s))
	}
	for _, spec := range crates {
		c, err := parseCrateSpec(spec)
		if err != nil {
			return nil, err
		}
		opts = append(opts, WithCrates(c))
	}
	if *slowHeaders > 0 {
		opts = append(opts, WithSlowHeaders(*slowHeaders))
	}
	if *trickle > 0 {
		opts = append(opts, WithTrickle(*trickle))
	}
	return opts, nil
}

// parseCrateSpec reads NAME@VERSION[:DEP@REQ,...].
func parseCrateSpec(spec string) (Crate, error) {
	head, deps, _ := strings.Cut(spec, ":")
	name, version, ok := strings.Cut(head, "@")
	if !ok || name == "" || version == "" {
		return Crate{}, fmt.Errorf("crate %q: want NAME@VERSION[:DEP@REQ,...]", spec)
	}
	c := Crate{Name: name, Version: version}
	if deps != "" {
		for _, d := range strings.Split(deps, ",") {
			depName, req, _ := strings.Cut(d, "@")
			if depName == "" {
				return Crate{}, fmt.Errorf("crate %q: empty dependency", spec)
			}
			c.Deps = append(c.Deps, Dep{Name: depName, Req: req})
		}
	}
	return c, nil
}

func parseClasses(names []string) ([]Class, error) {
	var out []Class
	for _, n := range names {
		known := false
		for _, c := range append(Classes, ClassLogin) {
			known = known || Class(n) == c
		}
		if !known {
			return nil, fmt.Errorf("unknown endpoint class %q", n)
		}
		out = append(out, Class(n))
	}
	return out, nil
}

// repeated is a flag that may be given several times.
type repeated []string

func (r *repeated) String() string { return strings.Join(*r, ",") }

func (r *repeated) Set(v string) error {
	*r = append(*r, v)
	return nil
}
