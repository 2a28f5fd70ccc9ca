package tomledit

import "bytes"

// Layout: where sections begin and end, as lines. Between two expressions
// there are only blank lines and comments; the comments directly above a
// header (no blank line between) belong to it.

// isBlank reports whether src[from:to] holds only blanks and newlines.
func isBlank(src []byte, from, to int) bool {
	return len(bytes.Trim(src[from:to], " \t\r\n")) == 0
}

// prevExprEnd returns where the gap before expression e begins.
func (st *state) prevExprEnd(e *expr) int {
	if e.index == 0 {
		return st.bomLen
	}
	return st.exprs[e.index-1].lineEnd
}

// blockStart returns the start of header h with the comment lines directly
// above it.
func (st *state) blockStart(h *expr) int {
	floor := st.prevExprEnd(h)
	start := h.lineStart
	for start > floor {
		prev := max(lineStartOf(st.src, start-1), floor)
		if isBlank(st.src, prev, start) {
			break
		}
		start = prev
	}
	return start
}

// lastExpr returns the last expression of section s, nil for an empty root.
func (s *section) lastExpr() *expr {
	if len(s.kvs) > 0 {
		return s.kvs[len(s.kvs)-1]
	}
	return s.header
}

// nextSection returns the section after s, or nil.
func (st *state) nextSection(s *section) *section {
	for i, c := range st.sections {
		if c == s && i+1 < len(st.sections) {
			return st.sections[i+1]
		}
	}
	return nil
}

// bodyEnd returns the end of section s: after its last expression and the
// comments that follow it, but before the blank lines and the comments that
// belong to the next header.
func (st *state) bodyEnd(s *section) int {
	from := st.bomLen
	if last := s.lastExpr(); last != nil {
		from = last.lineEnd
	}
	to := len(st.src)
	if next := st.nextSection(s); next != nil {
		to = st.blockStart(next.header)
	}
	end := from
	for at := from; at < to; {
		lineEnd := min(lineEndOf(st.src, at), to)
		if !isBlank(st.src, at, lineEnd) {
			end = lineEnd
		}
		at = lineEnd
	}
	return end
}

// endsWithNewline reports whether the file's last line has a line ending.
func (st *state) endsWithNewline() bool {
	return len(st.src) > st.bomLen && st.src[len(st.src)-1] == '\n'
}

// eolBefore returns the length of the line ending just before off (a line
// start), 0 when there is none.
func (st *state) eolBefore(off int) int {
	if off <= st.bomLen || st.src[off-1] != '\n' {
		return 0
	}
	if off-2 >= st.bomLen && st.src[off-2] == '\r' {
		return 2
	}
	return 1
}
