package auth

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/cargo-auth/cargo-auth/cargoconfig/tomledit"
	"github.com/cargo-auth/cargo-auth/credentials"
	"github.com/cargo-auth/cargo-auth/internal/atomicfile"
	"github.com/cargo-auth/cargo-auth/internal/redact"
)

// migration is the plan for one registry.
type migration struct {
	plan  *rewritePlan
	leaks []urlLeak // the index definitions holding the token
}

// rewriteMigrate is --migrate: for every registry whose index URL in a
// configuration file holds a token, it moves the token into the store,
// puts the clean URL back in that file, gives cargo the token another way
// (native mode when the registry supports header authentication, else a
// source replacement rebuilt from the old URL's shape, in
// $CARGO_HOME/config.toml), and rewrites the workspace's Cargo.lock
// `source` lines to the clean URL, so `cargo build --locked` still passes.
// What it cannot fix is listed, and makes it exit 3.
func rewriteMigrate(ctx context.Context, env *rewriteEnv) error {
	store := env.tokens.openStore(ctx)
	if store == nil {
		return withHint(fmt.Errorf("--migrate moves tokens into cargo-auth's store, which cannot be opened: %v", env.tokens.storeErr),
			"choose a working backend with --backend (see cargo auth backends)")
	}
	leaks, err := findURLLeaks(ctx, env.f, env.cfg, leakScanOptions{ConfigArgs: env.opts.ConfigArgs, Store: store})
	if err != nil {
		return err
	}
	settings, err := loadRewriteSettings(env.cfg.Cwd(), env.cfg.CargoHome(), env.f.Getenv("HOME"))
	if err != nil {
		return err
	}
	migrations, err := planMigrations(ctx, env, leaks, settings)
	if err != nil {
		return err
	}
	if len(migrations) == 0 && !slices.ContainsFunc(leaks, urlLeak.Fails) {
		if env.opts.JSON {
			return env.writeJSON(migrateResult{Registries: []migratedRegistry{}, Files: []fileResult{}, Remaining: []urlLeak{}})
		}
		env.ui.Printf("nothing to migrate: no token in an index URL\n")
		return nil
	}
	var plans []*rewritePlan
	for _, m := range migrations {
		plans = append(plans, m.plan)
	}
	target := env.targetFile()
	if err := checkPlans(env.cfg, target, plans); err != nil {
		return err
	}
	if !env.opts.DryRun {
		if err := storeMigratedTokens(ctx, env, store, migrations); err != nil {
			return err
		}
	}
	files, err := migrateFiles(ctx, env, target, migrations, leaks)
	if err != nil {
		return err
	}
	out := migrateResult{Files: files, DryRun: env.opts.DryRun, Registries: []migratedRegistry{}}
	for _, m := range migrations {
		r := migratedRegistry{Registry: m.plan.Registry, Kind: m.leaks[0].Kind, IndexURL: redact.URL(m.plan.CleanURL), Mode: m.plan.Mode}
		for _, l := range m.leaks {
			r.From = append(r.From, l.Where)
		}
		if m.plan.TokenURL != "" {
			r.ReplacedBy = maskURL(m.plan.TokenURL, m.plan.secret())
		}
		r.Notes = planNotes(ctx, env, m.plan)
		out.Registries = append(out.Registries, r)
	}
	if !env.opts.DryRun {
		if after, err := env.f.CargoConfig(env.opts.ConfigArgs); err == nil {
			env.cfg = after
			leaks, err = findURLLeaks(ctx, env.f, after, leakScanOptions{ConfigArgs: env.opts.ConfigArgs, Store: store})
			if err != nil {
				return err
			}
		}
		for _, w := range checkAfterRewrite(env, plans) {
			env.note("warning: %s", w)
		}
	}
	out.Remaining = remainingLeaks(leaks, migrations, env.opts.DryRun)
	return printMigrate(env, out)
}

