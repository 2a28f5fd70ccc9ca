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
