package auth

import (
	"fmt"
	"strings"
	"time"
)

// The human form of the status report: one block per registry, a block
// for the configuration's own problems, and a summary line. Marks follow
// the output contract (✓ fine, ! warning, ✗ cargo will fail, - not
// applicable); tokens are masked unless --show-token.

func writeStatusText(u *ui, rep *statusReport) {
	if len(rep.Registries) == 0 {
		u.Printf("no registry is configured for cargo (nothing in %s)\n", strings.Join(displayFiles(rep), ", "))
		u.Printf("  to add one: put [registries.NAME] index = \"sparse+https://...\" in .cargo/config.toml, then run cargo auth login NAME\n")
	}
	for i, r := range rep.Registries {
		if i > 0 {
			u.Printf("\n")
		}
		writeRegistryBlock(u, r, rep.Offline)
	}
	if len(rep.Problems) > 0 {
		u.Printf("\n%s\n", u.bold("configuration"))
		for _, p := range rep.Problems {
			writeProblem(u, p)
		}
	}
	s := rep.Summary
	line := fmt.Sprintf("%d %s: %d usable, %d not usable", s.Registries, pluralOf(s.Registries, "registry", "registries"), s.Usable, s.Unusable)
	if s.Unverified > 0 {
		line += fmt.Sprintf(", %d unverified", s.Unverified)
	}
	line += fmt.Sprintf(" (%d %s, %d %s)", s.Errors, pluralOf(s.Errors, "error", "errors"), s.Warnings, pluralOf(s.Warnings, "warning", "warnings"))
	if rep.Offline {
		line += "; offline: nothing was sent to any registry"
	}
	u.Printf("\n%s\n", line)
}

func displayFiles(rep *statusReport) []string {
	if len(rep.ConfigFiles) == 0 {
		return []string{"any configuration file"}
	}
	return rep.ConfigFiles
}

// pluralOf picks the singular or the plural form for n.
func pluralOf(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func writeRegistryBlock(u *ui, r *statusRegistry, offline bool) {
	u.Printf("%s %s\n", u.bold(r.Name), u.gray(r.IndexURL))
	status := "ok"
	if r.has(probConfigInvalid) {
		status = "fail"
	}
	u.Printf("  %s defined in %s (%s)\n", u.mark(status), r.Defined.Display, orDash(r.Protocol))
	if len(r.ReplacedBy) > 0 {
		u.Printf("  %s replaced by %s: cargo fetches from there\n", u.mark("ok"), strings.Join(r.ReplacedBy, " → "))
	}
	if r.CredentialsFrom != "" {
		u.Printf("  %s credentials are those of registry %s\n", u.mark("ok"), r.CredentialsFrom)
	}
	writeProviders(u, r)
	writeToken(u, r)
	u.Printf("    variables: %s %s %s\n", r.Env.Index, r.Env.Token, r.Env.CredentialProvider)
	writeLive(u, r, offline)
	for _, p := range r.Problems {
		writeProblem(u, p)
	}
	switch r.Verdict {
	case verdictUsable:
		u.Printf("  %s usable\n", u.mark("ok"))
	case verdictUnverified:
		u.Printf("  %s unverified: cargo's token comes from a provider status did not run\n", u.mark("warn"))
	default:
		u.Printf("  %s not usable: cargo will fail with this registry\n", u.mark("fail"))
	}
}

func writeProviders(u *ui, r *statusRegistry) {
	if len(r.Providers) == 0 {
		if r.has(probProviderNone) {
			u.Printf("  %s providers: none configured\n", u.mark("fail"))
		}
		return
	}
	u.Printf("  providers, in the order cargo tries them:\n")
	for i, p := range r.Providers {
		name := p.Name
		if len(p.Args) > 0 {
			name += " " + strings.Join(p.Args, " ")
		}
		if p.Alias != "" {
			name = p.Alias + " = " + name
		}
		u.Printf("    %s %d. %s (%s): %s\n", u.mark(outcomeMark(p.Outcome)), i+1, name, p.Origin.Display, p.Detail)
	}
}

func outcomeMark(outcome string) string {
	switch outcome {
	case outcomeToken:
		return "ok"
	case outcomeError:
		return "fail"
	case outcomeNotRun:
		return "warn"
	}
	return "skip"
}

func writeToken(u *ui, r *statusRegistry) {
	t := r.Token
	if t == nil {
		mark := "skip"
		if r.has(probProviderNoToken) || r.has(probProviderNone) {
			mark = "fail"
		}
		u.Printf("  %s token: none\n", u.mark(mark))
		return
	}
	shown := t.Masked
	if t.Value != "" {
		shown = t.Value
	}
	line := fmt.Sprintf("token %s (%s) from %s", shown, t.Scheme, t.Origin)
	if t.Expires != nil {
		line += ", expires " + t.Expires.Format(time.RFC3339)
		if t.RenewedBy != "" {
			line += " (renewed by " + t.RenewedBy + ")"
		}
	}
	mark := "ok"
	if r.has(probTokenExpired) || r.has(probTokenRejected) || r.has(probTokenWrongScheme) {
		mark = "fail"
	}
	u.Printf("  %s %s\n", u.mark(mark), line)
}

func writeLive(u *ui, r *statusRegistry, offline bool) {
	l := r.Live
	if l == nil {
		if offline {
			u.Printf("  %s live check: skipped (--offline)\n", u.mark("skip"))
		}
		return
	}
	mark := "fail"
	switch l.Result {
	case "ok", "public":
		mark = "ok"
	case "skipped", "git-credentials":
		mark = "warn"
	}
	detail := l.Message
	var times []string
	if l.Anonymous != nil {
		times = append(times, fmt.Sprintf("%dms", l.Anonymous.LatencyMS))
	}
	if l.WithToken != nil {
		times = append(times, fmt.Sprintf("%dms", l.WithToken.LatencyMS))
	}
	if len(times) > 0 {
		detail += " (" + strings.Join(times, ", ") + ")"
	}
	u.Printf("  %s live %s: %s\n", u.mark(mark), l.URL, detail)
}

func writeProblem(u *ui, p statusProblem) {
	mark := "warn"
	if p.Severity == severityError {
		mark = "fail"
	}
	u.Printf("  %s %s: %s\n", u.mark(mark), p.ID, p.Message)
	u.Printf("      fix: %s\n", p.Fix)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
