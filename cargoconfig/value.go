package cargoconfig

import (
	"fmt"
	"sort"
	"strings"
)

// valueKind is the type of a configuration value. Cargo knows exactly these
// five; floats and dates in a config file are errors.
type valueKind int

const (
	kindString valueKind = iota
	kindInteger
	kindBoolean
	kindList
	kindTable
)

// desc is cargo's name for the kind, used in its error messages.
func (k valueKind) desc() string {
	switch k {
	case kindString:
		return "string"
	case kindInteger:
		return "integer"
	case kindBoolean:
		return "boolean"
	case kindList:
		return "array"
	}
	return "table"
}

// value is one node of cargo's configuration tree: a scalar, a list or a
// table, with the origin of its definition. Lists and tables carry their own
// origin besides their elements', as in cargo: when a non-mergeable list is
// replaced by another, the container keeps the first origin (cargo then
// resolves relative program paths against it).
type value struct {
	kind  valueKind
	str   string
	num   int64
	flag  bool
	list  []*value
	table map[string]*value
	def   Origin
}

func (v *value) clone() *value {
	c := *v
	if v.list != nil {
		c.list = make([]*value, len(v.list))
		for i, e := range v.list {
			c.list[i] = e.clone()
		}
	}
	if v.table != nil {
		c.table = make(map[string]*value, len(v.table))
		for k, e := range v.table {
			c.table[k] = e.clone()
		}
	}
	return &c
}

func newTable(def Origin) *value {
	return &value{kind: kindTable, table: map[string]*value{}, def: def}
}

// nonMergeableLists are the keys whose list values replace each other instead
// of being concatenated: each of them is a program with its arguments.
var nonMergeableLists = []string{
	"credential-alias.*",
	"doc.browser",
	"host.runner",
	"registries.*.credential-provider",
	"registry.credential-provider",
	"target.*.runner",
}

func isNonMergeable(path []string) bool {
	for _, pattern := range nonMergeableLists {
		parts := strings.Split(pattern, ".")
		if len(parts) != len(path) {
			continue
		}
		ok := true
		for i, p := range parts {
			if p != "*" && p != path[i] {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// merge merges from into v the way cargo does. With force (includes,
// --config, credentials) an incoming scalar of equal priority replaces the
// existing one and incoming list elements go last; without force (discovered
// files, merged from the deepest outwards) the existing value stays and
// incoming list elements go first. A higher-priority origin always wins.
// Lists and tables cannot be mixed with other kinds.
func (v *value) merge(from *value, force bool, path []string, notes *[]listClash) error {
	higher := from.def.higher(v.def)
	switch {
	case v.kind == kindList && from.kind == kindList:
		if isNonMergeable(path) {
			if notes != nil && len(v.list) > 0 && len(from.list) > 0 {
				*notes = append(*notes, listClash{key: append([]string{}, path...), kept: v.def, other: from.def})
			}
			if force || higher {
				v.list = from.list
			}
		} else if force {
			v.list = append(v.list, from.list...)
		} else {
			v.list = append(append([]*value{}, from.list...), v.list...)
		}
		sortByPriority(v.list)
	case v.kind == kindTable && from.kind == kindTable:
		keys := make([]string, 0, len(from.table))
		for k := range from.table {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			incoming := from.table[k]
			existing, ok := v.table[k]
			if !ok {
				v.table[k] = incoming
				continue
			}
			sub := append(append([]string{}, path...), k)
			if err := existing.merge(incoming, force, sub, notes); err != nil {
				return fmt.Errorf("failed to merge key `%s` between %s and %s: %w",
					k, existing.def.cargoString(), incoming.def.cargoString(), err)
			}
		}
	case v.kind == kindList || v.kind == kindTable || from.kind == kindList || from.kind == kindTable:
		return fmt.Errorf("failed to merge config value from `%s` into `%s`: expected %s, but found %s",
			from.def.cargoString(), v.def.cargoString(), v.kind.desc(), from.kind.desc())
	default:
		if force || higher {
			*v = *from
		}
	}
	return nil
}

// listClash records two array values meeting at a non-mergeable key.
// Cargo 1.95 means to keep one of them, but its merge loses track of the key
// path after the first key it merges in a table (it never pops the path), so
// whether the arrays are replaced or concatenated depends on the iteration
// order of a Rust HashMap, which changes from run to run. This package keeps
// the intended result and warns.
type listClash struct {
	key         []string
	kept, other Origin
}

// sortByPriority is cargo's stable sort of list elements by origin kind:
// file entries, then environment words, then --config entries.
func sortByPriority(list []*value) {
	sort.SliceStable(list, func(i, j int) bool { return list[i].def.Kind < list[j].def.Kind })
}

// lookup walks a dotted key through tables. It reports cargo's error when a
// non-table value sits where a table is needed.
func (v *value) lookup(parts []string) (*value, error) {
	cur := v
	for i, p := range parts {
		if cur.kind != kindTable {
			return nil, fmt.Errorf("expected table for configuration key `%s`, but found %s in %s",
				strings.Join(parts[:i], "."), cur.kind.desc(), cur.def)
		}
		next, ok := cur.table[p]
		if !ok {
			return nil, nil
		}
		cur = next
	}
	return cur, nil
}

// expected is cargo's type error for a value of the wrong kind.
func (v *value) expected(want, key string) error {
	return fmt.Errorf("expected a %s, but found a %s for `%s` in %s", want, v.kind.desc(), key, v.def)
}
