package auth

// The URL-token leak scanner, shared by `cargo auth rewrite-config --check`
// and `cargo auth status`.
//
// A token pasted into an index URL ends up where nobody meant it to be:
// cargo writes it into Cargo.lock, a committed .cargo/config.toml carries
// it into every clone, and CI logs print it. findURLLeaks looks in the
// places cargo reads index URLs from and the lockfile it writes them to:
//
//   - every configuration file cargo reads for this directory (discovered,
//     included, and --config files), credentials.toml excepted: that file
//     is meant to hold tokens;
//   - the CARGO_REGISTRIES_<NAME>_INDEX variables;
//   - the current workspace's Cargo.lock and Cargo.toml (an inline
//     `registry-index` in a dependency).
//
// It finds the tokens it knows (cargo-auth's store when the caller passes
// one, CARGO_REGISTRIES_<NAME>_TOKEN, tokens in cargo's configuration) and
// the ones it does not: a userinfo password in any URL, and user names,
// path segments or query values that look like credentials (see
// redact.LooksLikeToken). Ordinary paths such as /api/packages/acme/cargo/
// or /artifactory/api/cargo/repo/index/ are not flagged.
//
// Nothing it returns holds a token in clear: URL is redacted, and the
// secret itself stays in an unexported field for --migrate.

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/cargo-auth/cargo-auth/cargoconfig"
	"github.com/cargo-auth/cargo-auth/cargoconfig/tomledit"
	"github.com/cargo-auth/cargo-auth/credentials"
	"github.com/cargo-auth/cargo-auth/internal/redact"
)

// The kinds of leak findURLLeaks reports (urlLeak.Kind).
const (
	// leakUserinfoPassword is a password in a URL's userinfo
	// (https://user:TOKEN@host/...).
	leakUserinfoPassword = "userinfo-password"
	// leakUserinfoUser is a user name that is a token (https://TOKEN@host/...).
	leakUserinfoUser = "userinfo-user"
	// leakPathToken is a path segment that is a token (the Cloudsmith
	// entitlement style, https://dl.example/TOKEN/org/repo/...).
	leakPathToken = "path-token"
	// leakQueryToken is a query value that is a token (?token=...).
	leakQueryToken = "query-token"
	// leakKnownToken is a token cargo-auth knows (store, environment,
	// cargo's configuration) found anywhere else in the text.
	leakKnownToken = "known-token"
	// leakPlaintextToken is a `token = "..."` key in a configuration file
	// (registry.token, registries.<name>.token): cargo reads it, but it is a
	// token in a file that may be shared.
	leakPlaintextToken = "plaintext-token"
)

// urlLeak is one token found where it should not be. It never holds the
// token in clear.
type urlLeak struct {
	// Where says where, for a user: "~/.cargo/config.toml:12",
	// "environment variable CARGO_REGISTRIES_CORP_INDEX", "Cargo.lock:34"
	// (paths under the home directory start with ~, the workspace's own
	// files are relative to the current directory).
	Where string `json:"where"`
	// Path is the file's absolute path, "" for an environment variable.
	Path string `json:"path,omitempty"`
	// Line is the 1-based line in Path, 0 for an environment variable.
	Line int `json:"line,omitempty"`
	// Env is the environment variable, "" for a file.
	Env string `json:"env,omitempty"`
	// Kind is one of the leak* constants.
	Kind string `json:"kind"`
	// URL is the URL that carries the token, redacted; "" for a
	// plaintext-token or a known token outside any URL.
	URL string `json:"url,omitempty"`
	// Key is the configuration key holding the value
	// ("registries.corp.index", "source.corp-authed.registry"), "" when the
	// token is not in a value cargo reads (a comment, Cargo.lock).
	Key string `json:"key,omitempty"`
	// Registry is the registry the token belongs to, when known.
	Registry string `json:"registry,omitempty"`
	// Tracked reports that git tracks the file, so the token is (or will
	// be) in the repository's history.
	Tracked bool `json:"tracked"`
	// Managed reports a token that `cargo auth rewrite-config` put there on
	// purpose (a source replacement in an untracked file it keeps 0600, see
	// docs/rewrite-config.md); `--check` does not fail on those.
	Managed bool `json:"managed,omitempty"`

	// raw is the URL (or value) as written, secret the token itself and
	// clean the URL without it; for --migrate only, never printed.
	raw, secret, clean string
}