// planMigrations picks the index definitions that hold a token and plans
// each registry: mode from the flags or cargo-auth.toml, else native when
// the registry supports header authentication, else the old URL's shape.
func planMigrations(ctx context.Context, env *rewriteEnv, leaks []urlLeak, settings map[string]rewriteSetting) ([]*migration, error) {
	byRegistry := map[string]*migration{}
	var names []string
	for _, l := range leaks {
		registry, ok := indexKeyRegistry(l.Key)
		if l.Path == "" || !ok || l.Managed || l.Kind == leakPlaintextToken || l.clean == "" {
			continue
		}
		if len(env.opts.Registries) > 0 && !slices.Contains(env.opts.Registries, registry) {
			continue
		}
		m := byRegistry[registry]
		if m == nil {
			m = &migration{}
			byRegistry[registry] = m
			names = append(names, registry)
		} else if m.leaks[0].secret != l.secret || m.leaks[0].clean != l.clean {
			return nil, fmt.Errorf("registry %s has different token-bearing index URLs in %s and %s: fix one by hand, then run --migrate again", registry, m.leaks[0].Where, l.Where)
		}
		m.leaks = append(m.leaks, l)
	}
	sort.Strings(names)
	var out []*migration
	for _, name := range names {
		m := byRegistry[name]
		l := m.leaks[0]
		setting := overlayFlags(env.opts, settings[name])
		tok := credentials.NewToken(l.secret, credentials.SchemeRaw)
		env.tokens.remember(tok, name)
		p := &rewritePlan{Registry: name, CleanURL: l.clean, Token: tok, TokenSource: "moved from " + l.Where}
		if setting.Mode == "" {
			supported := false
			if !env.opts.NoProbe {
				supported, _ = probeHeaderAuth(ctx, env, p)
			}
			setting.Mode = modeNative
			if !supported {
				setting.Mode = map[string]string{leakPathToken: modePath, leakUserinfoPassword: modeUserinfo, leakUserinfoUser: modeUserinfo}[l.Kind]
			}
			if setting.Mode == "" {
				return nil, usageErrorf("cannot tell how %s's token should reach the registry (%s in %s): give --mode", name, kindText[l.Kind], l.Where)
			}
		}
		if setting.Mode != modeNative && setting.Template == "" && setting.URL == "" && setting.User == "" {
			setting.Template = l.template() // the old URL's shape
		}
		var err error
		if p.Setting, err = validateSetting(name, setting); err != nil {
			return nil, err
		}
		p.Mode = p.Setting.Mode
		if p.Mode != modeNative {
			if p.TokenURL, err = p.tokenURL(); err != nil {
				return nil, err
			}
			redact.Register(p.TokenURL)
		}
		m.plan = p
		out = append(out, m)
	}
	return out, nil
}

// template is the leak's URL with {token} in place of the token.
func (l urlLeak) template() string {
	return classifyURL(l.raw, []knownSecret{{value: l.secret}}).template
}

// indexKeyRegistry reads the registry out of "registries.<name>.index".
func indexKeyRegistry(key string) (string, bool) {
	rest, ok := strings.CutPrefix(key, "registries.")
	if !ok {
		return "", false
	}
	return strings.CutSuffix(rest, ".index")
}

// storeMigratedTokens puts each token into the store under the clean URL,
// before any file changes (so that --restore can always read it back). A
// different token already stored is kept unless --force.
func storeMigratedTokens(ctx context.Context, env *rewriteEnv, store credentials.Store, migrations []*migration) error {
	var toStore []*rewritePlan
	for _, m := range migrations {
		p := m.plan
		old, err := store.Get(ctx, p.CleanURL)
		switch {
		case err == nil && old.Token.Reveal() == p.secret():
			continue
		case err == nil && !env.opts.Force:
			return withHint(fmt.Errorf("cargo-auth's store already holds a different token for %s; nothing was changed", p.Registry),
				"--force replaces it with the one in the URL")
		case err != nil && !errors.Is(err, credentials.ErrNotFound):
			return fmt.Errorf("reading cargo-auth's store: %w", err)
		}
		toStore = append(toStore, p)
	}
	for _, p := range toStore {
		cred := credentials.Credential{IndexURL: p.CleanURL, Registry: p.Registry, Token: p.Token, Updated: env.f.Now()}
		if err := store.Set(ctx, cred); err != nil {
			return fmt.Errorf("storing %s's token: %w", p.Registry, err)
		}
	}
	return nil
}

