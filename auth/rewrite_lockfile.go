package auth

import (
	"bytes"
	"context"
	"strings"
)

// migrateLockfile rewrites the `source` URLs of the migrated registries in
// Cargo.lock to their clean form, keeping every other byte.
func migrateLockfile(ctx context.Context, env *rewriteEnv, migrations []*migration, leaks []urlLeak, moved []movedToken, apply func(fileChange) error) error {
	w, err := findWorkspace(env.cfg.Cwd())
	if err != nil {
		return nil
	}
	lockfile := w.Lockfile()
	replace := map[string]string{}
	for _, l := range leaks {
		if l.Path != lockfile || l.raw == "" || l.clean == "" {
			continue
		}
		for _, m := range migrations {
			if l.secret == m.plan.secret() {
				replace[l.raw] = l.clean
			}
		}
	}
	if len(replace) == 0 {
		return nil
	}
	return apply(fileChange{Path: lockfile, Moved: moved, DryRun: env.opts.DryRun,
		Edit: func(baseline, current []byte, prior []stateEntry) ([]byte, []stateEntry, error) {
			out := baseline
			for raw, clean := range replace {
				out = replaceWholeURL(out, raw, clean)
			}
			return out, nil, nil
		}})
}

// replaceWholeURL replaces raw with clean where raw is a whole URL: ended
// by a quote, a parenthesis or a '#' (cargo's "name version (source)" and
// source = "..." forms), not where it is the start of a longer URL.
func replaceWholeURL(data []byte, raw, clean string) []byte {
	var out bytes.Buffer
	for {
		i := bytes.Index(data, []byte(raw))
		if i < 0 {
			out.Write(data)
			return out.Bytes()
		}
		end := i + len(raw)
		out.Write(data[:i])
		if end == len(data) || strings.IndexByte("\")#", data[end]) >= 0 {
			out.WriteString(clean)
		} else {
			out.WriteString(raw)
		}
		data = data[end:]
	}
}
