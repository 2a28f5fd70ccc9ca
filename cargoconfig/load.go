package cargoconfig

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
)

// LoadOptions are everything Load reads besides the file system: the process
// state cargo would see. Load never looks at the real environment or working
// directory itself, so callers and tests decide what cargo would see.
type LoadOptions struct {
	// Cwd is the directory cargo runs in; discovery starts there.
	Cwd string
	// Environ is the environment, as os.Environ returns it.
	Environ []string
	// ConfigArgs are cargo's --config values in order: KEY=VALUE
	// expressions or paths of files (relative to Cwd).
	ConfigArgs []string
	// Home is the user's home directory, for the default CARGO_HOME.
	Home string
}

// Config is cargo's configuration as one cargo command would see it.
type Config struct {
	cwd       string
	home      string
	cargoHome string
	env       map[string]string

	// values is cargo's merged view of the discovered files and the
	// --config arguments (what `cargo config get` prints).
	values *value
	// creds holds the top-level tables of credentials.toml, each merged
	// over the same table of values; cargo reads a key here first.
	creds *value

	files           []string
	credentialsFile string
	warnings        []Warning
	clashes         []listClash
	credsErr        error

	// canonical memoises canonicalURL: RegistryByIndex compares an index
	// with every configured one, and runs once per registry while loading,
	// so a large configuration would parse the same URLs n² times.
	// Copies of the Config (withoutCredentials) share it.
	canonical *sync.Map // raw URL → canonicalResult
	// byIndex is computed once from values (see configuredIndexes).
	byIndex *indexTable
}

// indexTable maps canonical index URLs to the registries that have them.
type indexTable struct {
	once  sync.Once
	names map[string][]string
	err   error
}

type canonicalResult struct {
	url string
	err error
}

// canonicalURL is the package's canonicalURL, memoised for this Config.
func (c *Config) canonicalURL(raw string) (string, error) {
	if c.canonical == nil {
		return canonicalURL(raw)
	}
	if v, ok := c.canonical.Load(raw); ok {
		r := v.(canonicalResult)
		return r.url, r.err
	}
	u, err := canonicalURL(raw)
	c.canonical.Store(raw, canonicalResult{u, err})
	return u, err
}

// Load reads cargo's configuration as cargo would for a command run in
// opts.Cwd with opts.Environ and --config opts.ConfigArgs. It fails where
// cargo fails: malformed files, bad includes, --config arguments cargo
// refuses, and values that cannot be merged.
func Load(opts LoadOptions) (*Config, error) {
	if !filepath.IsAbs(opts.Cwd) {
		return nil, fmt.Errorf("working directory %q is not absolute", opts.Cwd)
	}
	c := &Config{cwd: filepath.Clean(opts.Cwd), home: opts.Home, env: parseEnviron(opts.Environ),
		canonical: new(sync.Map), byIndex: new(indexTable)}
	var err error
	if c.cargoHome, err = cargoHome(c.cwd, opts.Home, c.env); err != nil {
		return nil, err
	}
	c.values = newTable(Origin{Kind: OriginDefault})
	c.files = discoverFiles(c.cwd, c.cargoHome, c.warn)
	for _, path := range c.files {
		v, err := c.loadFile(path, map[string]bool{}, OriginFile)
		if err != nil {
			return nil, fmt.Errorf("could not load Cargo configuration: %w", err)
		}
		if err := c.values.merge(v, false, nil, &c.clashes); err != nil {
			return nil, fmt.Errorf("could not load Cargo configuration: failed to merge configuration at `%s`: %w", path, err)
		}
	}
	if err := c.mergeConfigArgs(opts.ConfigArgs); err != nil {
		return nil, err
	}
	// Cargo reads credentials only when a command needs a token, and
	// fails that command (not `cargo config get`) when they are broken.
	c.credsErr = c.loadCredentials()
	c.warnClashes()
	c.checkRegistries()
	return c, nil
}

func parseEnviron(environ []string) map[string]string {
	env := make(map[string]string, len(environ))
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok && k != "" {
			env[k] = v
		}
	}
	return env
}

func (c *Config) warn(w Warning) {
	if w.Origin.Kind == OriginFile || (w.Origin.Kind == OriginCLI && w.Origin.Path != "") {
		w.Origin.home = c.home
	}
	for _, old := range c.warnings {
		if old.Message == w.Message {
			return
		}
	}
	c.warnings = append(c.warnings, w)
}

// loadFile reads one configuration file and the files it includes. seen
// holds the paths already loaded for this discovered file, as written:
// cargo compares the joined paths without cleaning them, so including the
// same file twice (even from two different files) is a cycle.
func (c *Config) loadFile(path string, seen map[string]bool, kind OriginKind) (*value, error) {
	if seen[path] {
		return nil, fmt.Errorf("config `include` cycle detected with path `%s`", path)
	}
	seen[path] = true
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("failed to read configuration file `%s`: %w", path, unwrapPathError(err))
	}
	def := Origin{Kind: kind, Path: path}
	if kind == OriginFile || kind == OriginCLI {
		def.home = c.home
	}
	v, err := parseDocument(path, data, def)
	if err != nil {
		return nil, err
	}
	return c.loadIncludes(v, seen, kind)
}

func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// include is one entry of an `include` array.
type include struct {
	path     string
	def      Origin
	optional bool
}

