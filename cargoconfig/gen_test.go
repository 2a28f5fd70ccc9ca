package cargoconfig

import (
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// genTree is one generated configuration tree for the differential test.
// Paths and contents use @ROOT@ for the directory the tree is written to
// and @PORT@ for the fake registry's port, so a tree can be written again
// while shrinking.
type genTree struct {
	// files maps a path relative to the root to its lines.
	files map[string][]string
	// env are KEY=VALUE variables besides PATH, HOME and RUSTUP_HOME.
	env []string
	// args are --config arguments.
	args []string
	// cwd is the directory cargo runs in, relative to the root.
	cwd string
	// queries are the registries asked about with `cargo logout`, and
	// authQueries those asked about with an auth-required `cargo search`.
	queries, authQueries []string
}

func (t *genTree) clone() *genTree {
	c := &genTree{files: map[string][]string{}, cwd: t.cwd}
	for k, v := range t.files {
		c.files[k] = append([]string(nil), v...)
	}
	c.env = append([]string(nil), t.env...)
	c.args = append([]string(nil), t.args...)
	c.queries = append([]string(nil), t.queries...)
	c.authQueries = append([]string(nil), t.authQueries...)
	return c
}

func expand(s, root, port string) string {
	return strings.NewReplacer("@ROOT@", root, "@PORT@", port).Replace(s)
}

// write materialises the tree under root.
func (t *genTree) write(root, port string) error {
	for _, d := range []string{t.cwd, "home"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			return err
		}
	}
	names := make([]string, 0, len(t.files))
	for n := range t.files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		p := filepath.Join(root, n)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		body := expand(strings.Join(t.files[n], "\n")+"\n", root, port)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// String prints the tree for a failure report.
func (t *genTree) String() string {
	var b strings.Builder
	names := make([]string, 0, len(t.files))
	for n := range t.files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(&b, "--- %s\n%s\n", n, strings.Join(t.files[n], "\n"))
	}
	fmt.Fprintf(&b, "--- env\n%s\n", strings.Join(t.env, "\n"))
	fmt.Fprintf(&b, "--- args\n%q\n--- cwd @ROOT@/%s\n", t.args, t.cwd)
	return b.String()
}

// generator draws configuration trees from a seeded PRNG.
type generator struct {
	r *rand.Rand
	// arrayForm fixes, per non-mergeable key, whether it is written as a
	// string or an array, so that most trees merge cleanly; arrayUsed
	// notes an array key already written once. Cargo 1.95 merges two
	// arrays of such a key nondeterministically (see listClash), so a
	// tree defines each array once.
	arrayForm map[string]bool
	arrayUsed map[string]bool
}

// form decides how a non-mergeable key is written: ok is false when it is
// an array already written elsewhere in the tree.
func (g *generator) form(key string) (array, ok bool) {
	array, seen := g.arrayForm[key]
	if !seen || g.chance(0.03) {
		array = g.chance(0.5)
		g.arrayForm[key] = array
	}
	if array {
		if g.arrayUsed[key] {
			return true, false
		}
		g.arrayUsed[key] = true
	}
	return array, true
}

