package cargoconfig

import (
	"fmt"
	"sort"
	"strings"
)

// Source is one `[source.<name>]` table (source replacement). A field whose
// Origin.Kind is OriginDefault is not set.
type Source struct {
	Name string
	// ReplaceWith names the source (or `[registries]` entry) that replaces
	// this one.
	ReplaceWith StringValue
	// Registry is a registry index URL; it may carry a token in its
	// userinfo, which cargo accepts here and keeps out of Cargo.lock.
	Registry StringValue
	// LocalRegistry and Directory are paths, resolved like cargo resolves
	// them (relative to the directory above `.cargo`).
	LocalRegistry, Directory StringValue
	// Git, Branch, Tag and Rev describe a git source.
	Git, Branch, Tag, Rev StringValue
}

// location is the id cargo derives from the table, used to spot two
// sources defining the same place; "" when none is set.
func (s *Source) location() string {
	switch {
	case s.Registry.Origin.Kind != OriginDefault:
		if u, err := canonicalURL(s.Registry.Value); err == nil {
			return "registry " + u
		}
		return "registry " + s.Registry.Value
	case s.LocalRegistry.Origin.Kind != OriginDefault:
		return "local-registry " + s.LocalRegistry.Value
	case s.Directory.Origin.Kind != OriginDefault:
		return "directory " + s.Directory.Value
	case s.Git.Origin.Kind != OriginDefault:
		return "git " + s.Git.Value
	}
	return ""
}

// Sources lists the `[source]` tables by name, checked as cargo checks them
// before any build: every source needs exactly one location (`crates-io`
// excepted), branch/tag/rev need `git`, URLs must parse, and no two sources
// may define the same location.
func (c *Config) Sources() (map[string]*Source, error) {
	c = c.withoutCredentials()
	names, _, err := c.tableKeys(keyOf("source"))
	if err != nil {
		return nil, err
	}
	out := map[string]*Source{}
	byLocation := map[string]string{}
	for _, name := range names {
		s, err := c.source(name)
		if err != nil {
			return nil, err
		}
		loc := s.location()
		if loc != "" {
			if other, dup := byLocation[loc]; dup && name != CratesIO {
				return nil, fmt.Errorf("source `%s` defines source %s, but that source is already defined by `%s`\nnote: Sources are not allowed to be defined multiple times.", name, loc, other)
			}
			byLocation[loc] = name
		}
		out[name] = s
	}
	return out, nil
}

func (c *Config) source(name string) (*Source, error) {
	k := keyOf("source").pushSensitive(name)
	s := &Source{Name: name}
	fields := []struct {
		key string
		dst *StringValue
	}{
		{"replace-with", &s.ReplaceWith}, {"registry", &s.Registry},
		{"local-registry", &s.LocalRegistry}, {"directory", &s.Directory},
		{"git", &s.Git}, {"branch", &s.Branch}, {"tag", &s.Tag}, {"rev", &s.Rev},
	}
	for _, f := range fields {
		v, ok, err := c.getString(k.push(f.key))
		if err != nil {
			return nil, err
		}
		if ok {
			*f.dst = v
		}
	}
	for _, p := range []*StringValue{&s.LocalRegistry, &s.Directory} {
		if p.Origin.Kind != OriginDefault {
			p.Value = joinPath(p.Origin.root(c.cwd), p.Value)
		}
	}
	for _, u := range []struct {
		key string
		v   StringValue
	}{{"registry", s.Registry}, {"git", s.Git}} {
		if u.v.Origin.Kind == OriginDefault {
			continue
		}
		if _, err := parseURL(u.v.Value); err != nil {
			return nil, fmt.Errorf("configuration key `source.%s.%s` specified an invalid URL (in %s): %w", name, u.key, u.v.Origin, err)
		}
	}
	if s.Git.Origin.Kind == OriginDefault {
		for _, r := range []struct {
			key string
			v   StringValue
		}{{"branch", s.Branch}, {"tag", s.Tag}, {"rev", s.Rev}} {
			if r.v.Origin.Kind != OriginDefault {
				return nil, fmt.Errorf("source definition `source.%s` specifies `%s`, but that requires a `git` key to be specified (in %s)", name, r.key, r.v.Origin)
			}
		}
	}
	n := 0
	for _, v := range []StringValue{s.Registry, s.LocalRegistry, s.Directory, s.Git} {
		if v.Origin.Kind != OriginDefault {
			n++
		}
	}
	switch {
	case n == 0 && name != CratesIO:
		return nil, fmt.Errorf("no source location specified for `source.%s`, need `registry`, `local-registry`, `directory`, or `git` defined", name)
	case n > 1:
		return nil, fmt.Errorf("more than one source location specified for `source.%s`", name)
	}
	return s, nil
}

