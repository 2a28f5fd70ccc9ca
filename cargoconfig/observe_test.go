package cargoconfig

// How the differential test observes cargo and predicts the same
// observation from the model.

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

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

var reRenamed = regexp.MustCompile("note: name of alternative registry `[^`]*` set to `([^`]*)`")

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
	if m := reRenamed.FindStringSubmatch(stderr); m != nil {
		out = append(out, "note: registry named "+m[1])
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
	for _, w := range warnings {
		if w.Kind == WarnRegistryRenamed {
			if i := strings.LastIndex(w.Message, " set to `"); i >= 0 {
				o.lines = append(o.lines, "note: registry named "+strings.TrimSuffix(w.Message[i+len(" set to `"):], "`"))
				break
			}
		}
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
