package cargoconfig

import (
	"fmt"
	"sort"
	"strings"
)

// configKey is a dotted configuration key together with the environment
// variable cargo reads for it: CARGO_ and the parts upper-cased with `-`
// turned into `_`, joined by `_` (a case-sensitive part, such as a source
// name, is appended as written).
type configKey struct {
	parts []string
	env   string
}

func keyOf(dotted string) configKey {
	k := configKey{env: "CARGO"}
	for _, p := range strings.Split(dotted, ".") {
		k = k.push(p)
	}
	return k
}

func (k configKey) push(part string) configKey {
	return configKey{
		parts: append(append([]string{}, k.parts...), part),
		env:   k.env + "_" + strings.ToUpper(strings.ReplaceAll(part, "-", "_")),
	}
}

func (k configKey) pushSensitive(part string) configKey {
	return configKey{parts: append(append([]string{}, k.parts...), part), env: k.env + "_" + part}
}

func (k configKey) String() string { return displayKey(k.parts) }

// EnvPrefix is the prefix of the environment variables cargo reads for the
// registry name: EnvPrefix("a-b") is "CARGO_REGISTRIES_A_B", so `a-b` and
// `a_b` share their variables.
func EnvPrefix(registryName string) string {
	return keyOf("registries").push(registryName).env
}

func (c *Config) envOrigin(name string) Origin { return Origin{Kind: OriginEnv, Env: name} }

// getCV is cargo's get_cv: the credentials view first, then the merged
// configuration. Environment variables are the caller's business.
func (c *Config) getCV(k configKey) (*value, error) {
	if c.creds != nil {
		v, err := c.creds.lookup(k.parts)
		if err != nil || v != nil {
			return v, err
		}
	}
	return c.values.lookup(k.parts)
}

// hasKey is cargo's test for an Option: the variable, a variable under it
// (when prefixOK), or a configured value.
func (c *Config) hasKey(k configKey, prefixOK bool) (bool, error) {
	if _, ok := c.env[k.env]; ok {
		return true, nil
	}
	if prefixOK {
		for name := range c.env {
			if strings.HasPrefix(name, k.env+"_") {
				return true, nil
			}
		}
	}
	v, err := c.getCV(k)
	return v != nil, err
}

// StringValue is a configured string and where it was defined.
type StringValue struct {
	Value  string
	Origin Origin
}

// getString is cargo's string getter: the file or --config value against
// the environment variable, the higher priority winning (--config beats the
// variable, the variable beats files).
func (c *Config) getString(k configKey) (StringValue, bool, error) {
	cv, err := c.getCV(k)
	if err != nil {
		return StringValue{}, false, err
	}
	envVal, hasEnv := c.env[k.env]
	envDef := c.envOrigin(k.env)
	if cv != nil {
		if cv.kind != kindString {
			return StringValue{}, false, fmt.Errorf("invalid configuration for key `%s`: %w", k, cv.expected("string", k.String()))
		}
		if !hasEnv || cv.def.higher(envDef) {
			return StringValue{cv.str, cv.def}, true, nil
		}
	}
	if hasEnv {
		return StringValue{envVal, envDef}, true, nil
	}
	return StringValue{}, false, nil
}

// optString is an Option<String> field: present when the key or a variable
// under it exists, and then it must be a string.
func (c *Config) optString(k configKey) (StringValue, bool, error) {
	ok, err := c.hasKey(k, true)
	if err != nil || !ok {
		return StringValue{}, false, err
	}
	s, ok, err := c.getString(k)
	if err == nil && !ok {
		err = fmt.Errorf("missing config key `%s`", k)
	}
	return s, ok, err
}

// getBool is cargo's boolean getter; a variable must be `true` or `false`.
func (c *Config) getBool(k configKey) (bool, Origin, bool, error) {
	cv, err := c.getCV(k)
	if err != nil {
		return false, Origin{}, false, err
	}
	envVal, hasEnv := c.env[k.env]
	envDef := c.envOrigin(k.env)
	if cv != nil {
		if cv.kind != kindBoolean {
			return false, Origin{}, false, fmt.Errorf("invalid configuration for key `%s`: %w", k, cv.expected("boolean", k.String()))
		}
		if !hasEnv || cv.def.higher(envDef) {
			return cv.flag, cv.def, true, nil
		}
	}
	if hasEnv {
		switch envVal {
		case "true":
			return true, envDef, true, nil
		case "false":
			return false, envDef, true, nil
		}
		return false, Origin{}, false, fmt.Errorf("error in %s: could not load config key `%s`: provided string was not `true` or `false`", envDef, k)
	}
	return false, Origin{}, false, nil
}

