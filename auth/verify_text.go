package auth

import (
	"fmt"
	"time"
)

// writeTextReport prints the human report: the registry, token and crates
// audited, then the checks grouped by endpoint with ✓ ! ✗ -, and for every
// failure or warning what an attacker can do and the fix. Scripts read
// --format json instead.
func writeTextReport(u *ui, r *verifyReport) error {
	reg := r.Registry.IndexURL
	if r.Registry.Name != "" {
		reg = r.Registry.Name + " (" + reg + ")"
	}
	u.Printf("%s %s\n", u.bold("registry"), reg)
	u.Printf("%s    %s\n", u.bold("token"), tokenLine(r.Token))
	u.Printf("%s   %s\n", u.bold("crates"), cratesLine(r.Crates))

	width := 0
	for _, c := range r.Checks {
		width = max(width, len(c.ID))
	}
	for _, endpoint := range endpointOrder {
		var checks []checkResult
		for _, c := range r.Checks {
			if c.Endpoint == endpoint {
				checks = append(checks, c)
			}
		}
		if len(checks) == 0 {
			continue
		}
		u.Printf("\n%s\n", u.bold(endpoint))
		skipped := map[string]int{}
		for _, c := range checks {
			if c.Status == statusSkip {
				skipped[c.Message]++
			}
		}
		for _, c := range checks {
			// Many checks skipped for one reason read as one line;
			// --format json lists them all.
			switch n := skipped[c.Message]; {
			case c.Status == statusSkip && n < 0:
				continue
			case c.Status == statusSkip && n >= 3:
				u.Printf("  %s %-*s  %s\n", u.mark(c.Status), width, fmt.Sprintf("%d checks", n), c.Message)
				skipped[c.Message] = -1
				continue
			}
			u.Printf("  %s %-*s  %s\n", u.mark(c.Status), width, c.ID, c.Message)
			if c.Status != statusFail && c.Status != statusWarn {
				continue
			}
			for _, d := range c.Details {
				u.Printf("      %s\n", u.gray(d.URL+": "+d.Message))
			}
			if c.DetailsOmitted > 0 {
				u.Printf("      %s\n", u.gray(fmt.Sprintf("… and %d more", c.DetailsOmitted)))
			}
			u.Printf("      attack: %s\n", c.Attack)
			u.Printf("      fix:    %s\n", c.Remediation)
		}
	}
	s := r.Summary
	elapsed := time.Duration(s.DurationMS) * time.Millisecond
	if elapsed >= time.Second {
		elapsed = elapsed.Round(100 * time.Millisecond)
	}
	u.Printf("\n%s %d failed, %d %s, %d passed, %d skipped (%d requests in %s)\n",
		u.bold("result"), s.Fail, s.Warn, plural(s.Warn, "warning"), s.Pass, s.Skip, s.Requests, elapsed)
	return nil
}

func tokenLine(t reportToken) string {
	if t.Source == tokenNone {
		return "none: only the anonymous and bogus-token checks ran"
	}
	if t.SentAs != "" && t.SentAs != t.Form {
		return fmt.Sprintf("from %s; refused in cargo's form (%s), so the audit sent it %s", t.Origin, formName(t.Form), formName(t.SentAs))
	}
	return fmt.Sprintf("from %s, sent %s as cargo sends it", t.Origin, formName(t.Form))
}

func formName(form string) string {
	switch form {
	case "bearer":
		return "as Bearer"
	case "token":
		return "as `token`"
	case "basic":
		return "as Basic"
	}
	return "raw"
}

func cratesLine(c reportCrates) string {
	var line string
	switch c.Source {
	case "flags":
		line = fmt.Sprintf("%s named with --crate", countOf(c.Crates, "crate"))
	case "lockfile":
		line = fmt.Sprintf("%s from Cargo.lock", countOf(c.Crates, "crate"))
	default:
		if c.Crates == 0 {
			if c.Note != "" {
				return c.Note
			}
			return "none"
		}
		return fmt.Sprintf("%s, %d with a version to download", c.Note, c.Versions)
	}
	line += fmt.Sprintf(", %d with a version to download", c.Versions)
	if c.Note != "" {
		line += "; " + c.Note
	}
	return line
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}
