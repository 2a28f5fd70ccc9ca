package auth

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/pelletier/go-toml/v2"

	"github.com/cargo-auth/cargo-auth/credentials"
)

// crateSpec is a crate the audit probes: named on the command line, read
// from Cargo.lock, or discovered.
type crateSpec struct {
	Name string
	// Version is the version to download; "" until the index tells.
	Version string
	// Checksum is the index's sha256 of Version, "" until known.
	Checksum string
	// LockChecksum is the checksum Cargo.lock recorded, when it was the
	// source.
	LockChecksum string
}

// parseCrateSpecs reads --crate NAME[@VERSION] values.
func parseCrateSpecs(values []string) ([]crateSpec, error) {
	var out []crateSpec
	seen := map[string]bool{}
	for _, v := range values {
		name, version, _ := strings.Cut(strings.TrimSpace(v), "@")
		if !validCrateName(name) {
			return nil, usageErrorf("--crate %q: not a crate name", redactArg(v))
		}
		if version != "" && !plausibleVersion(version) {
			return nil, usageErrorf("--crate %q: %q is not a version", redactArg(v), redactArg(version))
		}
		key := strings.ToLower(name) + "@" + version
		if !seen[key] {
			seen[key] = true
			out = append(out, crateSpec{Name: name, Version: version})
		}
	}
	return out, nil
}

// lockfile is the part of Cargo.lock the audit reads.
type lockfile struct {
	Package []struct {
		Name     string `toml:"name"`
		Version  string `toml:"version"`
		Source   string `toml:"source"`
		Checksum string `toml:"checksum"`
	} `toml:"package"`
}

// cratesFromLockfile returns the packages of a Cargo.lock that come from the
// target registry. A lockfile without any is a usage error: the audit would
// silently check nothing.
func cratesFromLockfile(path string, target verifyTarget) ([]crateSpec, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("--crates-from: %w", err)
	}
	var lock lockfile
	if err := toml.Unmarshal(data, &lock); err != nil {
		return nil, fmt.Errorf("--crates-from %s: %w", path, err)
	}
	var out []crateSpec
	for _, p := range lock.Package {
		if p.Source == "" || !sameRegistrySource(p.Source, target) {
			continue
		}
		out = append(out, crateSpec{Name: p.Name, Version: p.Version, LockChecksum: p.Checksum})
	}
	if len(out) == 0 {
		return nil, withExitCode(ExitUsage, withHint(
			fmt.Errorf("--crates-from %s: no package comes from %s", path, target.Label()),
			"the lockfile's source lines must name this registry's index URL"))
	}
	return out, nil
}

// sameRegistrySource reports whether a Cargo.lock source line
// ("sparse+https://...", "registry+https://...") names the target's index.
func sameRegistrySource(source string, target verifyTarget) bool {
	source, _, _ = strings.Cut(source, "#")
	switch {
	case strings.HasPrefix(source, "sparse+"):
		return target.Protocol == protocolSparse && credentials.MatchIndexURL(source, "sparse+"+target.Base.String())
	case strings.HasPrefix(source, "registry+"):
		return target.Protocol == protocolGit && credentials.MatchIndexURL(strings.TrimPrefix(source, "registry+"), target.Base.String())
	}
	return false
}

// indexLine is the part of an index entry the audit needs.
type indexLine struct {
	Name   string `json:"name"`
	Vers   string `json:"vers"`
	Cksum  string `json:"cksum"`
	Yanked bool   `json:"yanked"`
}

// parseIndexFile reads an index file's lines; malformed lines are skipped,
// as cargo skips lines it cannot read.
func parseIndexFile(body []byte) []indexLine {
	var out []indexLine
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		var l indexLine
		if json.Unmarshal(sc.Bytes(), &l) == nil && l.Name != "" && l.Vers != "" {
			out = append(out, l)
		}
	}
	return out
}

