package auth

import (
	"context"
	"fmt"
	"slices"

	"github.com/urfave/cli/v2"

	"github.com/cargo-auth/cargo-auth/cargoconfig"
	"github.com/cargo-auth/cargo-auth/credentials"
)

// importOptions are what `cargo auth import` needs.
type importOptions struct {
	Factory *Factory

	// Registries limits the import to these names ("" for all).
	Registries []string
	ConfigArgs []string
	Backend    string
	// DryRun lists what would move; Keep copies instead of moving;
	// Replace overwrites a different token already stored.
	DryRun      bool
	Keep        bool
	Replace     bool
	NoConfigure bool
}

func newImportCommand(f *Factory, runF func(context.Context, *importOptions) error) *cli.Command {
	return &cli.Command{
		Name:      "import",
		Usage:     "move plaintext tokens from cargo's own stores into the keyring",
		ArgsUsage: "[NAME...]",
		Description: "Finds the tokens cargo keeps in plain text ($CARGO_HOME/credentials.toml, [registries.NAME]\n" +
			"token in configuration files) and in cargo:libsecret's keyring items, stores each in\n" +
			"cargo-auth's keyring, reads it back, and only then removes it from where it was. Then it\n" +
			"makes cargo ask cargo-auth for those registries (unless --no-configure). Tokens are shown\n" +
			"masked. Exit status: 0 done (or nothing to do), 1 a token could not be moved, 2 usage.",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "dry-run", Usage: "list what would move and change nothing"},
			&cli.BoolFlag{Name: "keep", Usage: "copy the tokens, leaving them where they are"},
			&cli.BoolFlag{Name: "replace", Usage: "overwrite a different token already in cargo-auth's keyring"},
			&cli.BoolFlag{Name: "no-configure", Usage: "leave cargo's provider configuration alone"},
			configFlag(),
			backendFlag(),
		},
		Action: func(c *cli.Context) error {
			opts := &importOptions{
				Factory:     f,
				Registries:  c.Args().Slice(),
				ConfigArgs:  c.StringSlice("config"),
				Backend:     c.String("backend"),
				DryRun:      c.Bool("dry-run"),
				Keep:        c.Bool("keep"),
				Replace:     c.Bool("replace"),
				NoConfigure: c.Bool("no-configure"),
			}
			if runF != nil {
				return runF(c.Context, opts)
			}
			return importRun(c.Context, opts)
		},
	}
}

// importItem is one token found, with the registry it belongs to.
type importItem struct {
	credentials.Candidate
	target registryTarget
	// problem says why it cannot be imported ("" when it can).
	problem string
}

