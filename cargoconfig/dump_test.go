package cargoconfig

import (
	"fmt"
	"sort"
	"strings"
)

// showOrigin renders the merged files and --config values the way
// `cargo config get --show-origin` prints them, for the differential test.
func (c *Config) showOrigin() string {
	var b strings.Builder
	printTOML(&b, nil, c.values)
	return b.String()
}

func printTOML(b *strings.Builder, key []string, v *value) {
	k := displayKey(key)
	switch v.kind {
	case kindBoolean:
		fmt.Fprintf(b, "%s = %t # %s\n", k, v.flag, v.def.cargoString())
	case kindInteger:
		fmt.Fprintf(b, "%s = %d # %s\n", k, v.num, v.def.cargoString())
	case kindString:
		fmt.Fprintf(b, "%s = %s # %s\n", k, tomlString(v.str), v.def.cargoString())
	case kindList:
		fmt.Fprintf(b, "%s = [\n", k)
		for _, e := range v.list {
			s := "<non-string>"
			if e.kind == kindString {
				s = tomlString(e.str)
			}
			fmt.Fprintf(b, "    %s, # %s\n", s, e.def.cargoString())
		}
		b.WriteString("]\n")
	case kindTable:
		names := make([]string, 0, len(v.table))
		for n := range v.table {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			printTOML(b, append(append([]string{}, key...), n), v.table[n])
		}
	}
}

// tomlString is toml_edit's rendering of the plain strings the generator
// produces (no quotes, backslashes or control characters).
func tomlString(s string) string { return `"` + s + `"` }