func quoteWords(spec string) string {
	parts := strings.Fields(spec)
	q := make([]string, len(parts))
	for i, p := range parts {
		q[i] = fmt.Sprintf("%q", p)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

var (
	genRegistries = []string{"corp", "alt", "a-b", "a_b", "x1"}
	genAliases    = []string{"al0", "al1", "al2"}
)

func (g *generator) chance(p float64) bool { return g.r.Float64() < p }
func (g *generator) pick(xs ...string) string {
	return xs[g.r.Intn(len(xs))]
}

// indexURL draws an index for a registry: mostly its own sparse index at
// the fake registry, sometimes a git index, sometimes another registry's
// index or a variant of it that cargo may or may not treat as the same.
func (g *generator) indexURL(name string) string {
	if g.chance(0.15) {
		name = g.pick(genRegistries...)
	}
	switch g.r.Intn(10) {
	case 0, 1:
		base := "https://git.example/" + name + "/index"
		return base + g.pick("", ".git", "/", ".git/")
	case 2:
		return "https://GIT.example/" + name + "/index" + g.pick("", ".git")
	case 3:
		return "sparse+http://127.0.0.1:@PORT@/" + name + g.pick("", "/", "/./", "/x/../")
	case 4:
		if g.chance(0.2) {
			return "https://user:secret@git.example/" + name + "/index"
		}
		return "https://github.com/Acme/" + name + "-Index" + g.pick("", ".git")
	}
	return "sparse+http://127.0.0.1:@PORT@/" + name + "/"
}

// providerSpec draws one provider entry as a string: a built-in, a script
// by absolute or relative path with or without arguments, or an alias.
func (g *generator) providerSpec(allowArgs bool) string {
	script := fmt.Sprintf("p%d", g.r.Intn(6))
	args := ""
	if allowArgs && g.chance(0.35) {
		args = " " + g.pick("--a", "x y", "--flag=1")
	}
	switch g.r.Intn(12) {
	case 0, 1, 2:
		return "cargo:token"
	case 3:
		return g.pick("cargo:wincred", "cargo:macos-keychain")
	case 4, 5:
		return g.pick(genAliases...)
	case 6:
		return g.pick("../bin/", "bin/", "../../bin/") + script + args
	}
	return "@ROOT@/bin/" + script + args
}

// providerValue renders a registry's credential-provider in the string or
// array form chosen for it; ok is false when it must not be written.
func (g *generator) providerValue(name string) (string, bool) {
	array, ok := g.form("registries." + name + ".credential-provider")
	if !ok {
		return "", false
	}
	spec := g.providerSpec(true)
	if !array {
		return fmt.Sprintf("%q", spec), true
	}
	return quoteWords(spec), true
}

func (g *generator) token() string { return fmt.Sprintf("tok-%06x", g.r.Intn(1<<24)) }

// configBody draws the tables of one configuration file. withTokens is
// false for --config files that should stay loadable either way.
func (g *generator) configBody(withTokens bool) []string {
	var lines []string
	for _, name := range genRegistries {
		if !g.chance(0.3) {
			continue
		}
		lines = append(lines, fmt.Sprintf("[registries.%s]", name))
		if g.chance(0.7) {
			lines = append(lines, fmt.Sprintf("index = %q", g.indexURL(name)))
		}
		if withTokens && g.chance(0.3) {
			lines = append(lines, fmt.Sprintf("token = %q", g.token()))
		}
		if g.chance(0.4) {
			if v, ok := g.providerValue(name); ok {
				lines = append(lines, "credential-provider = "+v)
			}
		}
		if g.chance(0.05) {
			lines = append(lines, `protocol = "sparse"`)
		}
		if g.chance(0.01) {
			// Wrong types: cargo fails while naming registries.
			bad := "token = 5"
			if array, ok := g.form("registries." + name + ".credential-provider"); array && ok && g.chance(0.5) {
				bad = "credential-provider = []"
			}
			lines = append(lines, bad)
		}
	}
	if g.chance(0.45) {
		lines = append(lines, "[registry]")
		if g.chance(0.02) {
			lines = append(lines, `global-credential-providers = "cargo:token"`)
		} else if g.chance(0.8) {
			var entries []string
			for n := g.r.Intn(4); n > 0; n-- {
				entries = append(entries, fmt.Sprintf("%q", g.providerSpec(true)))
			}
			lines = append(lines, "global-credential-providers = ["+strings.Join(entries, ", ")+"]")
		}
		if g.chance(0.2) {
			lines = append(lines, fmt.Sprintf("default = %q", g.pick(genRegistries...)))
		}
		if withTokens && g.chance(0.1) {
			lines = append(lines, fmt.Sprintf("token = %q", g.token()))
		}
		if g.chance(0.1) {
			lines = append(lines, fmt.Sprintf("credential-provider = %q", g.providerSpec(true)))
		}
	}
	if g.chance(0.3) {
		lines = append(lines, "[credential-alias]")
		for _, a := range genAliases {
			if g.chance(0.5) {
				spec := "@ROOT@/bin/" + fmt.Sprintf("p%d", g.r.Intn(6)) + g.pick("", " --alias", " a b")
				if array, ok := g.form("credential-alias." + a); !ok {
					continue
				} else if array {
					lines = append(lines, a+" = "+quoteWords(spec))
				} else {
					lines = append(lines, fmt.Sprintf("%s = %q", a, spec))
				}
			}
		}
		if g.chance(0.15) {
			lines = append(lines, fmt.Sprintf("%q = %q", "cargo:token", "@ROOT@/bin/p1"))
		}
	}
	if g.chance(0.12) {
		src := g.pick(genRegistries...)
		lines = append(lines, fmt.Sprintf("[source.%s-src]", src))
		lines = append(lines, fmt.Sprintf("registry = %q", g.indexURL(src)))
		if g.chance(0.7) {
			lines = append(lines, fmt.Sprintf("replace-with = %q", g.pick("corp-src", "alt-src", "a-b-src", "corp", "alt", "nowhere", "x1-src")))
		}
	}
	if g.chance(0.08) {
		lines = append(lines, "[source.crates-io]", fmt.Sprintf("replace-with = %q", g.pick("corp", "alt-src", "crates-io")))
	}
	if g.chance(0.1) {
		lines = append(lines, "[net]", fmt.Sprintf("git-fetch-with-cli = %t", g.chance(0.5)))
	}
	if g.chance(0.1) {
		lines = append(lines, "[http]", fmt.Sprintf("cainfo = %q", g.pick("ca.pem", "certs/ca.pem", "/etc/ssl/ca.pem")))
	}
	return lines
}

// includeLine draws an `include` array for a file in dir (relative to the
// root), adding the included files to the tree. depth limits nesting.
func (g *generator) includeLine(t *genTree, dir string, depth int) []string {
	if depth > 1 || !g.chance(0.25) {
		return nil
	}
	var entries []string
	for n := 1 + g.r.Intn(2); n > 0; n-- {
		rel := g.pick("inc/a.toml", "inc/b.toml", "c.toml", "../shared.toml")
		switch g.r.Intn(10) {
		case 0:
			entries = append(entries, fmt.Sprintf("{ path = %q, optional = true }", "missing-"+rel))
			continue
		case 1:
			entries = append(entries, fmt.Sprintf("{ path = %q }", rel))
		case 2:
			if g.chance(0.3) {
				entries = append(entries, fmt.Sprintf("%q", "missing.toml"))
				continue
			}
			entries = append(entries, fmt.Sprintf("{ path = %q, optional = true }", rel))
		default:
			entries = append(entries, fmt.Sprintf("%q", rel))
		}
		path := filepath.Join(dir, rel)
		if _, exists := t.files[path]; !exists {
			t.files[path] = nil // reserve, against include cycles through generation
			body := g.includeLine(t, filepath.Dir(path), depth+1)
			t.files[path] = append(body, g.configBody(true)...)
		}
	}
	return []string{"include = [" + strings.Join(entries, ", ") + "]"}
}

// generate draws one tree.
func generate(r *rand.Rand) *genTree {
	g := &generator{r: r, arrayForm: map[string]bool{}, arrayUsed: map[string]bool{}}
	t := &genTree{files: map[string][]string{}}
	depth := 1 + r.Intn(3)
	dirs := []string{"w"}
	for i := 1; i < depth; i++ {
		dirs = append(dirs, dirs[i-1]+"/"+string(rune('a'+i)))
	}
	t.cwd = dirs[len(dirs)-1]
	levels := append([]string{"."}, dirs...)
	for _, d := range levels {
		if !g.chance(0.6) {
			continue
		}
		dot := filepath.Join(d, ".cargo")
		names := []string{"config.toml"}
		switch r.Intn(10) {
		case 0:
			names = []string{"config"}
		case 1:
			names = []string{"config", "config.toml"}
		}
		for _, n := range names {
			body := append(g.includeLine(t, dot, 0), g.configBody(true)...)
			t.files[filepath.Join(dot, n)] = body
		}
	}
	// CARGO_HOME: usually home/.cargo, sometimes an ancestor's .cargo.
	cargoHome := "@ROOT@/home/.cargo"
	switch r.Intn(10) {
	case 0:
		cargoHome = "@ROOT@/w/.cargo"
	case 1:
		cargoHome = "@ROOT@/home/.cargo/"
	}
	t.env = append(t.env, "CARGO_HOME="+cargoHome)
	homeDot := strings.TrimSuffix(strings.TrimPrefix(cargoHome, "@ROOT@/"), "/")
	if g.chance(0.6) {
		t.files[filepath.Join(homeDot, "config.toml")] = append(g.includeLine(t, homeDot, 0), g.configBody(true)...)
	}
	if g.chance(0.5) {
		var creds []string
		if g.chance(0.2) {
			creds = append(creds, fmt.Sprintf("token = %q", g.token()))
		}
		for _, name := range genRegistries {
			if g.chance(0.3) {
				creds = append(creds, fmt.Sprintf("[registries.%s]", name), fmt.Sprintf("token = %q", g.token()))
				if g.chance(0.1) {
					// credentials.toml may hold any setting; it wins over
					// the configuration files.
					creds = append(creds, fmt.Sprintf("credential-provider = %q", g.providerSpec(true)))
				}
			}
		}
		if g.chance(0.15) {
			creds = append(creds, "[registry]", fmt.Sprintf("token = %q", g.token()))
		}
		t.files[filepath.Join(homeDot, g.pick("credentials.toml", "credentials.toml", "credentials"))] = creds
	}
	g.environment(t)
	g.configArgs(t)
	g.chooseQueries(t)
	return t
}

// environment draws CARGO_* variables.
func (g *generator) environment(t *genTree) {
	envNames := append(append([]string{}, genRegistries...), "envreg")
	for _, name := range envNames {
		prefix := EnvPrefix(name)
		if g.chance(0.12) {
			t.env = append(t.env, prefix+"_INDEX="+g.indexURL(name))
		}
		if g.chance(0.1) {
			t.env = append(t.env, prefix+"_TOKEN="+g.token())
		}
		if g.chance(0.12) {
			t.env = append(t.env, prefix+"_CREDENTIAL_PROVIDER="+g.providerSpec(true))
		}
	}
	if g.chance(0.25) {
		var words []string
		for n := 1 + g.r.Intn(2); n > 0; n-- {
			words = append(words, g.providerSpec(false))
		}
		t.env = append(t.env, "CARGO_REGISTRY_GLOBAL_CREDENTIAL_PROVIDERS="+strings.Join(words, " "))
	}
	for _, a := range genAliases {
		if g.chance(0.1) {
			t.env = append(t.env, "CARGO_CREDENTIAL_ALIAS_"+strings.ToUpper(a)+"=@ROOT@/bin/p"+fmt.Sprint(g.r.Intn(6))+g.pick("", " --env"))
		}
	}
	if g.chance(0.05) {
		t.env = append(t.env, "CARGO_NET_GIT_FETCH_WITH_CLI="+g.pick("true", "false"))
	}
	// Dedupe by name, keeping the last.
	seen := map[string]int{}
	var out []string
	for _, kv := range t.env {
		k, _, _ := strings.Cut(kv, "=")
		if i, ok := seen[k]; ok {
			out[i] = kv
			continue
		}
		seen[k] = len(out)
		out = append(out, kv)
	}
	t.env = out
}

// configArgs draws --config arguments.
func (g *generator) configArgs(t *genTree) {
	for n := g.r.Intn(3); n > 0; n-- {
		name := g.pick(genRegistries...)
		switch g.r.Intn(6) {
		case 0:
			t.args = append(t.args, fmt.Sprintf("registry.global-credential-providers=[%q]", g.providerSpec(true)))
		case 1:
			if v, ok := g.providerValue(name); ok {
				t.args = append(t.args, fmt.Sprintf("registries.%s.credential-provider=%s", name, v))
			}
		case 2:
			t.args = append(t.args, fmt.Sprintf("registries.%s.index=%q", name, g.indexURL(name)))
		case 3:
			t.args = append(t.args, fmt.Sprintf("credential-alias.%s=%q", g.pick(genAliases...), "@ROOT@/bin/p4 --cli"))
		case 4:
			file := "cli" + fmt.Sprint(g.r.Intn(2)) + ".toml"
			path := filepath.Join(t.cwd, file)
			if _, ok := t.files[path]; !ok {
				t.files[path] = g.configBody(true)
			}
			t.args = append(t.args, file)
		case 5:
			if g.chance(0.2) {
				t.args = append(t.args, fmt.Sprintf("registries.%s.token=%q", name, g.token()))
			}
		}
	}
}

// chooseQueries picks up to two registries for `cargo logout` (names in
// the files or the environment, and now and then crates-io or a name that
// is defined nowhere) and one sparse registry for `cargo search`.
func (g *generator) chooseQueries(t *genTree) {
	names := append([]string{}, genRegistries...)
	names = append(names, "envreg", "ENVREG", CratesIO, "nowhere")
	g.r.Shuffle(len(names), func(i, j int) { names[i], names[j] = names[j], names[i] })
	var mentioned []string
	all := t.String()
	for _, n := range names {
		if n == CratesIO || strings.Contains(all, "registries."+n+"]") || strings.Contains(all, EnvPrefix(n)+"_") || g.chance(0.05) {
			mentioned = append(mentioned, n)
		}
	}
	if len(mentioned) > 2 {
		mentioned = mentioned[:2]
	}
	t.queries = mentioned
	for _, n := range mentioned {
		if n != CratesIO && n != "nowhere" {
			t.authQueries = []string{n}
			break
		}
	}
}