// migrateFiles makes the file edits: the replacement (or provider chain)
// in the target file, the clean index URL where the token was, and the
// clean URL in Cargo.lock.
func migrateFiles(ctx context.Context, env *rewriteEnv, target string, migrations []*migration, leaks []urlLeak) ([]fileResult, error) {
	var moved []movedToken
	fixes := map[string][]urlLeak{}
	var plans []*rewritePlan
	for _, m := range migrations {
		moved = append(moved, movedToken{Secret: m.plan.secret(), IndexURL: m.plan.CleanURL})
		plans = append(plans, m.plan)
		for _, l := range m.leaks {
			fixes[l.Path] = append(fixes[l.Path], l)
		}
	}
	targetPath, _ := resolvedOr(target)
	var results []fileResult
	apply := func(ch fileChange) error {
		res, err := applyFileChange(ctx, env, ch)
		for _, w := range res.Warnings {
			env.note("warning: %s", w)
		}
		if res.Changed {
			results = append(results, res)
		}
		return err
	}
	var secrets []string
	for _, p := range plans {
		if p.TokenURL != "" {
			secrets = append(secrets, p.secret())
		}
	}
	paths := []string{target}
	for path := range fixes {
		if resolved, _ := resolvedOr(path); resolved != targetPath {
			paths = append(paths, path)
		}
	}
	sort.Strings(paths[1:])
	for _, path := range paths {
		resolved, _ := resolvedOr(path)
		var fileFixes []urlLeak
		for p, ls := range fixes {
			if r, _ := resolvedOr(p); r == resolved {
				fileFixes = append(fileFixes, ls...)
			}
		}
		isTarget := resolved == targetPath
		ch := fileChange{Path: path, Moved: moved, Force: env.opts.Force, DryRun: env.opts.DryRun}
		if isTarget {
			ch.Secrets = secrets
		}
		ch.Edit = func(baseline, current []byte, prior []stateEntry) ([]byte, []stateEntry, error) {
			ed, err := newTOMLEditor(path, baseline)
			if err != nil {
				return nil, nil, err
			}
			skip := map[string]bool{}
			if isTarget {
				for _, p := range plans {
					skip[p.Registry] = true
				}
			}
			if err := ed.carryOver(current, prior, skip); err != nil {
				return nil, nil, err
			}
			for _, l := range fileFixes {
				registry, _ := indexKeyRegistry(l.Key)
				if err := ed.set(registry, tomledit.String(l.clean), false, strings.Split(l.Key, ".")...); err != nil {
					return nil, nil, err
				}
				ed.markMigrated(registry, strings.Split(l.Key, "."), true)
			}
			if isTarget {
				for _, p := range plans {
					if err := applyPlan(ed, p); err != nil {
						return nil, nil, err
					}
				}
			}
			return ed.doc.Bytes(), ed.entries, nil
		}
		if err := apply(ch); err != nil {
			return results, err
		}
	}
	if err := migrateLockfile(ctx, env, migrations, leaks, moved, apply); err != nil {
		return results, err
	}
	return results, nil
}

// resolvedOr resolves a path's symbolic links, or gives it back as is.
func resolvedOr(path string) (string, error) {
	resolved, err := atomicfile.Resolve(path)
	if err != nil {
		return filepath.Clean(path), err
	}
	return resolved, nil
}
