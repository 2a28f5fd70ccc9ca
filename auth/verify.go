package auth

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/cargo-auth/cargo-auth/credentials"
)

// verifyOptions are everything `cargo auth verify` needs, parsed from flags
// and environment by newVerifyCommand; tests build them directly.
type verifyOptions struct {
	Factory *Factory

	// Registry is a registry name or an index URL; "" is cargo's default
	// registry (or the only one configured).
	Registry   string
	ConfigArgs []string
	Backend    string

	// TokenStdin reads the token from the first line of stdin, TokenFile
	// from the first line of a file; Scheme says how to send it when it is
	// not a full header value ("" for raw).
	TokenStdin bool
	TokenFile  string
	Scheme     string

	// Crates are NAME[@VERSION] known to exist; CratesFrom a Cargo.lock.
	Crates     []string
	CratesFrom string

	Jobs    int
	Timeout time.Duration
	RPS     float64
	Format  string
	// TrustOrigins are origins (scheme://host[:port]) trusted like the
	// index's own with the token: a CDN for downloads, an API host.
	TrustOrigins []string

	// ProgressDelay is how long an audit runs before a progress bar shows
	// (long audits only).
	ProgressDelay time.Duration
	// GitCommand is the git executable used to read a git index.
	GitCommand string
	// SearchBudget bounds the search queries crate discovery may send.
	SearchBudget int
}

// The report formats of --format.
const (
	formatText  = "text"
	formatJSON  = "json"
	formatSARIF = "sarif"
	formatJUnit = "junit"
)

const (
	defaultVerifyJobs    = 8
	defaultVerifyTimeout = 30 * time.Second
	defaultProgressDelay = time.Second
	defaultSearchBudget  = 2000
)

func newVerifyCommand(f *Factory, runF func(context.Context, *verifyOptions) error) *cli.Command {
	return &cli.Command{
		Name:      "verify",
		Usage:     "prove that a registry requires authentication on every endpoint",
		ArgsUsage: "[NAME | INDEX-URL]",
		Description: "Audits a private registry: config.json, index files, downloads, the web API and\n" +
			"the git transport are each probed without a credential, with a bogus token and with\n" +
			"the real token sent exactly as cargo sends it. Mutating endpoints are probed only with\n" +
			"crates that do not exist and invalid bodies: the registry is never changed.\n\n" +
			"The token comes from --token-stdin or --token-file, else cargo-auth's store, else cargo's configuration\n" +
			"(CARGO_REGISTRIES_<NAME>_TOKEN, credentials.toml); without one only the anonymous and\n" +
			"bogus-token checks run. Exit status: 0 no check failed, 3 a check failed, 1 error,\n" +
			"2 usage. Every check is described in docs/verify.md.",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "token-stdin", Usage: "read the token from the first line of stdin (typed without echo on a terminal)"},
			&cli.StringFlag{Name: "token-file", Usage: "read the token from the first line of `FILE`"},
			&cli.StringFlag{Name: "scheme", Usage: "send a stdin token as `raw|bearer|basic` (basic takes USER:SECRET; a full header value like \"Bearer ...\" is sent as is)"},
			&cli.StringSliceFlag{Name: "crate", Usage: "a crate known to exist (repeatable): `NAME[@VERSION]`"},
			&cli.StringFlag{Name: "crates-from", Usage: "take the crates of this registry from a Cargo.lock `FILE`"},
			&cli.IntFlag{Name: "jobs", Value: defaultVerifyJobs, Usage: "at most `N` requests in flight at once", EnvVars: []string{"CARGO_AUTH_VERIFY_JOBS"}},
			&cli.DurationFlag{Name: "timeout", Value: defaultVerifyTimeout, Usage: "time limit for each request, body included (a `DURATION` such as 10s)", EnvVars: []string{"CARGO_AUTH_VERIFY_TIMEOUT"}},
			&cli.Float64Flag{Name: "rps", Usage: "start at most `N` requests per second (0: no limit)", EnvVars: []string{"CARGO_AUTH_VERIFY_RPS"}},
			&cli.StringFlag{Name: "format", Value: formatText, Usage: "print the report as `text|json|sarif|junit`", EnvVars: []string{"CARGO_AUTH_VERIFY_FORMAT"}},
			&cli.BoolFlag{Name: "json", Usage: "same as --format json"},
			&cli.StringSliceFlag{Name: "trust-origin", Usage: "treat `ORIGIN` (https://host[:port]) like the index's own: verify sends it the token and does not flag dl, api or redirects there (repeatable)"},
			configFlag(),
			backendFlag(),
		},
		Action: func(c *cli.Context) error {
			if c.NArg() > 1 {
				return usageErrorf("verify takes at most one registry, got %d arguments", c.NArg())
			}
			opts := &verifyOptions{
				Factory:       f,
				Registry:      c.Args().First(),
				ConfigArgs:    c.StringSlice("config"),
				Backend:       c.String("backend"),
				TokenStdin:    c.Bool("token-stdin"),
				TokenFile:     c.String("token-file"),
				Scheme:        c.String("scheme"),
				Crates:        c.StringSlice("crate"),
				CratesFrom:    c.String("crates-from"),
				Jobs:          c.Int("jobs"),
				Timeout:       c.Duration("timeout"),
				RPS:           c.Float64("rps"),
				Format:        c.String("format"),
				TrustOrigins:  c.StringSlice("trust-origin"),
				ProgressDelay: defaultProgressDelay,
				GitCommand:    "git",
				SearchBudget:  defaultSearchBudget,
			}
			if c.Bool("json") {
				if c.IsSet("format") && opts.Format != formatJSON {
					return usageErrorf("--json conflicts with --format %s", opts.Format)
				}
				opts.Format = formatJSON
			}
			if runF != nil {
				return runF(c.Context, opts)
			}
			return verifyRun(c.Context, opts)
		},
	}
}

