package tomledit

// exprKind tells a key-value line from a table header.
type exprKind int

const (
	exprKeyValue exprKind = iota
	exprTable
	exprArrayTable
)

// expr is one top-level expression: a [table] header, an [[array]] header or
// a key-value, with the byte offsets of the lines it occupies. Everything
// between two exprs is blank lines and comments.
type expr struct {
	kind      exprKind
	key       []string // header: the table's path; key-value: the key relative to its section
	rawKey    []string // the key parts as spelled in the file, quotes included
	path      []string // the full path: the table's for headers, the value's for key-values
	section   *section // the section the expression opens or belongs to
	node      *node    // header: the table it opens; key-value: the value
	index     int      // position in state.exprs
	lineStart int      // start of the first line
	start     int      // first byte of the expression (after indentation)
	end       int      // end of the value or of the closing bracket
	lineEnd   int      // after the newline of the last line, or the end of the file
	line      int      // 1-based line of start
}

// indent returns the blanks before the expression on its first line.
func (e *expr) indent(src []byte) string { return string(src[e.lineStart:e.start]) }

// section is a header with the key-values that follow it, or the root
// section before the first header.
type section struct {
	header *expr // nil for the root section
	table  *node
	kvs    []*expr
}

// nodeKind says how a key came to exist, which decides how it may be edited.
type nodeKind int

const (
	nodeRoot        nodeKind = iota
	nodeImplicit             // a table that exists only as the parent of a [header]
	nodeHeader               // a table opened by its own [header]
	nodeDotted               // a table created by a dotted key (a.b = 1 creates a)
	nodeArrayTables          // [[an array of tables]]; elems are its tables
	nodeInline               // an inline table value { ... }
	nodeValue                // any other value
)

// node is a key of the document's tree of tables and values.
type node struct {
	kind     nodeKind
	name     string
	path     []string
	children map[string]*node
	order    []string
	elems    []*node  // nodeArrayTables: one table per [[header]]
	section  *section // nodeHeader: the section it opens; nodeDotted: the section whose keys create it
	kv       *expr    // nodeValue, nodeInline: the key-value that holds it (nil inside inline tables)
	value    Value    // nodeValue, nodeInline
	inline   bool     // inside an inline table
	inArray  bool     // inside an array of tables
	line     int      // the line that first mentions the key
}

// child returns the direct child called name, or nil.
func (n *node) child(name string) *node { return n.children[name] }

// add creates the child called name; the caller checked it did not exist.
func (n *node) add(name string, kind nodeKind, line int) *node {
	if n.children == nil {
		n.children = map[string]*node{}
	}
	path := make([]string, len(n.path)+1)
	copy(path, n.path)
	path[len(n.path)] = name
	c := &node{
		kind:    kind,
		name:    name,
		path:    path,
		inline:  n.inline || n.kind == nodeInline,
		inArray: n.inArray,
		line:    line,
	}
	n.children[name] = c
	n.order = append(n.order, name)
	return c
}

// isTable reports whether n is a table that keys can be looked up in.
func (n *node) isTable() bool {
	switch n.kind {
	case nodeRoot, nodeImplicit, nodeHeader, nodeDotted, nodeInline:
		return true
	}
	return false
}

// hasPrefix reports whether path starts with prefix.
func hasPrefix(path, prefix []string) bool {
	if len(path) < len(prefix) {
		return false
	}
	for i := range prefix {
		if path[i] != prefix[i] {
			return false
		}
	}
	return true
}
