package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/cargo-auth/cargo-auth/cargoconfig"
	"github.com/cargo-auth/cargo-auth/cargoconfig/tomledit"
	"github.com/cargo-auth/cargo-auth/credentials"
	"github.com/cargo-auth/cargo-auth/internal/redact"
)

// rewriteResult is the JSON document of a rewrite (and the data of its
// human output).
type rewriteResult struct {
	File       string            `json:"file"`
	Changed    bool              `json:"changed"`
	DryRun     bool              `json:"dry_run,omitempty"`
	Diff       string            `json:"diff,omitempty"`
	Registries []rewrittenResult `json:"registries"`
}

// rewrittenResult is one registry of a rewrite. It holds no token.
type rewrittenResult struct {
	Registry string `json:"registry"`
	Mode     string `json:"mode"`
	// IndexURL is the clean URL cargo records in Cargo.lock.
	IndexURL string `json:"index_url"`
	// ReplacedBy is the token-bearing URL, redacted ("" in native mode).
	ReplacedBy string `json:"replaced_by,omitempty"`
	// TokenSource says where the token came from ("" when none was needed
	// and none was found).
	TokenSource string `json:"token_source,omitempty"`
	// Notes are what the user should know about this registry.
	Notes []string `json:"notes,omitempty"`
}

// rewriteRegistries is the default action: rewrite the named registries
// (or every registry with settings) into the target file.
func rewriteRegistries(ctx context.Context, env *rewriteEnv) error {
	opts := env.opts
	settings, err := loadRewriteSettings(env.cfg.Cwd(), env.cfg.CargoHome(), env.f.Getenv("HOME"))
	if err != nil {
		return err
	}
	names := opts.Registries
	if len(names) == 0 {
		names = settingNames(settings)
	}
	if len(names) == 0 {
		return withExitCode(ExitUsage, withHint(errors.New("which registries? none is named and no cargo-auth.toml has a [rewrite.<registry>] table"),
			"name one: cargo auth rewrite-config corp --mode native", "or keep the settings in .cargo/"+rewriteSettingsFile+" (see docs/rewrite-config.md)"))
	}
	var plans []*rewritePlan
	for _, name := range names {
		setting, err := resolveSetting(opts, settings, name)
		if err != nil {
			return err
		}
		plan, err := buildPlan(ctx, env.cfg, env.tokens, name, setting)
		if err != nil {
			return err
		}
		plans = append(plans, plan)
	}
	target := env.targetFile()
	if err := checkPlans(env.cfg, target, plans); err != nil {
		return err
	}
	res, err := writePlans(ctx, env, target, plans)
	if err != nil {
		return err
	}
	out := rewriteResult{File: res.Path, Changed: res.Changed, DryRun: opts.DryRun, Diff: res.Diff}
	for _, p := range plans {
		r := rewrittenResult{Registry: p.Registry, Mode: p.Mode, IndexURL: redact.URL(p.CleanURL), TokenSource: p.TokenSource}
		if p.TokenURL != "" {
			r.ReplacedBy = maskURL(p.TokenURL, p.secret())
		}
		if res.Changed || opts.DryRun {
			r.Notes = planNotes(ctx, env, p)
		}
		out.Registries = append(out.Registries, r)
	}
	for _, w := range res.Warnings {
		env.note("warning: %s", w)
	}
	if res.Changed && !opts.DryRun {
		for _, w := range checkAfterRewrite(env, plans) {
			env.note("warning: %s", w)
		}
	}
	if opts.JSON {
		return env.writeJSON(out)
	}
	printRewrite(env, out)
	return nil
}

// writePlans applies the plans to the target file.
func writePlans(ctx context.Context, env *rewriteEnv, target string, plans []*rewritePlan) (fileResult, error) {
	skip := map[string]bool{}
	var secrets []string
	for _, p := range plans {
		skip[p.Registry] = true
		if p.TokenURL != "" {
			secrets = append(secrets, p.secret())
		}
	}
	return applyFileChange(ctx, env, fileChange{
		Path:    target,
		Secrets: secrets,
		Force:   env.opts.Force,
		DryRun:  env.opts.DryRun,
		Edit: func(baseline, current []byte, prior []stateEntry) ([]byte, []stateEntry, error) {
			ed, err := newTOMLEditor(target, baseline)
			if err != nil {
				return nil, nil, err
			}
			if err := ed.carryOver(current, prior, skip); err != nil {
				return nil, nil, err
			}
			for _, p := range plans {
				if err := applyPlan(ed, p); err != nil {
					return nil, nil, err
				}
			}
			return ed.doc.Bytes(), ed.entries, nil
		},
	})
}

// applyPlan makes one registry's edit: a source replacement for path and
// userinfo modes, the provider chain for native mode.
func applyPlan(ed *tomlEditor, p *rewritePlan) error {
	if p.Mode == modeNative {
		return applyNativePlan(ed, p)
	}
	authed := authedSource(p.Registry)
	if err := ed.set(p.Registry, tomledit.String(p.CleanURL), false, "source", p.Registry, "registry"); err != nil {
		return err
	}
	if err := ed.set(p.Registry, tomledit.String(authed), false, "source", p.Registry, "replace-with"); err != nil {
		return err
	}
	return ed.set(p.Registry, tomledit.String(p.TokenURL), true, "source", authed, "registry")
}

