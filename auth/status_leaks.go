package auth

import (
	"context"
	"path/filepath"

	"github.com/cargo-auth/cargo-auth/internal/redact"
)

// urlLeakProblems turns the tokens findURLLeaks finds inside URLs (config
// files, CARGO_REGISTRIES_*_INDEX, the workspace's Cargo.lock and
// Cargo.toml) into problems, on the registry they belong to when it is
// shown, else on the report. Tokens in `token = "..."` keys are judged by
// tokenPlacement; a replacement that rewrite-config manages in an untracked
// file is the recommended stop-gap, not a problem.
func (e *statusEngine) urlLeakProblems(ctx context.Context, rep *statusReport) {
	leaks, err := findURLLeaks(ctx, e.opts.Factory, e.cfg, leakScanOptions{ConfigArgs: e.opts.ConfigArgs})
	if err != nil {
		p := newProblem(probConfigInvalid, "scanning for tokens inside URLs failed: "+redact.Text(err.Error()),
			"correct the file named in the message")
		rep.Problems = append(rep.Problems, p)
		return
	}
	byName := map[string]*statusRegistry{}
	for _, r := range rep.Registries {
		byName[r.Name] = r
		if r.CredentialsFrom != "" && byName[r.CredentialsFrom] == nil {
			byName[r.CredentialsFrom] = r
		}
	}
	for _, l := range leaks {
		if l.Kind == leakPlaintextToken || !l.Fails() {
			continue
		}
		p := leakProblem(l)
		p.Origin = l.Where
		if r := byName[l.Registry]; r != nil {
			r.add(p)
			if l.Tracked {
				r.add(trackedLeakProblem(l))
			}
			continue
		}
		rep.Problems = append(rep.Problems, p)
		if l.Tracked {
			rep.Problems = append(rep.Problems, trackedLeakProblem(l))
		}
	}
}

// leakProblem describes one token found inside a URL.
func leakProblem(l urlLeak) statusProblem {
	what := map[string]string{
		leakUserinfoPassword: "a password in the userinfo of",
		leakUserinfoUser:     "a token as the user name of",
		leakPathToken:        "a token in the path of",
		leakQueryToken:       "a token in the query of",
		leakKnownToken:       "a known token in",
	}[l.Kind]
	if what == "" {
		what = "a token in"
	}
	subject := l.URL
	if subject == "" {
		subject = "the text"
	}
	switch {
	case l.Env != "":
		return newProblem(probURLEnv, what+" "+subject+" in "+l.Where+": cargo writes it into Cargo.lock, and CI logs print it",
			"put the clean URL in "+l.Env+" and the token in cargo-auth (cargo auth rewrite-config)")
	case filepath.Base(l.Path) == "Cargo.lock":
		return newProblem(probURLLockfile, what+" "+subject+" in "+l.Where+": everyone who can read the lockfile has the token",
			"revoke the token, move it out of the URL (cargo auth rewrite-config), then regenerate Cargo.lock")
	case filepath.Base(l.Path) == "Cargo.toml":
		return newProblem(probURLLockfile, what+" "+subject+" in "+l.Where+" (an inline registry-index): cargo copies it into Cargo.lock and prints it",
			"name a registry instead of registry-index and keep its token in cargo-auth (cargo auth rewrite-config)")
	default:
		return newProblem(probURLConfig, what+" "+subject+" in "+l.Where+": cargo writes index URL tokens into Cargo.lock, and the file is readable by whoever can read it",
			"move the token out of the URL: cargo auth rewrite-config")
	}
}

// trackedLeakProblem says that the file holding a token is in git.
func trackedLeakProblem(l urlLeak) statusProblem {
	p := newProblem(probTokenInGit, "git tracks "+l.Where+", which holds a token: it is in the repository's history",
		"revoke the token, then remove it from the file (cargo auth rewrite-config)")
	p.Origin = l.Where
	return p
}
