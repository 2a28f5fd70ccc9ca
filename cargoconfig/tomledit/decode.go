package tomledit

import (
	"strconv"
	"strings"

	"github.com/pelletier/go-toml/v2/unstable"
)

// decode copies a value out of the parser's arena. start and end are its
// offsets in the source when known (0, 0 for elements of arrays).
func (b *builder) decode(v *unstable.Node, start, end int) (Value, error) {
	src := b.st.src
	out := Value{}
	if end > start {
		out.raw = string(src[start:end])
		out.span = Span{Start: start, End: end}
		out.span.Line, _ = position(src, b.st.bomLen, start)
	} else if v.Kind != unstable.Array {
		s, e := b.off(v.Raw.Offset), b.off(v.Raw.Offset+v.Raw.Length)
		out.raw = string(src[s:e])
		out.span = Span{Start: s, End: e}
		out.span.Line, _ = position(src, b.st.bomLen, s)
	}
	switch v.Kind {
	case unstable.String:
		out.kind, out.str = KindString, string(v.Data)
		switch {
		case strings.HasPrefix(out.raw, `"""`):
			out.style = styleMultilineBasic
		case strings.HasPrefix(out.raw, `'''`):
			out.style = styleMultilineLiteral
		case strings.HasPrefix(out.raw, `'`):
			out.style = styleLiteral
		}
	case unstable.Bool:
		out.kind, out.b = KindBool, string(v.Data) == "true"
	case unstable.Integer:
		i, err := strconv.ParseInt(strings.ReplaceAll(string(v.Data), "_", ""), 0, 64)
		if err != nil {
			return Value{}, b.errorAt(b.off(v.Raw.Offset), "integer out of range")
		}
		out.kind, out.i = KindInteger, i
	case unstable.Float:
		out.kind, out.str = KindFloat, string(v.Data)
	case unstable.LocalDate, unstable.LocalTime, unstable.LocalDateTime, unstable.DateTime:
		out.kind, out.str = KindDatetime, string(v.Data)
	case unstable.Array:
		out.kind = KindArray
		it := v.Children()
		for it.Next() {
			c := it.Node()
			if c.Kind == unstable.Comment {
				continue
			}
			e, err := b.decode(c, 0, 0)
			if err != nil {
				return Value{}, err
			}
			out.elems = append(out.elems, e)
		}
	case unstable.InlineTable:
		out.kind = KindInlineTable
		if end <= start {
			// Inside an array: check its keys in a throwaway tree.
			if err := b.inlineTable(&node{kind: nodeInline}, v); err != nil {
				return Value{}, err
			}
		}
	default:
		return Value{}, b.errorAt(b.off(v.Raw.Offset), "unexpected %s value", v.Kind)
	}
	return out, nil
}
