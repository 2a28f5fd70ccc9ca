package auth

import (
	"context"
	"errors"
	"os/exec"
	"sort"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/cargo-auth/cargo-auth/cargoconfig"
	"github.com/cargo-auth/cargo-auth/credentials"
)

// statusOptions are everything `cargo auth status` needs, parsed from flags
// and environment by newStatusCommand; tests build them directly.
type statusOptions struct {
	Factory *Factory

	// Registries narrows the report to these names; empty means every
	// registry cargo's configuration defines.
	Registries []string
	ConfigArgs []string
	Backend    string

	JSON bool
	// Offline skips the live check: no request leaves the machine.
	Offline bool
	// ShowToken prints the token values instead of masks.
	ShowToken bool
	// RunProviders runs external providers and cargo:token-from-stdout
	// the way cargo would, instead of only naming them.
	RunProviders bool
	// Timeout bounds each registry's live check and each provider run.
	Timeout time.Duration

	// The machine, swappable in tests: cargo:libsecret's items, whether
	// libsecret can be loaded at all, and PATH lookups.
	libsecretToken    func(ctx context.Context, indexURL string) (credentials.Candidate, error)
	libsecretLoadable func() bool
	lookPath          func(file string) (string, error)
	gitTracked        func(path string) bool
	goos              string
}

const defaultStatusTimeout = 10 * time.Second

func newStatusCommand(f *Factory, runF func(context.Context, *statusOptions) error) *cli.Command {
	return &cli.Command{
		Name:      "status",
		Usage:     "show, for every registry, which token cargo will use and whether it works",
		ArgsUsage: "[NAME]...",
		Description: "For every registry cargo's configuration defines (crates.io too when it has credentials\n" +
			"or a replacement): where it is defined, the credential providers cargo will try in cargo's\n" +
			"order and which one answers, the token it gets (masked), the environment variables cargo\n" +
			"reads, and a live check of config.json without and with that token, run for all registries\n" +
			"in parallel. Problems come with a stable id and a one-line fix (docs/status.md).\n\n" +
			"Exit status: 0 every registry shown is usable, 4 at least one is not, 1 error, 2 usage.",
		Flags: []cli.Flag{
			&cli.StringSliceFlag{Name: "registry", Aliases: []string{"r"}, Usage: "show only registry `NAME` (repeatable; names may also be given as arguments)"},
			jsonFlag(),
			&cli.BoolFlag{Name: "offline", Usage: "skip the live check: nothing is sent to any registry", EnvVars: []string{"CARGO_AUTH_STATUS_OFFLINE"}},
			&cli.BoolFlag{Name: "show-token", Usage: "print the tokens instead of masking them"},
			&cli.BoolFlag{Name: "run-providers", Usage: "run external credential providers and cargo:token-from-stdout as cargo would (otherwise they are only named)", EnvVars: []string{"CARGO_AUTH_STATUS_RUN_PROVIDERS"}},
			&cli.DurationFlag{Name: "timeout", Value: defaultStatusTimeout, Usage: "time limit for each registry's live check and each provider run (a `DURATION` such as 5s)", EnvVars: []string{"CARGO_AUTH_STATUS_TIMEOUT"}},
			configFlag(),
			backendFlag(),
		},
		Action: func(c *cli.Context) error {
			opts := &statusOptions{
				Factory:      f,
				Registries:   append(append([]string{}, c.StringSlice("registry")...), c.Args().Slice()...),
				ConfigArgs:   c.StringSlice("config"),
				Backend:      c.String("backend"),
				JSON:         c.Bool("json"),
				Offline:      c.Bool("offline"),
				ShowToken:    c.Bool("show-token"),
				RunProviders: c.Bool("run-providers"),
				Timeout:      c.Duration("timeout"),
			}
			if runF != nil {
				return runF(c.Context, opts)
			}
			return statusRun(c.Context, opts)
		},
	}
}