// Fails reports whether the leak should fail a gate such as `--check`:
// every leak except a token rewrite-config manages in an untracked file.
func (l urlLeak) Fails() bool { return !l.Managed || l.Tracked }

// leakScanOptions narrows and feeds the scan. The zero value scans
// everything and knows only the tokens cargo's configuration and the
// environment hold.
type leakScanOptions struct {
	// ConfigArgs are cargo's --config arguments: the FILE ones are scanned
	// like configuration files.
	ConfigArgs []string
	// Store, when set, is asked for the token of every configured
	// registry, so a short or ordinary-looking stored token is still found.
	Store credentials.Store
	// SkipConfig, SkipEnv and SkipWorkspace leave out the configuration
	// files, the CARGO_REGISTRIES_*_INDEX variables, and the workspace's
	// Cargo.lock and Cargo.toml.
	SkipConfig, SkipEnv, SkipWorkspace bool
}

// findURLLeaks scans the configuration cfg was loaded from, the
// environment f gives, and the workspace around cfg.Cwd() for tokens (see
// the comment at the top of this file). Findings come sorted by place:
// files in the order cargo reads them, then variables, then the workspace.
// A file that cannot be read is an error, as cargo would fail on it too; a
// missing Cargo.lock is not.
//
// Typical use (status, a gate):
//
//	cfg, err := f.CargoConfig(configArgs)
//	leaks, err := findURLLeaks(ctx, f, cfg, leakScanOptions{ConfigArgs: configArgs, Store: store})
//	for _, l := range leaks {
//		fmt.Printf("%s: %s %s\n", l.Where, l.Kind, l.URL) // never a token in clear
//	}
//
// Where a gate must fail, use urlLeak.Fails (Managed entries in untracked
// files do not).
func findURLLeaks(ctx context.Context, f *Factory, cfg *cargoconfig.Config, opts leakScanOptions) ([]urlLeak, error) {
	s := &leakScanner{home: f.Getenv("HOME"), cwd: cfg.Cwd(), known: knownSecrets(ctx, f, cfg, opts.Store)}
	s.registries = registryIndexes(cfg)
	s.sourceRegistry = sourceRegistries(cfg)
	if !opts.SkipConfig {
		files, err := configFilesToScan(cfg, opts.ConfigArgs)
		if err != nil {
			return nil, err
		}
		for _, path := range files {
			if err := s.scanConfigFile(path); err != nil {
				return nil, err
			}
		}
	}
	if !opts.SkipEnv {
		s.scanEnv(f.Environ())
	}
	if !opts.SkipWorkspace {
		if err := s.scanWorkspace(); err != nil {
			return nil, err
		}
	}
	markTracked(ctx, s.leaks)
	markManaged(f, s.leaks)
	return s.leaks, nil
}

// knownSecret is a token cargo-auth knows, and whose it is.
type knownSecret struct {
	value, registry string
}

// minKnownLength keeps short values (a test's "x") from matching
// everywhere.
const minKnownLength = 8

// knownSecrets gathers the tokens to look for: every token cargo's
// configuration holds (CARGO_REGISTRIES_<NAME>_TOKEN, credentials.toml,
// config files), every CARGO_REGISTRIES_*_TOKEN variable, and, with a
// store, what it keeps for each configured registry.
func knownSecrets(ctx context.Context, f *Factory, cfg *cargoconfig.Config, store credentials.Store) []knownSecret {
	var out []knownSecret
	add := func(value, registry string) {
		if len(value) < minKnownLength {
			return
		}
		for _, k := range out {
			if k.value == value {
				return
			}
		}
		redact.Register(value)
		out = append(out, knownSecret{value: value, registry: registry})
	}
	for _, r := range cfg.Registries() {
		for _, t := range r.Tokens {
			add(t.Token.Reveal(), r.Name)
		}
		if store != nil && r.Index.Value != "" {
			if cred, err := store.Get(ctx, r.Index.Value); err == nil {
				add(cred.Token.Reveal(), r.Name)
			}
		}
	}
	for _, kv := range f.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		if name, ok := strings.CutPrefix(k, "CARGO_REGISTRIES_"); ok && strings.HasSuffix(name, "_TOKEN") {
			add(v, strings.ToLower(strings.TrimSuffix(name, "_TOKEN")))
		} else if k == "CARGO_REGISTRY_TOKEN" {
			add(v, cargoconfig.CratesIO)
		}
	}
	return out
}

