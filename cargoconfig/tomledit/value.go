package tomledit

import (
	"fmt"
	"strconv"
	"strings"
)

// Kind is the TOML type of a Value.
type Kind int

// The kinds of value a Document can hold. Set writes strings, booleans,
// integers and arrays of them, and floats and datetimes read by Get as they
// were spelled; inline tables are read-only.
const (
	KindInvalid Kind = iota
	KindString
	KindBool
	KindInteger
	KindFloat
	KindDatetime
	KindArray
	KindInlineTable
)

var kindNames = [...]string{"invalid", "string", "boolean", "integer", "float", "datetime", "array", "inline table"}

// String returns the TOML name of the kind, such as "string" or "integer".
func (k Kind) String() string {
	if k < 0 || int(k) >= len(kindNames) {
		return "kind(" + strconv.Itoa(int(k)) + ")"
	}
	return kindNames[k]
}

// quoteStyle is the spelling of a string in the file, kept when the value is
// replaced.
type quoteStyle int

const (
	styleBasic quoteStyle = iota
	styleLiteral
	styleMultilineBasic
	styleMultilineLiteral
)

// Span locates a value in the document it was read from.
type Span struct {
	// Start and End are byte offsets into Bytes(); End is exclusive.
	Start, End int
	// Line is the 1-based line on which the value starts.
	Line int
}

// Value is a TOML value: either built with String, Bool, Integer or
// StringArray to be written with Set, or read from a document with Get, in
// which case it also knows where it is (Span).
//
// A Value never prints its content through fmt (String and GoString show only
// its kind), because config values can be tokens; read them with AsString and
// friends.
type Value struct {
	kind  Kind
	str   string // the string, or the TOML text of a float or datetime
	b     bool
	i     int64
	elems []Value
	style quoteStyle
	raw   string // the exact TOML text in the file, for values read by Get
	span  Span
}

// String returns a Value holding s, written as a TOML basic string unless it
// replaces a literal string that can hold it.
func String(s string) Value { return Value{kind: KindString, str: s} }

// Bool returns a Value holding b.
func Bool(b bool) Value { return Value{kind: KindBool, b: b} }

// Integer returns a Value holding i, written in decimal.
func Integer(i int64) Value { return Value{kind: KindInteger, i: i} }

// StringArray returns an array Value holding the given strings in order.
func StringArray(items ...string) Value {
	elems := make([]Value, len(items))
	for n, s := range items {
		elems[n] = String(s)
	}
	return Value{kind: KindArray, elems: elems}
}

// Kind returns the TOML type of v.
func (v Value) Kind() Kind { return v.kind }

// AsString returns the decoded string and true when v is a string.
func (v Value) AsString() (string, bool) { return v.str, v.kind == KindString }

// AsBool returns the boolean and true when v is a boolean.
func (v Value) AsBool() (bool, bool) { return v.b, v.kind == KindBool }

// AsInteger returns the integer and true when v is an integer.
func (v Value) AsInteger() (int64, bool) { return v.i, v.kind == KindInteger }

// AsStrings returns the elements and true when v is an array whose elements
// are all strings (an empty array included).
func (v Value) AsStrings() ([]string, bool) {
	if v.kind != KindArray {
		return nil, false
	}
	out := make([]string, 0, len(v.elems))
	for _, e := range v.elems {
		s, ok := e.AsString()
		if !ok {
			return nil, false
		}
		out = append(out, s)
	}
	return out, true
}

// Elems returns the elements of an array, or nil for other kinds.
func (v Value) Elems() []Value { return v.elems }

// Raw returns the TOML text of a value read from a document exactly as it is
// in the file, or "" for a value built in Go.
func (v Value) Raw() string { return v.raw }

// Span returns where a value read by Get is in the document; the zero Span
// for a value built in Go.
func (v Value) Span() Span { return v.span }

// Equal reports whether v and other hold the same TOML value, whatever their
// spelling or place in a file. Floats and datetimes compare by their text.
func (v Value) Equal(other Value) bool {
	if v.kind != other.kind {
		return false
	}
	switch v.kind {
	case KindString, KindFloat, KindDatetime:
		return v.str == other.str
	case KindBool:
		return v.b == other.b
	case KindInteger:
		return v.i == other.i
	case KindArray:
		if len(v.elems) != len(other.elems) {
			return false
		}
		for n := range v.elems {
			if !v.elems[n].Equal(other.elems[n]) {
				return false
			}
		}
		return true
	case KindInlineTable:
		return v.raw == other.raw
	}
	return false
}

// String describes v without its content, such as "tomledit.Value(string)".
func (v Value) String() string { return "tomledit.Value(" + v.kind.String() + ")" }

// GoString describes v without its content, like String.
func (v Value) GoString() string { return v.String() }

// render returns the TOML text for v. Strings use style when the string can
// be written in it and a basic string otherwise; array elements follow the
// style of elemStyle.
func (v Value) render(style quoteStyle) (string, error) {
	switch v.kind {
	case KindString:
		return renderString(v.str, style)
	case KindBool:
		return strconv.FormatBool(v.b), nil
	case KindInteger:
		return strconv.FormatInt(v.i, 10), nil
	case KindArray:
		parts := make([]string, len(v.elems))
		for n, e := range v.elems {
			s, err := e.render(style)
			if err != nil {
				return "", fmt.Errorf("array element %d: %w", n, err)
			}
			parts[n] = s
		}
		return "[" + strings.Join(parts, ", ") + "]", nil
	case KindFloat, KindDatetime:
		if v.raw != "" {
			return v.raw, nil
		}
	}
	return "", fmt.Errorf("cannot write a value of kind %s", v.kind)
}
