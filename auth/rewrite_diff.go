package auth

import (
	"fmt"
	"strings"

	"github.com/cargo-auth/cargo-auth/internal/redact"
)

// maskedDiff is the change from old to new as a unified diff without
// context lines (the form tomledit's Diff uses), with every token masked:
// the secrets given, every secret registered with the redactor, and
// anything in a URL that looks like a credential. --dry-run prints it.
func maskedDiff(name string, old, new []byte, secrets []string) string {
	a, b := splitLines(string(old)), splitLines(string(new))
	mask := func(line string) string {
		for _, s := range secrets {
			if s != "" {
				line = strings.ReplaceAll(line, escapeToken(s), redact.Placeholder)
				line = strings.ReplaceAll(line, s, redact.Placeholder)
			}
		}
		return redact.Text(line)
	}
	var out strings.Builder
	fmt.Fprintf(&out, "--- %s\n+++ %s\n", name, name)
	for _, h := range diffHunks(a, b) {
		fmt.Fprintf(&out, "@@ -%s +%s @@\n", hunkRange(h.aStart, h.aEnd), hunkRange(h.bStart, h.bEnd))
		for _, l := range a[h.aStart:h.aEnd] {
			out.WriteString("-" + mask(l) + "\n")
		}
		for _, l := range b[h.bStart:h.bEnd] {
			out.WriteString("+" + mask(l) + "\n")
		}
	}
	return out.String()
}

func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}

// hunkRange is the "start,count" of a unified diff hunk (1-based; for an
// empty range the line before it).
func hunkRange(start, end int) string {
	if end-start == 1 {
		return fmt.Sprint(start + 1)
	}
	if end == start {
		return fmt.Sprintf("%d,0", start)
	}
	return fmt.Sprintf("%d,%d", start+1, end-start)
}

type hunk struct{ aStart, aEnd, bStart, bEnd int }

// diffHunks finds the changed runs of lines between a and b through their
// longest common subsequence (configuration files are small).
func diffHunks(a, b []string) []hunk {
	n, m := len(a), len(b)
	lcs := make([][]int, n+1)
	for i := range lcs {
		lcs[i] = make([]int, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var hunks []hunk
	i, j := 0, 0
	for i < n || j < m {
		if i < n && j < m && a[i] == b[j] {
			i, j = i+1, j+1
			continue
		}
		h := hunk{aStart: i, bStart: j}
		for (i < n || j < m) && !(i < n && j < m && a[i] == b[j]) {
			if j >= m || (i < n && lcs[i+1][j] >= lcs[i][j+1]) {
				i++
			} else {
				j++
			}
		}
		h.aEnd, h.bEnd = i, j
		hunks = append(hunks, h)
	}
	return hunks
}
