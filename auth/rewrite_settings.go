package auth

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/cargo-auth/cargo-auth/cargoconfig/tomledit"
)

// rewriteSettingsFile is cargo-auth's own file for per-registry
// rewrite-config settings. It is looked for where cargo looks for its
// configuration (see loadRewriteSettings), holds no secret (a template
// has a {token} placeholder, never a token) and can be committed, so a CI
// job runs `cargo auth rewrite-config` with no flags:
//
//	[rewrite.corp]
//	mode = "path"          # path | userinfo | native
//	template = "sparse+https://dl.example.com/{token}/acme/repo/cargo/"
//
//	[rewrite.gitea]
//	mode = "userinfo"
//	user = "ci-bot"        # the user name in https://ci-bot:<token>@...
//	url = "https://gitea.example/acme/_cargo-index.git"   # default: the registry's index
const rewriteSettingsFile = "cargo-auth.toml"

// The modes of rewrite-config.
const (
	modePath     = "path"
	modeUserinfo = "userinfo"
	modeNative   = "native"
)

// rewriteSetting is how one registry is rewritten.
type rewriteSetting struct {
	Mode     string
	Template string
	User     string
	URL      string
	// Origin is the file (and line) the setting came from, "" for flags.
	Origin string
}

// loadRewriteSettings reads the [rewrite.<registry>] tables of
// .cargo/cargo-auth.toml in dir and each of its parents, then of
// $CARGO_HOME/cargo-auth.toml. For each registry the deepest file wins, as
// in cargo's own configuration; tables are not merged across files. A
// malformed file is an error with its path, line and column; a missing one
// is not.
func loadRewriteSettings(dir, cargoHome, home string) (map[string]rewriteSetting, error) {
	var files []string
	for _, d := range ancestorDirs(dir) {
		files = append(files, filepath.Join(d, ".cargo", rewriteSettingsFile))
	}
	files = append(files, filepath.Join(cargoHome, rewriteSettingsFile))
	out := map[string]rewriteSetting{}
	seen := map[string]bool{}
	for _, path := range files {
		if seen[path] {
			continue
		}
		seen[path] = true
		data, err := os.ReadFile(path)
		if err != nil && !fileExists(path) {
			continue // missing, or behind a directory we may not enter
		}
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", path, err)
		}
		doc, err := tomledit.Parse(path, data)
		if err != nil {
			return nil, err
		}
		for _, name := range doc.Keys("rewrite") {
			if _, deeper := out[name]; deeper {
				continue
			}
			s, err := parseRewriteSetting(doc, name, displayPath(home, "", path))
			if err != nil {
				return nil, err
			}
			out[name] = s
		}
	}
	return out, nil
}

func parseRewriteSetting(doc *tomledit.Document, name, where string) (rewriteSetting, error) {
	s := rewriteSetting{}
	line := 0
	for _, key := range doc.Keys("rewrite", name) {
		v, ok := doc.Get("rewrite", name, key)
		if !ok {
			return s, fmt.Errorf("%s: [rewrite.%s] %s must be a string", where, name, key)
		}
		line = v.Span().Line
		str, ok := v.AsString()
		if !ok {
			return s, fmt.Errorf("%s:%d: [rewrite.%s] %s must be a string", where, line, name, key)
		}
		switch key {
		case "mode":
			s.Mode = str
		case "template":
			s.Template = str
		case "user":
			s.User = str
		case "url":
			s.URL = str
		default:
			return s, withHint(fmt.Errorf("%s:%d: unknown key %q in [rewrite.%s]", where, line, key, name),
				"the keys are mode, template, user and url (see docs/rewrite-config.md)")
		}
	}
	if line > 0 {
		s.Origin = fmt.Sprintf("%s:%d", where, line)
	} else {
		s.Origin = where
	}
	return s, nil
}

// settingNames lists the registries that have settings, sorted.
func settingNames(settings map[string]rewriteSetting) []string {
	names := make([]string, 0, len(settings))
	for n := range settings {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