// validate checks the options that do not need the configuration and fills
// in the machine's defaults.
func (o *statusOptions) validate() error {
	if o.Timeout <= 0 {
		return usageErrorf("--timeout must be positive")
	}
	for _, name := range o.Registries {
		if strings.TrimSpace(name) == "" {
			return usageErrorf("--registry needs a name")
		}
		if looksLikeIndexURL(name) {
			return usageErrorf("status takes registry names, not index URLs: %s", redactArg(name))
		}
	}
	f := o.Factory
	if o.libsecretToken == nil {
		o.libsecretToken = func(ctx context.Context, indexURL string) (credentials.Candidate, error) {
			opts := StoreOptions(f, "")
			opts.Timeout = o.Timeout
			return credentials.LibsecretToken(ctx, opts, indexURL)
		}
	}
	if o.libsecretLoadable == nil {
		o.libsecretLoadable = libsecretLoadable
	}
	if o.lookPath == nil {
		o.lookPath = func(file string) (string, error) { return lookPathIn(f.Getenv("PATH"), file) }
	}
	if o.gitTracked == nil {
		o.gitTracked = func(path string) bool { return path != "" && gitTracked(context.Background(), path) }
	}
	if o.goos == "" {
		o.goos = hostOS
	}
	return nil
}

// statusRun builds the report for the chosen registries, prints it, and
// returns ExitAuth when one of them is not usable.
func statusRun(ctx context.Context, opts *statusOptions) error {
	if err := opts.validate(); err != nil {
		return err
	}
	f := opts.Factory
	cfg, err := f.CargoConfig(opts.ConfigArgs)
	if err != nil {
		return err
	}
	regs, err := selectStatusRegistries(cfg, opts.Registries)
	if err != nil {
		return err
	}
	report, err := buildStatusReport(ctx, opts, cfg, regs)
	if err != nil {
		return err
	}
	if ctx.Err() != nil {
		return errors.New("status interrupted: no report")
	}
	if opts.JSON {
		err = writeStatusJSON(f.Stdout, report)
	} else {
		writeStatusText(newUI(f), report)
	}
	if err != nil {
		return err
	}
	if report.Summary.Unusable > 0 {
		return withExitCode(ExitAuth, nil)
	}
	return nil
}

// selectStatusRegistries lists the registries to report on: the named ones
// (each must be known to cargo), or every registry with an index plus
// crates.io when anything is configured for it.
func selectStatusRegistries(cfg *cargoconfig.Config, names []string) ([]*cargoconfig.Registry, error) {
	if len(names) > 0 {
		seen := map[string]bool{}
		var out []*cargoconfig.Registry
		for _, name := range names {
			if seen[name] {
				continue
			}
			seen[name] = true
			reg, ok := cfg.Registry(name)
			if !ok || (reg.Index.Value == "" && name != cargoconfig.CratesIO) {
				return nil, unknownRegistryError(cfg, name)
			}
			out = append(out, reg)
		}
		return out, nil
	}
	var out []*cargoconfig.Registry
	for _, reg := range cfg.Registries() {
		if reg.Name == cargoconfig.CratesIO || reg.Index.Value == "" {
			continue
		}
		out = append(out, reg)
	}
	if crates, ok := cfg.Registry(cargoconfig.CratesIO); ok && cratesIOConfigured(cfg, crates) {
		out = append(out, crates)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// cratesIOConfigured reports whether crates.io has anything worth a block:
// a token, its own provider, or a source replacement.
func cratesIOConfigured(cfg *cargoconfig.Config, reg *cargoconfig.Registry) bool {
	if len(reg.Tokens) > 0 || reg.CredentialProvider != nil {
		return true
	}
	chain, err := cfg.ReplacementOf(cargoconfig.CratesIO)
	return err != nil || len(chain) > 1
}

// lookPathIn is exec.LookPath over a given PATH value, so the lookup sees
// the environment cargo would run with.
func lookPathIn(pathList, file string) (string, error) {
	if strings.Contains(file, "/") {
		return exec.LookPath(file)
	}
	for _, dir := range strings.Split(pathList, ":") {
		if dir == "" {
			dir = "."
		}
		if p, err := exec.LookPath(dir + "/" + file); err == nil {
			return p, nil
		}
	}
	return "", exec.ErrNotFound
}