// validate checks the options that do not need the configuration.
func (o *verifyOptions) validate() error {
	switch o.Format {
	case formatText, formatJSON, formatSARIF, formatJUnit:
	default:
		return usageErrorf("unknown format %q (want text, json, sarif or junit)", o.Format)
	}
	if o.Jobs < 1 {
		return usageErrorf("--jobs must be at least 1")
	}
	if o.Timeout <= 0 {
		return usageErrorf("--timeout must be positive")
	}
	if o.RPS < 0 {
		return usageErrorf("--rps must not be negative")
	}
	if o.TokenStdin && o.TokenFile != "" {
		return usageErrorf("--token-stdin and --token-file cannot be combined")
	}
	if o.Scheme != "" && !o.TokenStdin && o.TokenFile == "" {
		return usageErrorf("--scheme applies to a token read with --token-stdin or --token-file")
	}
	if _, err := credentials.ParseScheme(o.Scheme); err != nil {
		return usageErrorf("--scheme: %v", err)
	}
	if len(o.Crates) > 0 && o.CratesFrom != "" {
		return usageErrorf("--crate and --crates-from cannot be combined")
	}
	if o.SearchBudget <= 0 {
		o.SearchBudget = defaultSearchBudget
	}
	if o.GitCommand == "" {
		o.GitCommand = "git"
	}
	return nil
}

// verifyRun audits one registry and prints the report.
func verifyRun(ctx context.Context, opts *verifyOptions) error {
	if err := opts.validate(); err != nil {
		return err
	}
	f := opts.Factory
	trusted, err := parseTrustedOrigins(opts.TrustOrigins)
	if err != nil {
		return err
	}
	specs, err := parseCrateSpecs(opts.Crates)
	if err != nil {
		return err
	}
	cfg, err := f.CargoConfig(opts.ConfigArgs)
	if err != nil {
		return err
	}
	target, err := resolveVerifyTarget(cfg, opts.Registry)
	if err != nil {
		return err
	}
	if opts.CratesFrom != "" {
		if specs, err = cratesFromLockfile(opts.CratesFrom, target); err != nil {
			return err
		}
	}
	token, err := loadVerifyToken(ctx, opts, cfg, target)
	if err != nil {
		return err
	}
	caInfo := ""
	if v, ok, err := cfg.HTTPCAInfo(); err != nil {
		return err
	} else if ok {
		caInfo = v.Value
	}
	client, err := newRegistryClient(f, clientOptions{
		Timeout:         opts.Timeout,
		CAInfo:          caInfo,
		RPS:             opts.RPS,
		MaxConnsPerHost: opts.Jobs,
	})
	if err != nil {
		return err
	}
	a := newAudit(opts, client, target, token, specs, trusted)
	a.caInfo = caInfo
	stop := startProgress(ctx, f, a, opts.ProgressDelay)
	report, err := a.run(ctx)
	stop()
	if err != nil {
		return err
	}
	if ctx.Err() != nil {
		// A partial audit would report the checks it never finished as
		// failures or passes it did not prove.
		return fmt.Errorf("verify interrupted after %d requests: no report", report.Summary.Requests)
	}
	if err := writeReport(f, opts.Format, report); err != nil {
		return fmt.Errorf("writing the report: %w", err)
	}
	if report.Summary.Fail > 0 {
		return withExitCode(ExitFindings, nil)
	}
	return nil
}

// parseTrustedOrigins turns --trust-origin values into origins.
func parseTrustedOrigins(values []string) (map[string]bool, error) {
	trusted := map[string]bool{}
	for _, v := range values {
		origin, err := originOf(strings.TrimSpace(v))
		if err != nil || origin == "" {
			return nil, usageErrorf("--trust-origin %q: want an origin such as https://cdn.example.com", redactArg(v))
		}
		trusted[origin] = true
	}
	return trusted, nil
}