// loadIncludes removes `include` from v and merges the files it names
// before v: included values lose to the including file's, later includes
// win over earlier ones, and list elements come in that order too.
func (c *Config) loadIncludes(v *value, seen map[string]bool, kind OriginKind) (*value, error) {
	includes, err := includePaths(v)
	if err != nil {
		return nil, err
	}
	if len(includes) == 0 {
		return v, nil
	}
	root := newTable(v.def)
	for _, inc := range includes {
		base := c.cwd
		if inc.def.Path != "" {
			base = parentDir(inc.def.Path)
		}
		abs := joinPath(base, inc.path)
		if inc.optional && !pathExists(abs) {
			continue
		}
		loaded, err := c.loadFile(abs, seen, kind)
		if err == nil {
			err = root.merge(loaded, true, nil, &c.clashes)
		}
		if err != nil {
			return nil, fmt.Errorf("failed to load config include `%s` from `%s`: %w", inc.path, inc.def.cargoString(), err)
		}
	}
	if err := root.merge(v, true, nil, &c.clashes); err != nil {
		return nil, err
	}
	return root, nil
}

// includePaths takes the `include` key out of a loaded file. Cargo 1.95
// accepts only an array whose entries are strings or `{path, optional}`
// tables, each ending in `.toml`; a bare string is an error.
func includePaths(v *value) ([]include, error) {
	raw, ok := v.table["include"]
	if !ok {
		return nil, nil
	}
	delete(v.table, "include")
	if raw.kind != kindList {
		return nil, fmt.Errorf("expected a list of strings or a list of tables, but found %s at `include` in `%s`",
			raw.kind.desc(), raw.def.cargoString())
	}
	var out []include
	for i, e := range raw.list {
		switch e.kind {
		case kindString:
			out = append(out, include{path: e.str, def: e.def})
		case kindTable:
			p, ok := e.table["path"]
			if !ok {
				return nil, fmt.Errorf("missing field `path` at `include[%d]` in `%s`", i, e.def.cargoString())
			}
			if p.kind != kindString {
				return nil, fmt.Errorf("expected a string, but found %s at `include[%d].path` in `%s`", p.kind.desc(), i, e.def.cargoString())
			}
			inc := include{path: p.str, def: e.def}
			if o, ok := e.table["optional"]; ok {
				if o.kind != kindBoolean {
					return nil, fmt.Errorf("expected a boolean, but found %s at `include[%d].optional` in `%s`", o.kind.desc(), i, e.def.cargoString())
				}
				inc.optional = o.flag
			}
			out = append(out, inc)
		default:
			return nil, fmt.Errorf("expected a string or table, but found %s at `include[%d]` in %s", e.kind.desc(), i, e.def.cargoString())
		}
	}
	for _, inc := range out {
		if !hasTOMLExtension(inc.path) {
			return nil, fmt.Errorf("expected a config include path ending with `.toml`, but found `%s` from `%s`", inc.path, inc.def.cargoString())
		}
	}
	return out, nil
}

// loadCredentials reads $CARGO_HOME/credentials.toml (or the legacy
// `credentials`) the way cargo's load_credentials does: a legacy top-level
// `token` becomes `registry.token` unless a `[registry]` table exists, and
// each top-level table is merged over the same table of the configuration,
// so credentials win over every configuration file.
func (c *Config) loadCredentials() error {
	path := filePath(c.cargoHome, "credentials", c.warn)
	if path == "" {
		return nil
	}
	v, err := c.loadFile(path, map[string]bool{}, OriginFile)
	if err != nil {
		return fmt.Errorf("could not load credentials: %w", err)
	}
	c.credentialsFile = path
	if tok, ok := v.table["token"]; ok {
		delete(v.table, "token")
		if _, ok := v.table["registry"]; !ok {
			reg := newTable(v.def)
			reg.table["token"] = tok
			v.table["registry"] = reg
		}
	}
	creds := newTable(v.def)
	keys := make([]string, 0, len(v.table))
	for k := range v.table {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		entry := v.table[k]
		if base, ok := c.values.table[k]; ok {
			merged := base.clone()
			if err := merged.merge(entry, true, nil, nil); err != nil { // cargo starts this merge with an empty key path
				return fmt.Errorf("merging %s into the configuration: %w", path, err)
			}
			entry = merged
		}
		creds.table[k] = entry
	}
	c.creds = creds
	return nil
}

// withoutCredentials is the view cargo has before it reads credentials.toml:
// it resolves --registry names and [source] replacement before that.
func (c *Config) withoutCredentials() *Config {
	v := *c
	v.creds = nil
	return &v
}

// CredentialsError is the error cargo reports, in any command that needs a
// token, when credentials.toml cannot be read or merged; nil when it can.
func (c *Config) CredentialsError() error { return c.credsErr }

// CargoHome is the CARGO_HOME cargo uses.
func (c *Config) CargoHome() string { return c.cargoHome }

// Cwd is the directory the configuration was discovered from.
func (c *Config) Cwd() string { return c.cwd }

// Files are the discovered configuration files, deepest first (included
// files not listed). Deeper files win over outer ones.
func (c *Config) Files() []string { return append([]string(nil), c.files...) }

// CredentialsFile is the credentials file cargo reads, or "" when there is
// none.
func (c *Config) CredentialsFile() string { return c.credentialsFile }

// Warnings are the things cargo warns about for this configuration, each
// with its origin: legacy files, tokens ignored by the provider list, aliases
// that shadow built-in providers, registry names that collide.
func (c *Config) Warnings() []Warning { return append([]Warning(nil), c.warnings...) }

// warnClashes turns the array clashes met while merging into warnings: cargo
// may concatenate those arrays instead of keeping one (see listClash).
func (c *Config) warnClashes() {
	for _, cl := range c.clashes {
		c.warn(Warning{
			Kind: WarnUnstableMerge,
			Message: fmt.Sprintf("`%s` is an array in %s and in %s: cargo 1.95 sometimes joins the two arrays instead of using one (define it in one place, or as a string)",
				displayKey(cl.key), cl.kept, cl.other),
			Origin: cl.other,
		})
	}
}
