package main

import (
	"github.com/rogpeppe/go-internal/testscript"
)

// cmdAllowTree declares a directory whose files may hold a test token,
// now and later: cargo's own cache of a path-token registry keeps the
// registry's config.json, whose dl embeds the token by design.
//
//	allow-tree DIR...
func cmdAllowTree(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) == 0 {
		ts.Fatalf("usage: allow-tree DIR...")
	}
	allowed, _ := ts.Value(allowTokenKey{}).(map[string]bool)
	for _, a := range args {
		allowTree(allowed, ts.MkAbs(a))
	}
}
