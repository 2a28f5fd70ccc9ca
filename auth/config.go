package auth

import (
	"errors"
	"fmt"
	"runtime"
	"sort"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/cargo-auth/cargo-auth/cargoconfig"
	"github.com/cargo-auth/cargo-auth/internal/redact"
)

// configFlag is cargo's own --config option, so that a command sees the
// configuration exactly as `cargo --config ...` would.
func configFlag() cli.Flag {
	return &cli.StringSliceFlag{
		Name:  "config",
		Usage: "add a configuration layer like cargo's --config `KEY=VALUE|FILE` (repeatable)",
	}
}

// backendFlag chooses the keyring backend.
func backendFlag() cli.Flag {
	return &cli.StringFlag{
		Name:    "backend",
		Usage:   "keyring `BACKEND` to use (see cargo auth backends); default: the best that works here",
		EnvVars: []string{"CARGO_AUTH_BACKEND"},
	}
}

// jsonFlag asks for the machine-readable output.
func jsonFlag() cli.Flag {
	return &cli.BoolFlag{Name: "json", Usage: "print JSON (schema documented in docs/)"}
}

// indexFlag names a registry by its index URL, for registries that cargo's
// configuration does not name.
func indexFlag() cli.Flag {
	return &cli.StringFlag{Name: "index", Usage: "the registry's index `URL`, for a registry cargo's configuration does not name"}
}

// registryArg reads the registry a one-registry command acts on: at most
// one NAME or INDEX-URL argument, or --index, not both.
func registryArg(c *cli.Context) (string, error) {
	if c.NArg() > 1 {
		return "", usageErrorf("%s takes at most one registry, got %d arguments", c.Command.Name, c.NArg())
	}
	registry := c.Args().First()
	if index := c.String("index"); index != "" {
		if registry != "" {
			return "", usageErrorf("give the registry as a name or with --index, not both")
		}
		registry = index
	}
	return registry, nil
}

// CargoConfig loads cargo's configuration as a cargo command run in the
// current directory with this environment and these --config layers would.
func (f *Factory) CargoConfig(configArgs []string) (*cargoconfig.Config, error) {
	cwd, err := f.Getwd()
	if err != nil {
		return nil, fmt.Errorf("finding the current directory: %w", err)
	}
	home := f.Getenv("HOME")
	if runtime.GOOS == "windows" {
		home = f.Getenv("USERPROFILE")
	}
	cfg, err := cargoconfig.Load(cargoconfig.LoadOptions{
		Cwd:        cwd,
		Environ:    f.Environ(),
		ConfigArgs: configArgs,
		Home:       home,
	})
	if err != nil {
		return nil, fmt.Errorf("reading cargo's configuration: %w", err)
	}
	return cfg, nil
}

// registryTarget is the registry a command acts on.
type registryTarget struct {
	// Name is the registry's name in cargo's configuration, "" for an
	// index URL that no configured registry has.
	Name string
	// IndexURL is the index URL as cargo sends it to providers.
	IndexURL string
	// Registry is the configuration's view, nil for an unnamed URL.
	Registry *cargoconfig.Registry
}

// Label names the target for messages: the name, else the redacted URL.
func (t registryTarget) Label() string {
	if t.Name != "" {
		return t.Name
	}
	return redact.URL(t.IndexURL)
}

// looksLikeIndexURL tells an index URL from a registry name.
func looksLikeIndexURL(arg string) bool {
	return strings.Contains(arg, "://")
}

// resolveRegistry finds the registry a command argument means: a name from
// cargo's configuration, an index URL, or (when empty) registry.default or
// the only configured registry.
func resolveRegistry(cfg *cargoconfig.Config, arg string) (registryTarget, error) {
	if looksLikeIndexURL(arg) {
		name, err := cfg.RegistryByIndex(arg)
		if err != nil {
			return registryTarget{}, err
		}
		t := registryTarget{Name: name, IndexURL: arg}
		if name != "" {
			t.Registry, _ = cfg.Registry(name)
		}
		return t, nil
	}
	if arg == "" {
		var err error
		if arg, err = defaultRegistryName(cfg); err != nil {
			return registryTarget{}, err
		}
	}
	reg, ok := cfg.Registry(arg)
	if !ok {
		return registryTarget{}, unknownRegistryError(cfg, arg)
	}
	index, err := cfg.RegistryIndex(arg)
	if err != nil {
		return registryTarget{}, err
	}
	if index.Value == "" {
		return registryTarget{}, withExitCode(ExitUsage, withHint(
			fmt.Errorf("registry %q has no index URL in cargo's configuration", arg),
			fmt.Sprintf("set [registries.%s] index in .cargo/config.toml or %s", arg, cargoconfig.EnvPrefix(arg)+"_INDEX")))
	}
	return registryTarget{Name: arg, IndexURL: index.Value, Registry: reg}, nil
}

func defaultRegistryName(cfg *cargoconfig.Config) (string, error) {
	if def, ok, err := cfg.DefaultRegistry(); err != nil {
		return "", err
	} else if ok && def.Value != "" {
		return def.Value, nil
	}
	names := registryNames(cfg)
	if len(names) == 1 {
		return names[0], nil
	}
	if len(names) == 0 {
		return "", withExitCode(ExitUsage, withHint(errors.New("no registry is configured for cargo"),
			"name one with --index URL, or add [registries.NAME] index = \"...\" to .cargo/config.toml"))
	}
	return "", withExitCode(ExitUsage, withHint(errors.New("which registry? several are configured"),
		"name one of: "+strings.Join(names, ", ")))
}

func unknownRegistryError(cfg *cargoconfig.Config, name string) error {
	err := fmt.Errorf("unknown registry %q: cargo's configuration does not define it", redactArg(name))
	hint := fmt.Sprintf("define it with [registries.%s] index = \"...\" or %s_INDEX", redactArg(name), cargoconfig.EnvPrefix(redactArg(name)))
	if names := registryNames(cfg); len(names) > 0 {
		hint = "configured registries: " + strings.Join(names, ", ")
	}
	return withExitCode(ExitUsage, withHint(err, hint))
}

// registryNames lists the configured registries that have an index.
func registryNames(cfg *cargoconfig.Config) []string {
	var names []string
	for _, r := range cfg.Registries() {
		if r.Index.Value != "" && r.Name != cargoconfig.CratesIO {
			names = append(names, r.Name)
		}
	}
	sort.Strings(names)
	return names
}