// Resolve follows the `replace-with` chain from the named source and returns
// the names along it, the original first and the source actually used last.
// As in cargo, a name that is not a `[source]` table may be a `[registries]`
// entry (which ends the chain), `crates-io` is always a source, and a chain
// that comes back to its start is an error. A loop that does not come back
// to the start is reported too (cargo would follow it forever).
func (c *Config) Resolve(name string) ([]string, error) {
	c = c.withoutCredentials()
	sources, err := c.Sources()
	if err != nil {
		return nil, err
	}
	chain := []string{name}
	visited := map[string]bool{name: true}
	orig, loc, cur := name, "", name
	for {
		s, ok := sources[cur]
		if !ok {
			if cur == CratesIO && cur == orig {
				return chain, nil
			}
			if cur != orig {
				if _, err := c.RegistryIndex(cur); err == nil {
					return chain, nil
				}
			}
			if cur == orig {
				return chain, nil
			}
			return nil, fmt.Errorf("could not find a configured source with the name `%s` when attempting to lookup `%s` (configuration in `%s`)", cur, orig, loc)
		}
		if s.ReplaceWith.Origin.Kind == OriginDefault {
			if cur != orig && s.Registry.Origin.Kind != OriginDefault {
				// Cargo loads the replacement, and only then checks its URL.
				if u, err := parseURL(s.Registry.Value); err == nil {
					if err := checkSparseSlash(u); err != nil {
						return nil, err
					}
				}
			}
			return chain, nil
		}
		cur, loc = s.ReplaceWith.Value, s.ReplaceWith.Origin.String()
		if cur == orig {
			return nil, fmt.Errorf("detected a cycle of `replace-with` sources, the source `%s` is eventually replaced with itself (configuration in `%s`)", cur, loc)
		}
		if visited[cur] {
			return nil, fmt.Errorf("detected a cycle of `replace-with` sources: `%s` is replaced with `%s`, which is already in the chain %s (configuration in `%s`)",
				chain[len(chain)-1], cur, strings.Join(chain, " -> "), loc)
		}
		visited[cur] = true
		chain = append(chain, cur)
	}
}

// SourceNames lists the names of the `[source]` tables, sorted.
func (c *Config) SourceNames() []string {
	names, _, _ := c.tableKeys(keyOf("source"))
	sort.Strings(names)
	return names
}

// ReplacementOf is the source replacement cargo applies to a registry's
// index: the `replace-with` chain (see Resolve) starting at the `[source]`
// table whose `registry` is the registry's index (`crates-io` for
// crates.io), or nil when no source names that index.
func (c *Config) ReplacementOf(registryName string) ([]string, error) {
	c = c.withoutCredentials()
	sources, err := c.Sources()
	if err != nil {
		return nil, err
	}
	if registryName == CratesIO {
		return c.Resolve(CratesIO)
	}
	idx, err := c.RegistryIndex(registryName)
	if err != nil {
		return nil, err
	}
	want, err := canonicalURL(idx.Value)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(sources))
	for n := range sources {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		s := sources[n]
		if s.Registry.Origin.Kind == OriginDefault {
			continue
		}
		if got, err := canonicalURL(s.Registry.Value); err == nil && got == want {
			return c.Resolve(n)
		}
	}
	return nil, nil
}
