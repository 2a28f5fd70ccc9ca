package registrytest

import (
	"encoding/json"
	"fmt"
	"strings"
)

// IndexPath is the path of a crate's index file relative to the index root,
// as the cargo book's "Index files" section lays it out:
//
//	Packages with 1 character names are placed in a directory named 1.
//	Packages with 2 character names are placed in a directory named 2.
//	Packages with 3 character names are placed in the directory
//	3/{first-character} [...]. All other packages are stored in directories
//	named {first-two}/{second-two} [...]. For example, cargo would be stored
//	in a file named ca/rg/cargo.
//
// The file name and its directories are the lowercased name.
func IndexPath(name string) string {
	lower := strings.ToLower(name)
	return Prefix(lower) + "/" + lower
}

// Prefix is the directory prefix of a crate name without case conversion,
// the dl template's {prefix} marker ("MyCrate" gives "My/Cr"). Lowercase the
// name first for {lowerprefix}.
func Prefix(name string) string {
	switch len(name) {
	case 0:
		return ""
	case 1:
		return "1"
	case 2:
		return "2"
	case 3:
		return "3/" + name[:1]
	default:
		return name[:2] + "/" + name[2:4]
	}
}

// ExpandDL expands a config.json dl template for one crate version. The book:
// "The value may have the following markers which will be replaced with their
// corresponding value: {crate}, {version}, {prefix}, {lowerprefix},
// {sha256-checksum}. If none of the markers are present, then the value
// /{crate}/{version}/download is appended to the end."
func ExpandDL(template, name, version, cksum string) string {
	markers := []string{"{crate}", "{version}", "{prefix}", "{lowerprefix}", "{sha256-checksum}"}
	found := false
	for _, m := range markers {
		if strings.Contains(template, m) {
			found = true
		}
	}
	if !found {
		template = strings.TrimSuffix(template, "/") + "/{crate}/{version}/download"
	}
	return strings.NewReplacer(
		"{crate}", name,
		"{version}", version,
		"{prefix}", Prefix(name),
		"{lowerprefix}", Prefix(strings.ToLower(name)),
		"{sha256-checksum}", cksum,
	).Replace(template)
}

// IndexEntry is one line of an index file, one published version, with the
// fields in the order and spelling of the book's "JSON schema" section.
type IndexEntry struct {
	Name        string              `json:"name"`
	Vers        string              `json:"vers"`
	Deps        []IndexDep          `json:"deps"`
	Cksum       string              `json:"cksum"`
	Features    map[string][]string `json:"features"`
	Yanked      bool                `json:"yanked"`
	Links       *string             `json:"links"`
	V           int                 `json:"v"`
	Features2   map[string][]string `json:"features2,omitempty"`
	RustVersion string              `json:"rust_version,omitempty"`
	Pubtime     string              `json:"pubtime,omitempty"`
}

// IndexDep is a dependency in an index line. Name is the name the dependent
// uses (the alias when renamed) and Package the real package name; Registry
// null means "the same registry as this index".
type IndexDep struct {
	Name            string   `json:"name"`
	Req             string   `json:"req"`
	Features        []string `json:"features"`
	Optional        bool     `json:"optional"`
	DefaultFeatures bool     `json:"default_features"`
	Target          *string  `json:"target"`
	Kind            string   `json:"kind"`
	Registry        *string  `json:"registry"`
	Package         *string  `json:"package"`
}

// splitFeatures moves the features using the newer syntax (`dep:` and weak
// `pkg?/feat`) to features2, as the book describes, and returns the schema
// version the line needs: 2 when features2 is present, else 1.
func splitFeatures(all map[string][]string) (features, features2 map[string][]string, v int) {
	features = map[string][]string{}
	for name, values := range all {
		modern := false
		for _, value := range values {
			if strings.HasPrefix(value, "dep:") || strings.Contains(value, "?/") {
				modern = true
			}
		}
		if values == nil {
			values = []string{}
		}
		if modern {
			if features2 == nil {
				features2 = map[string][]string{}
			}
			features2[name] = values
		} else {
			features[name] = values
		}
	}
	if features2 != nil {
		return features, features2, 2
	}
	return features, nil, 1
}

// line is the entry as one JSON line without the trailing newline.
func (e IndexEntry) line() []byte {
	if e.Deps == nil {
		e.Deps = []IndexDep{}
	}
	if e.Features == nil {
		e.Features = map[string][]string{}
	}
	for i := range e.Deps {
		if e.Deps[i].Features == nil {
			e.Deps[i].Features = []string{}
		}
	}
	b, err := json.Marshal(e)
	if err != nil {
		panic(fmt.Sprintf("registrytest: encoding an index line: %v", err))
	}
	return b
}

// indexConfig is config.json as the book's "Index Configuration" section
// defines it. AuthRequired is a pointer so that a registry can leave the key
// out entirely.
type indexConfig struct {
	DL           string `json:"dl"`
	API          string `json:"api,omitempty"`
	AuthRequired *bool  `json:"auth-required,omitempty"`
}

func (c indexConfig) encode() []byte {
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		panic(fmt.Sprintf("registrytest: encoding config.json: %v", err))
	}
	return append(b, '\n')
}

// validCrateName reports whether name follows the rules cargo itself
// enforces: ASCII alphanumerics, '-' and '_', first character alphabetic,
// at most 64 characters.
func validCrateName(name string) bool {
	if name == "" || len(name) > 64 {
		return false
	}
	for i, c := range name {
		alpha := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
		switch {
		case alpha:
		case i > 0 && (c >= '0' && c <= '9' || c == '-' || c == '_'):
		default:
			return false
		}
	}
	return true
}

// baseVersion strips SemVer build metadata: the book's "Version uniqueness"
// says 1.0.7 and 1.0.7+extra are the same version for the index.
func baseVersion(v string) string {
	if i := strings.IndexByte(v, '+'); i >= 0 {
		return v[:i]
	}
	return v
}

// validVersion is a loose SemVer check: three dot-separated numbers,
// optionally followed by a pre-release and build metadata.
func validVersion(v string) bool {
	core := baseVersion(v)
	if i := strings.IndexByte(core, '-'); i >= 0 {
		core = core[:i]
	}
	parts := strings.Split(core, ".")
	if len(parts) != 3 || len(v) > 128 {
		return false
	}
	for _, p := range parts {
		if p == "" {
			return false
		}
		for _, c := range p {
			if c < '0' || c > '9' {
				return false
			}
		}
	}
	return true
}