// envList appends the words of the key's variable to a list the way cargo
// does: after the file entries and before --config ones. For a
// non-mergeable list the variable replaces file values but not --config
// ones.
func (c *Config) envList(k configKey, out []*value) []*value {
	envVal, ok := c.env[k.env]
	if !ok {
		return out
	}
	def := c.envOrigin(k.env)
	if isNonMergeable(k.parts) {
		if len(out) > 0 && out[0].def.higher(def) {
			return out
		}
		out = nil
	}
	for _, w := range strings.Fields(envVal) {
		out = append(out, &value{kind: kindString, str: w, def: def})
	}
	sortByPriority(out)
	return out
}

// getList is cargo's Vec<Value<String>>: the configured array followed by
// the words of the variable, or nothing when neither exists.
func (c *Config) getList(k configKey) ([]StringValue, bool, error) {
	ok, err := c.hasKey(k, true)
	if err != nil || !ok {
		return nil, false, err
	}
	cv, err := c.getCV(k)
	if err != nil {
		return nil, false, err
	}
	var items []*value
	if cv != nil {
		if cv.kind != kindList {
			return nil, false, fmt.Errorf("invalid configuration for key `%s`: %w", k, cv.expected("list", k.String()))
		}
		items = append(items, cv.list...)
	}
	items = c.envList(k, items)
	out := make([]StringValue, 0, len(items))
	for _, it := range items {
		if it.kind != kindString {
			return nil, false, fmt.Errorf("invalid configuration for key `%s`: expected a list of string, but found %s in %s", k, it.kind.desc(), it.def)
		}
		out = append(out, StringValue{it.str, it.def})
	}
	return out, true, nil
}

// pathAndArgs is cargo's PathAndArgs: a program and its arguments, given as
// an array or as one whitespace-separated string. origin is the definition
// cargo resolves a relative program path against; for an array replaced
// by another array it stays the origin of the first array cargo saw.
type pathAndArgs struct {
	argv   []string
	origin Origin
}

// getPathAndArgs reads a program-with-arguments key. It reports false when
// the key is set nowhere, and an error when it is set to nothing.
func (c *Config) getPathAndArgs(k configKey) (pathAndArgs, bool, error) {
	cv, err := c.getCV(k)
	if err != nil {
		return pathAndArgs{}, false, err
	}
	_, hasEnv := c.env[k.env]
	envDef := c.envOrigin(k.env)
	def := envDef
	if cv != nil && !(hasEnv && envDef.higher(cv.def)) {
		def = cv.def
	}
	var items []*value
	if cv != nil {
		switch cv.kind {
		case kindList:
			items = append(items, cv.list...)
		case kindString:
			for _, w := range strings.Fields(cv.str) {
				items = append(items, &value{kind: kindString, str: w, def: cv.def})
			}
		default:
			return pathAndArgs{}, false, fmt.Errorf("invalid configuration for key `%s`: %w", k, cv.expected("string or array of strings", k.String()))
		}
	}
	items = c.envList(k, items)
	if cv == nil && !hasEnv {
		return pathAndArgs{}, false, nil
	}
	argv := make([]string, 0, len(items))
	for _, it := range items {
		if it.kind != kindString {
			return pathAndArgs{}, false, fmt.Errorf("invalid configuration for key `%s`: expected a string, but found %s in %s", k, it.kind.desc(), it.def)
		}
		argv = append(argv, it.str)
	}
	if len(argv) == 0 {
		return pathAndArgs{}, false, fmt.Errorf("invalid configuration for key `%s`: invalid length 0, expected at least one element (defined in %s)", k, def)
	}
	return pathAndArgs{argv: argv, origin: def}, true, nil
}

// tableKeys lists the keys of a configured table (credentials view first).
func (c *Config) tableKeys(k configKey) ([]string, *value, error) {
	cv, err := c.getCV(k)
	if err != nil || cv == nil {
		return nil, nil, err
	}
	if cv.kind != kindTable {
		return nil, nil, fmt.Errorf("invalid configuration for key `%s`: %w", k, cv.expected("table", k.String()))
	}
	keys := make([]string, 0, len(cv.table))
	for name := range cv.table {
		keys = append(keys, name)
	}
	sort.Strings(keys)
	return keys, cv, nil
}
