package cargoconfig

import (
	"sort"
	"testing"
)

// shrink removes files, lines, variables and arguments one at a time while
// the query still disagrees.
func (h *harness) shrink(t *testing.T, tree *genTree, q query) *genTree {
	fails := func(c *genTree) bool {
		want, got, err := h.run(t, c, q)
		return err == nil && !equalOutcome(want, got)
	}
	cur := tree.clone()
	for changed := true; changed; {
		changed = false
		names := make([]string, 0, len(cur.files))
		for n := range cur.files {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			c := cur.clone()
			delete(c.files, n)
			if fails(c) {
				cur, changed = c, true
				continue
			}
			for i := len(cur.files[n]) - 1; i >= 0; i-- {
				c := cur.clone()
				c.files[n] = append(c.files[n][:i:i], c.files[n][i+1:]...)
				if fails(c) {
					cur, changed = c, true
				}
			}
		}
		for i := len(cur.env) - 1; i >= 0; i-- {
			c := cur.clone()
			c.env = append(c.env[:i:i], c.env[i+1:]...)
			if fails(c) {
				cur, changed = c, true
			}
		}
		for i := len(cur.args) - 1; i >= 0; i-- {
			c := cur.clone()
			c.args = append(c.args[:i:i], c.args[i+1:]...)
			if fails(c) {
				cur, changed = c, true
			}
		}
	}
	return cur
}
