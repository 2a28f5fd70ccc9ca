package tomledit

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
)

// Edit is one changed span: the bytes [Start, End) of the source given to
// Parse became the bytes [NewStart, NewEnd) of Bytes(). Edits never overlap;
// every byte outside them is unchanged, so applying the edits to the original
// source gives Bytes().
type Edit struct {
	// Start and End are byte offsets into the source given to Parse.
	Start, End int
	// NewStart and NewEnd are byte offsets into Bytes().
	NewStart, NewEnd int
}

// Edits returns the changes made since Parse, sorted and merged, relative to
// the original source. It is empty when nothing changed (an edit undone by a
// later one leaves no trace).
func (d *Document) Edits() []Edit { return slices.Clone(d.edits) }

// Original returns the source given to Parse. The caller must not modify it.
func (d *Document) Original() []byte { return d.orig }

// compose splices s into cur and folds it into edits, which describe cur
// relative to orig. It returns the new bytes and edits.
func compose(orig, cur []byte, edits []Edit, s replace) ([]byte, []Edit) {
	next := make([]byte, 0, len(cur)-(s.end-s.start)+len(s.text))
	next = append(next, cur[:s.start]...)
	next = append(next, s.text...)
	next = append(next, cur[s.end:]...)
	delta := len(s.text) - (s.end - s.start)

	// The edits that touch the splice merge with it.
	newStart, newEnd := s.start, s.end
	origStart, origEnd := mapBack(edits, s.start), mapBack(edits, s.end)
	var out []Edit
	for _, e := range edits {
		switch {
		case e.NewEnd < s.start:
			out = append(out, e)
		case e.NewStart > s.end:
			e.NewStart += delta
			e.NewEnd += delta
			out = append(out, e)
		default:
			if e.NewStart <= newStart {
				newStart, origStart = e.NewStart, e.Start
			}
			if e.NewEnd >= newEnd {
				newEnd, origEnd = e.NewEnd, e.End
			}
		}
	}
	merged := Edit{Start: origStart, End: origEnd, NewStart: newStart, NewEnd: newEnd + delta}
	if !bytes.Equal(orig[merged.Start:merged.End], next[merged.NewStart:merged.NewEnd]) {
		out = append(out, merged)
	}
	slices.SortFunc(out, func(a, b Edit) int { return a.Start - b.Start })
	return next, out
}

// mapBack converts an offset of the current bytes that lies outside every
// edit into an offset of the original.
func mapBack(edits []Edit, p int) int {
	orig := p
	for _, e := range edits {
		if e.NewEnd <= p {
			orig = p - e.NewEnd + e.End
		}
	}
	return orig
}

// Diff returns the changes as a unified diff with no context lines, for
// --dry-run. It shows values as written, tokens included: the caller must
// redact it before printing anything that may hold a secret.
func (d *Document) Diff() string {
	if len(d.edits) == 0 {
		return ""
	}
	type hunk struct{ oldFrom, oldTo, newFrom, newTo int }
	var hunks []hunk
	for _, e := range d.edits {
		h := hunk{
			oldFrom: lineStartOf(d.orig, e.Start), oldTo: e.End,
			newFrom: lineStartOf(d.src, e.NewStart), newTo: e.NewEnd,
		}
		if !atLineStart(d.orig, h.oldTo) || !atLineStart(d.src, h.newTo) {
			h.oldTo, h.newTo = lineEndOf(d.orig, h.oldTo), lineEndOf(d.src, h.newTo)
		}
		if n := len(hunks); n > 0 && hunks[n-1].oldTo >= h.oldFrom {
			hunks[n-1].oldTo, hunks[n-1].newTo = h.oldTo, h.newTo
			continue
		}
		hunks = append(hunks, h)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "--- %s\n+++ %s\n", d.path, d.path)
	for _, h := range hunks {
		oldLines := splitLines(d.orig[h.oldFrom:h.oldTo])
		newLines := splitLines(d.src[h.newFrom:h.newTo])
		fmt.Fprintf(&b, "@@ -%s +%s @@\n", hunkRange(d.orig, h.oldFrom, len(oldLines)), hunkRange(d.src, h.newFrom, len(newLines)))
		for _, l := range oldLines {
			writeDiffLine(&b, '-', l)
		}
		for _, l := range newLines {
			writeDiffLine(&b, '+', l)
		}
	}
	return b.String()
}

// hunkRange formats "line,count" as unified diffs do: an empty range names
// the line before it.
func hunkRange(src []byte, from, count int) string {
	line := 1 + bytes.Count(src[:from], []byte("\n"))
	if count == 0 {
		line--
	}
	return fmt.Sprintf("%d,%d", line, count)
}

// splitLines cuts b after each newline.
func splitLines(b []byte) []string {
	var out []string
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			out = append(out, string(b))
			break
		}
		out = append(out, string(b[:i+1]))
		b = b[i+1:]
	}
	return out
}

// writeDiffLine writes one diff line with LF, marking a missing final newline.
func writeDiffLine(b *strings.Builder, sign byte, line string) {
	b.WriteByte(sign)
	if trimmed, ok := strings.CutSuffix(line, "\n"); ok {
		b.WriteString(strings.TrimSuffix(trimmed, "\r"))
		b.WriteByte('\n')
		return
	}
	b.WriteString(line)
	b.WriteString("\n\\ No newline at end of file\n")
}

// lineStartOf returns the start of the line holding off.
func lineStartOf(src []byte, off int) int { return bytes.LastIndexByte(src[:off], '\n') + 1 }

// lineEndOf returns the offset after the newline ending the line holding off,
// or len(src).
func lineEndOf(src []byte, off int) int {
	if i := bytes.IndexByte(src[off:], '\n'); i >= 0 {
		return off + i + 1
	}
	return len(src)
}

// atLineStart reports whether off starts a line (or ends the file).
func atLineStart(src []byte, off int) bool {
	return off == 0 || off == len(src) || src[off-1] == '\n'
}
