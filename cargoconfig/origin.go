// Package cargoconfig models cargo's configuration the way cargo 1.95 reads
// it: where it looks for files, how it merges them with `include`s,
// `--config` arguments, `credentials.toml` and `CARGO_*` variables, and what
// that means for registries, their tokens and their credential providers.
//
// Every value keeps its origin (file and line, environment variable or
// `--config` argument) so that commands can tell the user where to look.
// Where the cargo book and cargo disagree, this package follows cargo, and a
// test pins the behaviour (see differential_test.go, which compares this
// package with the real cargo on generated configuration trees).
package cargoconfig

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/cargo-auth/cargo-auth/internal/redact"
)

// OriginKind says what kind of place a configuration value comes from. The
// kinds are ordered by cargo's priority: a value from a later kind beats one
// from an earlier kind, whatever the order of loading.
type OriginKind int

// Cargo's definition kinds, lowest priority first.
const (
	// OriginDefault is a value cargo assumes when nothing is configured.
	OriginDefault OriginKind = iota
	// OriginFile is a configuration file found by discovery, an included
	// file, or the credentials file.
	OriginFile
	// OriginEnv is a CARGO_* environment variable.
	OriginEnv
	// OriginCLI is a --config argument, either KEY=VALUE or a file (and the
	// files that file includes).
	OriginCLI
)

// Origin is where a configuration value was defined.
type Origin struct {
	Kind OriginKind
	// Path is the file for OriginFile, and for OriginCLI when the argument
	// was a file (or a file it included).
	Path string
	// Line and Column locate the value in Path, 1-based; zero when unknown.
	Line, Column int
	// Env is the variable name for OriginEnv.
	Env string
	// Arg is the --config argument for OriginCLI with a KEY=VALUE argument.
	Arg string

	home string // shown as ~ in String
}

// higher reports whether o beats other in cargo's priority (command line over
// environment over files). Values of the same kind are equal: the order of
// loading decides between them.
func (o Origin) higher(other Origin) bool { return o.Kind > other.Kind }

// String describes the origin for a user, never showing a secret:
// `~/.cargo/config.toml:12`, `environment variable CARGO_REGISTRIES_CORP_TOKEN`,
// `--config 'registries.corp.index="…"'`. URLs in --config arguments are
// redacted.
func (o Origin) String() string {
	switch o.Kind {
	case OriginFile:
		return o.location()
	case OriginEnv:
		return "environment variable " + o.Env
	case OriginCLI:
		if o.Path != "" {
			return "--config " + o.location()
		}
		arg := o.Arg
		if k, _, ok := strings.Cut(arg, "="); ok && strings.Contains(strings.ToLower(k), "token") {
			arg = k + "=" + redact.Placeholder
		}
		return "--config '" + redact.Text(arg) + "'"
	}
	return "default"
}

func (o Origin) location() string {
	p := o.Path
	if o.home != "" {
		if rel, err := filepath.Rel(o.home, p); err == nil && rel != "." && !strings.HasPrefix(rel, "..") {
			p = "~" + string(filepath.Separator) + rel
		}
	}
	if o.Line > 0 {
		return fmt.Sprintf("%s:%d", p, o.Line)
	}
	return p
}

// cargoString is cargo's own rendering of a definition, as `cargo config get
// --show-origin` prints it. The differential test compares it.
func (o Origin) cargoString() string {
	switch o.Kind {
	case OriginFile:
		return o.Path
	case OriginEnv:
		return "environment variable `" + o.Env + "`"
	case OriginCLI:
		if o.Path != "" {
			return o.Path
		}
		return "--config cli option"
	}
	return "default"
}

// root is the directory that relative paths in a value are resolved against:
// the parent of the directory holding the file (for `.cargo/config.toml` the
// project directory, for `$CARGO_HOME/config.toml` the parent of CARGO_HOME),
// or the current directory for environment variables and --config KEY=VALUE.
// Cargo applies the same rule to a --config FILE: its grandparent directory.
func (o Origin) root(cwd string) string {
	if (o.Kind == OriginFile || o.Kind == OriginCLI) && o.Path != "" {
		return parentDir(parentDir(o.Path))
	}
	return cwd
}

// parentDir is Rust's Path::parent for the absolute, slash-separated paths
// this package works with.
func parentDir(p string) string {
	p = strings.TrimRight(p, "/")
	i := strings.LastIndex(p, "/")
	if i <= 0 {
		return "/"
	}
	return strings.TrimRight(p[:i], "/")
}

// joinPath is Rust's Path::join: an absolute rel replaces base, and nothing
// is cleaned (cargo runs `/proj/../bin/p` as written).
func joinPath(base, rel string) string {
	if strings.HasPrefix(rel, "/") {
		return rel
	}
	if rel == "" {
		return base
	}
	if strings.HasSuffix(base, "/") {
		return base + rel
	}
	return base + "/" + rel
}