func importRun(ctx context.Context, opts *importOptions) error {
	f := opts.Factory
	disablePromptsIfAsked(f)
	u := newUI(f)
	cfg, err := f.CargoConfig(opts.ConfigArgs)
	if err != nil {
		return err
	}
	for _, name := range opts.Registries {
		if _, ok := cfg.Registry(name); !ok {
			return unknownRegistryError(cfg, name)
		}
	}
	store, err := f.openStore(ctx, opts.Backend)
	if err != nil {
		return withHint(fmt.Errorf("opening the keyring: %w", err), "nothing was moved; cargo auth backends shows which backends work here")
	}
	storeOpts := StoreOptions(f, opts.Backend)
	items, unchecked, err := findImportItems(ctx, cfg, storeOpts, opts.Registries)
	if err != nil {
		return err
	}
	for _, line := range unchecked {
		u.Warnf("note: not checked: %s", line)
	}
	for _, r := range cfg.Registries() {
		if len(opts.Registries) > 0 && !slices.Contains(opts.Registries, r.Name) {
			continue
		}
		for _, t := range r.Tokens {
			if t.Origin.Kind == cargoconfig.OriginEnv {
				u.Warnf("note: %s holds a token for %s: the environment cannot be imported; pipe it to cargo auth login %s", t.Origin, r.Name, r.Name)
			}
		}
	}
	if len(items) == 0 {
		u.Printf("%s no plaintext tokens found\n", u.mark("skip"))
		return nil
	}

	verb := "moved"
	if opts.Keep {
		verb = "copied"
	}
	imported := map[string]string{} // canonical key → Authorization imported in this run
	var configure []registryTarget
	failed := 0
	for _, it := range items {
		where := it.Where()
		label := it.target.Label()
		if label == "" {
			label = it.Registry
		}
		if it.problem != "" {
			u.Printf("%s %s: %s at %s: %s\n", u.mark("skip"), label, it.Masked(), where, it.problem)
			continue
		}
		key, _ := credentials.Key(it.target.IndexURL)
		if prev, ok := imported[key]; ok && prev != it.Token.Authorization() {
			u.Printf("%s %s: %s at %s: left there, it differs from the token cargo uses (imported above)\n", u.mark("skip"), label, it.Masked(), where)
			continue
		}
		if opts.DryRun {
			u.Printf("%s %s: would be %s from %s into %s (%s)\n", u.mark("skip"), label, verb, where, store.Backend(), it.Masked())
			imported[key] = it.Token.Authorization()
			continue
		}
		err := credentials.Import(ctx, store, it.Candidate, credentials.ImportOptions{
			IndexURL: it.target.IndexURL,
			Replace:  opts.Replace,
			Keep:     opts.Keep,
			Options:  storeOpts,
		})
		if err != nil {
			failed++
			u.Printf("%s %s: %s\n", u.mark("fail"), label, err)
			continue
		}
		imported[key] = it.Token.Authorization()
		u.Printf("%s %s: %s %s from %s into %s\n", u.mark("ok"), label, verb, it.Masked(), where, store.Backend())
		if !slices.ContainsFunc(configure, func(t registryTarget) bool { return t.IndexURL == it.target.IndexURL }) {
			configure = append(configure, it.target)
		}
	}
	if !opts.NoConfigure && !opts.DryRun {
		for _, target := range configure {
			res, err := configureProvider(f, cfg, target, configureOptions{StoredIn: store.Backend(), ConfigArgs: opts.ConfigArgs})
			if err != nil {
				failed++
				u.Warnf("%s", flattenHints(err))
				continue
			}
			reportConfigure(u, res, target.Label())
			if next, err := f.CargoConfig(opts.ConfigArgs); err == nil {
				cfg = next // the next check sees this edit
			}
		}
	}
	if failed > 0 {
		return withExitCode(ExitError, fmt.Errorf("%d of %d tokens could not be imported or configured (see above)", failed, len(items)))
	}
	return nil
}

// findImportItems lists the tokens in cargo's stores, in the order cargo
// prefers them (credentials.toml, then configuration files deepest first,
// then cargo:libsecret), each with its registry.
func findImportItems(ctx context.Context, cfg *cargoconfig.Config, storeOpts credentials.Options, names []string) ([]importItem, []string, error) {
	scan, err := credentials.ImportCandidates(ctx, cfg.CargoHome(), storeOpts)
	if err != nil {
		return nil, nil, err
	}
	var files, libsecret []credentials.Candidate
	for _, c := range scan.Candidates {
		if c.Kind == credentials.SourceLibsecret {
			libsecret = append(libsecret, c)
		} else {
			files = append(files, c)
		}
	}
	unchecked := scan.Unchecked
	for _, path := range cfg.Files() {
		found, unusable, err := credentials.ReadCredentialsFile(path)
		if err != nil {
			return nil, nil, err
		}
		files = append(files, found...)
		unchecked = append(unchecked, unusable...)
	}
	var items []importItem
	for _, c := range append(files, libsecret...) {
		it := importItem{Candidate: c}
		if c.Kind == credentials.SourceLibsecret {
			it.target = registryTarget{IndexURL: c.IndexURL}
			if name, err := cfg.RegistryByIndex(c.IndexURL); err == nil && name != "" {
				it.target.Name = name
			}
			if it.target.Name == "" {
				it.target.Name = c.Registry
			}
		} else {
			it.target.Name = c.Registry
			if idx, err := cfg.RegistryIndex(c.Registry); err != nil || idx.Value == "" {
				it.problem = fmt.Sprintf("registry %s has no index URL in cargo's configuration, so it cannot be keyed; define [registries.%s] index first", c.Registry, c.Registry)
			} else {
				it.target.IndexURL = idx.Value
			}
		}
		if reg, ok := cfg.Registry(it.target.Name); ok && it.target.IndexURL != "" && reg.Index.Value != "" && !credentials.MatchIndexURL(reg.Index.Value, it.target.IndexURL) {
			it.target.Name = "" // a libsecret label naming another registry's index
		}
		if len(names) > 0 && !slices.Contains(names, it.target.Name) && !slices.Contains(names, c.Registry) {
			continue
		}
		if c.Locked {
			it.problem = "the keyring holding it is locked; unlock it and run import again"
		}
		items = append(items, it)
	}
	return items, unchecked, nil
}
