package registrytest

import (
	"time"
)

// Option configures a Registry at start.
type Option func(*config)

type config struct {
	tls         bool
	tokens      []string
	schemes     []Scheme
	anonymous   map[Class]bool
	git         bool
	pathToken   bool
	switches    []Switch
	crates      []Crate
	dir         string
	logf        func(format string, args ...any)
	loginURL    string
	dlTemplate  string
	slowHeaders time.Duration
	trickle     time.Duration
	hostile     []Class
	maxBody     int64
}

func defaultConfig() config {
	return config{
		schemes:     []Scheme{SchemeRaw},
		anonymous:   map[Class]bool{},
		dlTemplate:  "/api/v1/crates/{crate}/{version}/download",
		slowHeaders: 30 * time.Second,
		trickle:     100 * time.Millisecond,
		maxBody:     16 << 20,
	}
}

// WithTLS serves https with a test CA generated at start; CAFile names the
// CA's PEM file for CARGO_HTTP_CAINFO. Without it the registry is plain
// http. The plain-http listener stays plain either way.
func WithTLS() Option { return func(c *config) { c.tls = true } }

// WithTokens sets the tokens the registry accepts, replacing the one random
// token (with the leak guard's prefix) it makes by default. Token returns
// the first.
func WithTokens(tokens ...string) Option {
	return func(c *config) { c.tokens = append([]string(nil), tokens...) }
}

// WithSchemes sets the Authorization forms the registry accepts on the
// sparse index, downloads and the API (default SchemeRaw, what cargo sends
// for a token stored without a scheme). Git always takes Basic.
func WithSchemes(schemes ...Scheme) Option {
	return func(c *config) { c.schemes = append([]Scheme(nil), schemes...) }
}

// WithAnonymous lets anonymous requests through on the given classes by
// design (a public index, public downloads), unlike the open-* switches
// which model a private registry that forgot to protect them:
// config.json's auth-required is true only while config.json, index files or
// downloads are protected. API calls that change things always need a token.
func WithAnonymous(classes ...Class) Option {
	return func(c *config) {
		for _, class := range classes {
			c.anonymous[class] = true
		}
	}
}

// WithGitIndex also serves the index as a git repository through the real
// git http-backend at GitIndexURL. It needs git on PATH.
func WithGitIndex() Option { return func(c *config) { c.git = true } }

// WithPathToken also serves every endpoint under /<token>/ (the Cloudsmith
// entitlement style): the path segment is the credential, config.json
// fetched that way embeds it in dl and leaves out auth-required, and so does
// the git index's config.json.
func WithPathToken() Option { return func(c *config) { c.pathToken = true } }

// WithSwitches turns misbehaviour switches on from the start.
func WithSwitches(switches ...Switch) Option {
	return func(c *config) { c.switches = append(c.switches, switches...) }
}

// WithCrates publishes crates at start, in order (dependencies first).
func WithCrates(crates ...Crate) Option {
	return func(c *config) { c.crates = append(c.crates, crates...) }
}

// WithDir keeps the registry's files (CA, git repository) in dir instead of
// a fresh temporary directory removed by Close. In path-token mode the git
// index there holds the token.
func WithDir(dir string) Option { return func(c *config) { c.dir = dir } }

// WithLogf logs one line per request (path tokens redacted, credentials
// described, never shown).
func WithLogf(logf func(format string, args ...any)) Option {
	return func(c *config) { c.logf = logf }
}

// WithLoginURL sets the login_url of the Cargo challenge (default <base>/me).
func WithLoginURL(url string) Option { return func(c *config) { c.loginURL = url } }

// WithDLTemplate sets dl's path after the origin, with the book's markers
// ({crate}, {version}, {prefix}, {lowerprefix}, {sha256-checksum}); the
// registry serves downloads wherever the expanded template points.
func WithDLTemplate(pathTemplate string) Option {
	return func(c *config) { c.dlTemplate = pathTemplate }
}

// WithSlowHeaders sets how long slow-headers waits (default 30s).
func WithSlowHeaders(d time.Duration) Option { return func(c *config) { c.slowHeaders = d } }

// WithTrickle sets slow-body's pause between bytes (default 100ms).
func WithTrickle(d time.Duration) Option { return func(c *config) { c.trickle = d } }

// WithHostileClasses limits the hostile switches to the given classes.
func WithHostileClasses(classes ...Class) Option {
	return func(c *config) { c.hostile = append([]Class(nil), classes...) }
}

// WithMaxBody bounds request bodies (default 16 MiB).
func WithMaxBody(n int64) Option { return func(c *config) { c.maxBody = n } }