// pickVersion fills in the version to download and its checksum from the
// index lines: the named version, else the highest one not yanked (the
// highest of all when every version is yanked). It reports false when the
// named version is not there.
func (c *crateSpec) pickVersion(lines []indexLine) bool {
	var best *indexLine
	for i := range lines {
		l := &lines[i]
		if !strings.EqualFold(l.Name, c.Name) {
			continue
		}
		if c.Version != "" {
			if l.Vers == c.Version {
				c.Name, c.Checksum = l.Name, l.Cksum
				return true
			}
			continue
		}
		if best == nil || (best.Yanked && !l.Yanked) || (best.Yanked == l.Yanked && compareSemver(l.Vers, best.Vers) > 0) {
			best = l
		}
	}
	if c.Version != "" || best == nil {
		return false
	}
	c.Name, c.Version, c.Checksum = best.Name, best.Vers, best.Cksum
	return true
}

// validCrateName follows cargo's rules: ASCII letters, digits, '-' and '_',
// starting with a letter, at most 64 characters.
func validCrateName(name string) bool {
	if name == "" || len(name) > 64 {
		return false
	}
	for i, c := range name {
		letter := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
		if !letter && (i == 0 || !(c >= '0' && c <= '9' || c == '-' || c == '_')) {
			return false
		}
	}
	return true
}

// plausibleVersion accepts what could be a SemVer version, without judging
// pre-release and build parts in detail.
func plausibleVersion(v string) bool {
	core, _, _ := strings.Cut(v, "+")
	core, _, _ = strings.Cut(core, "-")
	parts := strings.Split(core, ".")
	if len(parts) != 3 {
		return false
	}
	for _, p := range parts {
		if _, err := strconv.ParseUint(p, 10, 64); err != nil {
			return false
		}
	}
	return true
}

// compareSemver orders versions by their numbers, a pre-release before its
// release; build metadata is ignored.
func compareSemver(a, b string) int {
	split := func(v string) ([3]uint64, string) {
		v, _, _ = strings.Cut(v, "+")
		core, pre, _ := strings.Cut(v, "-")
		var n [3]uint64
		for i, p := range strings.SplitN(core, ".", 3) {
			n[i], _ = strconv.ParseUint(p, 10, 64)
		}
		return n, pre
	}
	na, pa := split(a)
	nb, pb := split(b)
	for i := range na {
		if na[i] != nb[i] {
			if na[i] < nb[i] {
				return -1
			}
			return 1
		}
	}
	switch {
	case pa == pb:
		return 0
	case pa == "":
		return 1
	case pb == "":
		return -1
	}
	return strings.Compare(pa, pb)
}

// indexPath is a crate's index file path, as the book's "Index files"
// section lays it out: 1/, 2/, 3/{first-char}/, else {first-two}/{second-two}/,
// all lower-cased.
func indexPath(name string) string {
	lower := strings.ToLower(name)
	return cratePrefix(lower) + "/" + lower
}

// cratePrefix is the dl template's {prefix} of a name (without case
// conversion).
func cratePrefix(name string) string {
	switch len(name) {
	case 0:
		return ""
	case 1:
		return "1"
	case 2:
		return "2"
	case 3:
		return "3/" + name[:1]
	}
	return name[:2] + "/" + name[2:4]
}

// errNeedsChecksum is returned by expandDL for a template that needs a
// checksum the audit does not know.
var errNeedsChecksum = errors.New("the dl template needs {sha256-checksum}, which is unknown without the index")

// expandDL expands config.json's dl for one version. The book: "The value
// may have the following markers which will be replaced with their
// corresponding value: {crate}, {version}, {prefix}, {lowerprefix},
// {sha256-checksum}. If none of the markers are present, then the value
// /{crate}/{version}/download is appended to the end."
func expandDL(template, name, version, cksum string) (string, error) {
	markers := []string{"{crate}", "{version}", "{prefix}", "{lowerprefix}", "{sha256-checksum}"}
	found := false
	for _, m := range markers {
		found = found || strings.Contains(template, m)
	}
	if !found {
		template = strings.TrimSuffix(template, "/") + "/{crate}/{version}/download"
	}
	if cksum == "" && strings.Contains(template, "{sha256-checksum}") {
		return "", errNeedsChecksum
	}
	return strings.NewReplacer(
		"{crate}", name,
		"{version}", version,
		"{prefix}", cratePrefix(name),
		"{lowerprefix}", cratePrefix(strings.ToLower(name)),
		"{sha256-checksum}", cksum,
	).Replace(template), nil
}