// checkPlans refuses plans cargo could not follow: replacement sources
// defined elsewhere (checkReplacementConflicts), and native mode for a
// registry whose own credential-provider shuts cargo-auth out.
func checkPlans(cfg *cargoconfig.Config, target string, plans []*rewritePlan) error {
	if err := checkReplacementConflicts(cfg, target, plans); err != nil {
		return err
	}
	for _, p := range plans {
		if p.Mode == modeNative {
			if err := checkNativeProvider(cfg, p, registryTarget{Name: p.Registry, IndexURL: p.CleanURL}, target); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkReplacementConflicts refuses to replace a registry whose sources are
// already defined elsewhere: cargo would use those, or refuse two sources
// for one location.
func checkReplacementConflicts(cfg *cargoconfig.Config, target string, plans []*rewritePlan) error {
	sources, err := cfg.Sources()
	if err != nil {
		return err
	}
	for _, p := range plans {
		if p.Mode == modeNative {
			continue
		}
		cleanKey, _ := credentials.Key(p.CleanURL)
		sameIndex := func(u string) bool { key, err := credentials.Key(u); return err == nil && key == cleanKey }
		for name, s := range sources {
			ours := name == p.Registry || name == authedSource(p.Registry)
			inTarget := s.Registry.Origin.Kind == cargoconfig.OriginFile && sameFile(s.Registry.Origin.Path, target) ||
				s.ReplaceWith.Origin.Kind == cargoconfig.OriginFile && sameFile(s.ReplaceWith.Origin.Path, target)
			// A project may commit the clean half itself ([source.corp]
			// registry = clean, replace-with = "corp-authed"); only the
			// token-bearing half must come from here.
			compatible := name == p.Registry && sameIndex(s.Registry.Value) &&
				(s.ReplaceWith.Value == "" || s.ReplaceWith.Value == authedSource(p.Registry))
			if ours && !inTarget && !compatible && (s.Registry.Origin.Kind != cargoconfig.OriginDefault || s.ReplaceWith.Origin.Kind != cargoconfig.OriginDefault) {
				origin := s.Registry.Origin
				if origin.Kind == cargoconfig.OriginDefault {
					origin = s.ReplaceWith.Origin
				}
				return withHint(fmt.Errorf("[source.%s] is already defined in %s: rewrite-config needs that name for %s's replacement", name, origin, p.Registry),
					"remove it there, or write the replacement into that file with --file")
			}
			if !ours && s.Registry.Value != "" {
				if sameIndex(s.Registry.Value) {
					return withHint(fmt.Errorf("[source.%s] (%s) already names %s's index: cargo allows one source per location", name, s.Registry.Origin, p.Registry),
						"remove that source replacement first, or use --mode native")
				}
			}
		}
	}
	return nil
}

// planNotes are what the user should know about one registry after the
// rewrite: what the stop-gap cannot do, and whether native mode would work.
func planNotes(ctx context.Context, env *rewriteEnv, p *rewritePlan) []string {
	var notes []string
	switch p.Mode {
	case modeNative:
		if p.Token.IsZero() {
			notes = append(notes, fmt.Sprintf("no token for %s yet: store one with `cargo auth login %s`, or set %s_TOKEN in CI",
				p.Registry, p.Registry, cargoconfig.EnvPrefix(p.Registry)))
		}
		if !strings.HasPrefix(p.CleanURL, "sparse+") {
			notes = append(notes, fmt.Sprintf("%s is a git index: cargo never sends its token to git, so native mode covers downloads and the API only; the index needs a git credential helper or --mode userinfo", p.Registry))
		}
		return notes
	case modeUserinfo:
		notes = append(notes, "cargo sends userinfo credentials to the index only, never to downloads (dl): downloads need a registry that serves them without a token, embeds it in dl, or a credential provider")
	}
	notes = append(notes, fmt.Sprintf("cargo publish --registry %s ignores source replacement and talks to the clean URL: publishing needs header authentication (--mode native)", p.Registry))
	if !env.opts.NoProbe {
		if ok, why := probeHeaderAuth(ctx, env, p); ok {
			notes = append(notes, fmt.Sprintf("%s supports header authentication (%s): --mode native is recommended, with no token in any URL", p.Registry, why))
		}
	}
	return notes
}

// printRewrite prints the human output of a rewrite.
func printRewrite(env *rewriteEnv, out rewriteResult) {
	u := env.ui
	for _, r := range out.Registries {
		from := ""
		if r.TokenSource != "" {
			from = ", token from " + r.TokenSource
		}
		if r.Mode == modeNative {
			u.Printf("%s: native mode%s: no token in any URL; cargo asks its credential providers\n", r.Registry, from)
		} else {
			u.Printf("%s: %s mode%s: Cargo.lock records %s, cargo fetches from %s\n", r.Registry, r.Mode, from, r.IndexURL, r.ReplacedBy)
		}
	}
	switch {
	case out.DryRun && out.Changed:
		u.Printf("%s", out.Diff)
		u.Printf("dry run: %s not written\n", env.display(out.File))
	case out.DryRun:
		u.Printf("dry run: %s is already up to date\n", env.display(out.File))
	case out.Changed:
		u.Printf("wrote %s (undo with cargo auth rewrite-config --restore)\n", env.display(out.File))
	default:
		u.Printf("%s is already up to date\n", env.display(out.File))
	}
	for _, r := range out.Registries {
		for _, n := range r.Notes {
			env.note("note: %s", n)
		}
	}
}