// registryIndex is a configured registry's index with any token removed,
// to attribute a finding to its registry.
type registryIndex struct{ name, key string }

func registryIndexes(cfg *cargoconfig.Config) []registryIndex {
	var out []registryIndex
	for _, r := range cfg.Registries() {
		if r.Index.Value == "" {
			continue
		}
		clean := r.Index.Value
		if c := classifyURL(clean, nil); c.kind != "" {
			clean = c.clean
		}
		if key, err := credentials.Key(clean); err == nil {
			out = append(out, registryIndex{name: r.Name, key: key})
		}
	}
	return out
}

// configFilesToScan lists cargo's configuration files with the files they
// include and the --config files, each once, in the order cargo reads them.
func configFilesToScan(cfg *cargoconfig.Config, configArgs []string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	var visit func(path string, depth int) error
	visit = func(path string, depth int) error {
		if seen[path] || depth > 16 {
			return nil
		}
		seen[path] = true
		out = append(out, path)
		data, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("reading %s: %w", path, err)
		}
		doc, err := tomledit.Parse(path, data)
		if err != nil {
			return err
		}
		for _, inc := range includedFiles(doc, filepath.Dir(path)) {
			if _, err := os.Stat(inc); err == nil {
				if err := visit(inc, depth+1); err != nil {
					return err
				}
			}
		}
		return nil
	}
	for _, path := range cfg.Files() {
		if err := visit(path, 0); err != nil {
			return nil, err
		}
	}
	for _, arg := range configArgs {
		path := arg
		if !filepath.IsAbs(path) {
			path = filepath.Join(cfg.Cwd(), arg)
		}
		if info, err := os.Stat(path); err == nil && info.Mode().IsRegular() {
			if err := visit(path, 0); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// includedFiles reads a configuration file's `include` array (strings or
// {path = ...} tables), resolved against the file's directory.
func includedFiles(doc *tomledit.Document, dir string) []string {
	v, ok := doc.Get("include")
	if !ok {
		return nil
	}
	var out []string
	for _, e := range v.Elems() {
		p, ok := e.AsString()
		if !ok && e.Kind() == tomledit.KindInlineTable {
			// An inline table is read-only in tomledit: parse it alone.
			if t, err := tomledit.Parse("include", []byte("t = "+e.Raw()+"\n")); err == nil {
				if pv, found := t.Get("t", "path"); found {
					p, ok = pv.AsString()
				}
			}
		}
		if ok {
			out = append(out, joinConfigPath(dir, p))
		}
	}
	return out
}

func joinConfigPath(dir, p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(dir, p)
}

// leakScanner collects findings.
type leakScanner struct {
	home, cwd  string
	known      []knownSecret
	registries []registryIndex
	// sourceRegistry names the registry of each [source] on a
	// replacement chain.
	sourceRegistry map[string]string
	leaks          []urlLeak
}

// scanConfigFile scans one configuration file: every URL in its text
// (comments included: a comment is committed too), known tokens anywhere,
// and `token` keys.
func (s *leakScanner) scanConfigFile(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("reading %s: %w", path, err)
	}
	doc, err := tomledit.Parse(path, data)
	if err != nil {
		return err
	}
	start := len(s.leaks)
	for _, k := range tokenKeys(doc) {
		if val, ok := doc.Get(k.path...); ok {
			if secret, ok := val.AsString(); ok && secret != "" {
				s.add(urlLeak{Path: path, Line: val.Span().Line, Kind: leakPlaintextToken,
					Key: strings.Join(k.path, "."), Registry: k.registry, secret: secret, raw: secret})
			}
		}
	}
	keys := urlKeysByLine(doc, s.sourceRegistry)
	s.scanText(path, string(data), func(line int) (string, string) { return keys[line].key, keys[line].registry })
	found := s.leaks[start:]
	sort.SliceStable(found, func(i, j int) bool { return found[i].Line < found[j].Line })
	return nil
}

// scanEnv scans the CARGO_REGISTRIES_<NAME>_INDEX variables.
func (s *leakScanner) scanEnv(environ []string) {
	sort.Strings(environ)
	for _, kv := range environ {
		k, v, _ := strings.Cut(kv, "=")
		name, ok := strings.CutPrefix(k, "CARGO_REGISTRIES_")
		if !ok || !strings.HasSuffix(name, "_INDEX") {
			continue
		}
		registry := strings.ToLower(strings.TrimSuffix(name, "_INDEX"))
		if c := classifyURL(v, s.known); c.kind != "" {
			s.add(urlLeak{Env: k, Kind: c.kind, URL: maskURL(v, c.secret), Key: "registries." + registry + ".index",
				Registry: registry, raw: v, secret: c.secret, clean: c.clean})
		}
	}
}

// scanText reports every URL of text that carries a token, and known
// tokens outside URLs. keyAt names the configuration key and registry of a
// line, if any.
func (s *leakScanner) scanText(path, text string, keyAt func(line int) (key, registry string)) {
	for i, line := range strings.Split(text, "\n") {
		n := i + 1
		rest := line
		for _, raw := range urlsIn(line) {
			rest = strings.Replace(rest, raw, "", 1)
			c := classifyURL(raw, s.known)
			if c.kind == "" {
				continue
			}
			key, registry := keyAt(n)
			if registry == "" {
				registry = s.registryOf(c)
			}
			s.add(urlLeak{Path: path, Line: n, Kind: c.kind, URL: maskURL(raw, c.secret), Key: key,
				Registry: registry, raw: raw, secret: c.secret, clean: c.clean})
		}
		for _, k := range s.known {
			if containsSecret(rest, k.value) {
				key, _ := keyAt(n)
				s.add(urlLeak{Path: path, Line: n, Kind: leakKnownToken, Key: key, Registry: k.registry, secret: k.value})
			}
		}
	}
}

func (s *leakScanner) registryOf(c urlClass) string {
	if c.registry != "" {
		return c.registry
	}
	key, err := credentials.Key(strings.TrimPrefix(c.clean, "registry+"))
	if err != nil {
		return ""
	}
	for _, r := range s.registries {
		if r.key == key {
			return r.name
		}
	}
	return ""
}

// add records a finding once per place and kind (a plaintext token that is
// also a known one is reported once).
func (s *leakScanner) add(l urlLeak) {
	for _, old := range s.leaks {
		if old.Path == l.Path && old.Env == l.Env && old.Line == l.Line && old.secret == l.secret {
			return
		}
	}
	switch {
	case l.Env != "":
		l.Where = "environment variable " + l.Env
	default:
		l.Where = fmt.Sprintf("%s:%d", displayPath(s.home, s.cwd, l.Path), l.Line)
	}
	s.leaks = append(s.leaks, l)
}

// maskURL redacts a URL for display: what redact.URL finds by shape, and
// the token found in it, however it is spelled (a known token can look like
// an ordinary word).
func maskURL(raw, secret string) string {
	out := redact.Known(redact.URL(raw))
	if len(secret) >= 4 {
		for _, spelled := range []string{escapeToken(secret), url.PathEscape(secret), url.QueryEscape(secret), secret} {
			out = strings.ReplaceAll(out, spelled, redact.Placeholder)
		}
	}
	return out
}

// displayPath shows p for a user: relative to the current directory when
// inside it (.cargo/config.toml, Cargo.lock), with ~ for the home directory
// otherwise (~/.cargo/config.toml), else as is. A current directory above
// the home directory (/, a CI workspace root) does not make home paths
// relative.
func displayPath(home, cwd, p string) string {
	under := func(base string) (string, bool) {
		if base == "" {
			return "", false
		}
		rel, err := filepath.Rel(base, p)
		return rel, err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
	}
	homeRel, inHome := under(home)
	cwdInHome := false
	if home != "" {
		if rel, err := filepath.Rel(home, cwd); err == nil && !strings.HasPrefix(rel, "..") {
			cwdInHome = true
		}
	}
	if rel, ok := under(cwd); ok && (!inHome || cwdInHome) {
		return rel
	}
	if inHome {
		return "~" + string(filepath.Separator) + homeRel
	}
	return p
}

// urlClass is what classifyURL found in one URL.
type urlClass struct {
	// kind is a leak* constant, "" for a clean URL.
	kind string
	// secret is the token (unescaped), clean the URL without it (the
	// userinfo, segment or query parameter removed), and template the URL
	// with {token} where the token was.
	secret, clean, template string
	// registry names whose known token it is, when it is one.
	registry string
}

// classifyURL looks for a token in one URL (with or without cargo's
// sparse+/registry+ prefix). known tokens are found whatever they look
// like; unknown ones by their shape.
func classifyURL(raw string, known []knownSecret) urlClass {
	prefix, rest := splitSourcePrefix(raw)
	u, err := url.Parse(rest)
	if err != nil || u.Scheme == "" || u.Host == "" {
		for _, k := range known {
			if containsSecret(raw, k.value) {
				return urlClass{kind: leakKnownToken, secret: k.value, clean: raw, registry: k.registry}
			}
		}
		return urlClass{}
	}
	knownAs := func(s string) (string, bool) {
		for _, k := range known {
			if s == k.value {
				return k.registry, true
			}
		}
		return "", false
	}
	rebuild := func(mod func(*url.URL)) string {
		c := *u
		mod(&c)
		return prefix + c.String()
	}
	if u.User != nil {
		user := u.User.Username()
		password, hasPassword := u.User.Password()
		if hasPassword && password != "" {
			reg, _ := knownAs(password)
			return urlClass{kind: leakUserinfoPassword, secret: password, registry: reg,
				clean:    rebuild(func(c *url.URL) { c.User = nil }),
				template: strings.Replace(rebuild(func(c *url.URL) { c.User = url.UserPassword(user, "TOKENPLACEHOLDER") }), "TOKENPLACEHOLDER", "{token}", 1)}
		}
		if reg, ok := knownAs(user); ok || redact.LooksLikeToken(user) {
			return urlClass{kind: leakUserinfoUser, secret: user, registry: reg,
				clean:    rebuild(func(c *url.URL) { c.User = nil }),
				template: strings.Replace(rebuild(func(c *url.URL) { c.User = url.User("TOKENPLACEHOLDER") }), "TOKENPLACEHOLDER", "{token}", 1)}
		}
	}
	segments := strings.Split(u.EscapedPath(), "/")
	for i, seg := range segments {
		plain, err := url.PathUnescape(seg)
		if err != nil {
			plain = seg
		}
		if reg, ok := knownAs(plain); ok || redact.LooksLikeToken(plain) {
			without := append(append([]string(nil), segments[:i]...), segments[i+1:]...)
			withPlaceholder := append([]string(nil), segments...)
			withPlaceholder[i] = "{token}"
			return urlClass{kind: leakPathToken, secret: plain, registry: reg,
				clean:    rebuild(func(c *url.URL) { setEscapedPath(c, strings.Join(without, "/")) }),
				template: strings.Replace(rebuild(func(c *url.URL) { setEscapedPath(c, strings.Join(withPlaceholder, "/")) }), "%7Btoken%7D", "{token}", 1)}
		}
	}
	if u.RawQuery != "" {
		q := u.Query()
		for key, values := range q {
			for _, v := range values {
				if reg, ok := knownAs(v); ok || redact.LooksLikeToken(v) || (secretQueryKeyName(key) && v != "") {
					return urlClass{kind: leakQueryToken, secret: v, registry: reg,
						clean: rebuild(func(c *url.URL) { q2 := c.Query(); q2.Del(key); c.RawQuery = q2.Encode() })}
				}
			}
		}
	}
	for _, k := range known {
		if containsSecret(raw, k.value) {
			return urlClass{kind: leakKnownToken, secret: k.value, clean: raw, registry: k.registry}
		}
	}
	return urlClass{}
}

func setEscapedPath(u *url.URL, escaped string) {
	if p, err := url.PathUnescape(escaped); err == nil {
		u.Path, u.RawPath = p, escaped
		if u.EscapedPath() != escaped {
			u.RawPath = ""
		}
	}
}

// splitSourcePrefix splits cargo's source-kind prefix off a URL.
func splitSourcePrefix(raw string) (prefix, rest string) {
	for _, p := range []string{"sparse+", "registry+", "git+"} {
		if strings.HasPrefix(raw, p) {
			return p, raw[len(p):]
		}
	}
	return "", raw
}

func secretQueryKeyName(key string) bool {
	k := strings.ToLower(key)
	for _, w := range []string{"token", "password", "secret", "auth"} {
		if strings.Contains(k, w) {
			return true
		}
	}
	return false
}

// containsSecret reports whether text holds secret as is or URL-escaped.
func containsSecret(text, secret string) bool {
	if secret == "" {
		return false
	}
	return strings.Contains(text, secret) || strings.Contains(text, url.PathEscape(secret)) || strings.Contains(text, url.QueryEscape(secret))
}

// urlsIn finds the URL-looking words of a line: a scheme, "://", and the
// characters a URL may hold, up to a quote, space or bracket.
func urlsIn(line string) []string {
	var out []string
	for {
		i := strings.Index(line, "://")
		if i < 0 {
			return out
		}
		start := i
		for start > 0 && isSchemeChar(line[start-1]) {
			start--
		}
		end := i + 3
		for end < len(line) && isURLByte(line[end]) {
			end++
		}
		if start < i {
			out = append(out, line[start:end])
		}
		line = line[end:]
	}
}

func isSchemeChar(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '+' || b == '-' || b == '.'
}

func isURLByte(b byte) bool {
	if b <= ' ' || b >= 0x7f {
		return false
	}
	return !strings.ContainsRune("\"'<>`(){}[],\\", rune(b))
}

// lineKey is the configuration key whose value starts on a line.
type lineKey struct{ key, registry string }

// urlKeysByLine maps the lines of the values that hold index URLs
// (registries.<name>.index, source.<name>.registry, registry.index) to
// their key and registry, however the file spells the tables.
func urlKeysByLine(doc *tomledit.Document, sourceRegistry map[string]string) map[int]lineKey {
	out := map[int]lineKey{}
	put := func(registry string, key ...string) {
		if v, ok := doc.Get(key...); ok && v.Kind() == tomledit.KindString {
			out[v.Span().Line] = lineKey{key: strings.Join(key, "."), registry: registry}
		}
	}
	for _, name := range doc.Keys("registries") {
		put(name, "registries", name, "index")
	}
	for _, name := range doc.Keys("source") {
		put(sourceRegistry[name], "source", name, "registry")
	}
	put(cargoconfig.CratesIO, "registry", "index")
	return out
}

// configTokenKey is a `token` key of a configuration file.
type configTokenKey struct {
	path     []string
	registry string
}

// tokenKeys lists registry.token and registries.<name>.token.
func tokenKeys(doc *tomledit.Document) []configTokenKey {
	out := []configTokenKey{{path: []string{"registry", "token"}, registry: cargoconfig.CratesIO}}
	for _, name := range doc.Keys("registries") {
		out = append(out, configTokenKey{path: []string{"registries", name, "token"}, registry: name})
	}
	return out
}

// sourceRegistries maps every [source] name on a registry's replacement
// chain to the registry, so a token in [source.corp-authed] is corp's.
func sourceRegistries(cfg *cargoconfig.Config) map[string]string {
	out := map[string]string{}
	for _, r := range cfg.Registries() {
		chain, err := cfg.ReplacementOf(r.Name)
		if err != nil {
			continue
		}
		for _, s := range chain {
			if _, taken := out[s]; !taken {
				out[s] = r.Name
			}
		}
	}
	return out
}
