package cargoconfig

import (
	"fmt"
	"strings"

	"github.com/pelletier/go-toml/v2"
	"github.com/pelletier/go-toml/v2/unstable"
)

// mergeConfigArgs applies cargo's --config arguments in order. An argument
// naming an existing file (relative to the working directory) is loaded like
// a configuration file, includes and all; anything else must be one TOML
// dotted-key assignment. Every --config value beats the environment and the
// files.
func (c *Config) mergeConfigArgs(args []string) error {
	if len(args) == 0 {
		return nil
	}
	loaded := newTable(Origin{Kind: OriginCLI})
	seen := map[string]bool{} // shared by all file arguments, as in cargo
	for _, arg := range args {
		var v *value
		var err error
		if path := joinPath(c.cwd, arg); arg != "" && pathExists(path) {
			v, err = c.loadFile(path, seen, OriginCLI)
			if err != nil {
				return fmt.Errorf("failed to load config from `%s`: %w", path, err)
			}
		} else {
			v, err = parseConfigArg(arg)
			if err != nil {
				return err
			}
			if v, err = c.loadIncludes(v, map[string]bool{}, OriginCLI); err != nil {
				return fmt.Errorf("failed to load --config include: %w", err)
			}
		}
		if err := loaded.merge(v, true, nil, &c.clashes); err != nil {
			return fmt.Errorf("failed to merge --config argument `%s`: %w", arg, err)
		}
	}
	return c.values.merge(loaded, true, nil, &c.clashes)
}

// parseConfigArg parses a --config KEY=VALUE argument with cargo's rules:
// exactly one dotted key, a value that is not an inline table, no comments,
// and never a token.
func parseConfigArg(arg string) (*value, error) {
	notDotted := fmt.Errorf("--config argument `%s` was not a TOML dotted key expression (such as `build.jobs = 2`)", arg)
	p := &unstable.Parser{KeepComments: true}
	p.Reset([]byte(arg))
	kvs, inline, comment := 0, false, false
	for p.NextExpression() {
		e := p.Expression()
		switch e.Kind {
		case unstable.Comment:
			comment = true
		case unstable.KeyValue:
			kvs++
			inline = inline || e.Value().Kind == unstable.InlineTable
		default:
			kvs += 2 // a [table] header is never a dotted key expression
		}
	}
	if err := p.Error(); err != nil {
		return nil, fmt.Errorf("failed to parse value from --config argument `%s` as a dotted key expression: %v", arg, err)
	}
	switch {
	case comment || hasComment(arg):
		return nil, fmt.Errorf("--config argument `%s` includes non-whitespace decoration", arg)
	case kvs != 1:
		return nil, notDotted
	case inline:
		return nil, fmt.Errorf("--config argument `%s` sets a value to an inline table, which is not accepted", arg)
	}
	doc := map[string]any{}
	if err := toml.Unmarshal([]byte(arg), &doc); err != nil {
		return nil, fmt.Errorf("failed to parse value from --config argument `%s`: %v", arg, err)
	}
	if reg, ok := doc["registry"].(map[string]any); ok {
		if _, ok := reg["token"]; ok {
			return nil, fmt.Errorf("registry.token cannot be set through --config for security reasons")
		}
		if _, ok := reg["secret-key"]; ok {
			return nil, fmt.Errorf("registry.secret-key cannot be set through --config for security reasons")
		}
	}
	if regs, ok := doc["registries"].(map[string]any); ok {
		for name, r := range regs {
			if t, ok := r.(map[string]any); ok {
				if _, ok := t["token"]; ok {
					return nil, fmt.Errorf("registries.%s.token cannot be set through --config for security reasons", name)
				}
				if _, ok := t["secret-key"]; ok {
					return nil, fmt.Errorf("registries.%s.secret-key cannot be set through --config for security reasons", name)
				}
			}
		}
	}
	v, err := fromTOML(doc, Origin{Kind: OriginCLI, Arg: arg}, nil, nil)
	if err != nil {
		return nil, fmt.Errorf("failed to convert --config argument `%s`: %v", arg, strings.TrimPrefix(err.Error(), ": "))
	}
	return v, nil
}

// hasComment reports a `#` outside TOML strings.
func hasComment(s string) bool {
	var quote byte
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case quote == '"' && ch == '\\':
			i++
		case quote != 0 && ch == quote:
			quote = 0
		case quote == 0 && (ch == '"' || ch == '\''):
			quote = ch
		case quote == 0 && ch == '#':
			return true
		}
	}
	return false
}
