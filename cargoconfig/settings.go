package cargoconfig

// BoolValue is a configured boolean and where it was defined.
type BoolValue struct {
	Value  bool
	Origin Origin
}

// GitFetchWithCLI is net.git-fetch-with-cli (or CARGO_NET_GIT_FETCH_WITH_CLI):
// whether cargo runs the git command line instead of libgit2. ok is false
// when it is not set.
func (c *Config) GitFetchWithCLI() (v BoolValue, ok bool, err error) {
	b, origin, ok, err := c.getBool(keyOf("net.git-fetch-with-cli"))
	return BoolValue{b, origin}, ok, err
}

// HTTPCAInfo is http.cainfo (or CARGO_HTTP_CAINFO) resolved as cargo does: a
// relative path is joined to the directory above the `.cargo` directory of
// the file that sets it (the current directory for the variable), whether
// or not it contains a slash. ok is false when it is not set.
func (c *Config) HTTPCAInfo() (path StringValue, ok bool, err error) {
	s, ok, err := c.optString(keyOf("http.cainfo"))
	if err != nil || !ok {
		return StringValue{}, ok, err
	}
	return StringValue{Value: joinPath(s.Origin.root(c.cwd), s.Value), Origin: s.Origin}, true, nil
}

// DefaultRegistry is registry.default (or CARGO_REGISTRY_DEFAULT): the
// registry cargo publishes to and searches when no --registry is given.
func (c *Config) DefaultRegistry() (StringValue, bool, error) {
	return c.optString(keyOf("registry.default"))
}

// RegistryIndexSetting is registry.index, which cargo no longer accepts: a
// set value makes every crates.io operation fail.
func (c *Config) RegistryIndexSetting() (StringValue, bool, error) {
	return c.optString(keyOf("registry.index"))
}

// GlobalCredentialProviders is registry.global-credential-providers as
// configured, in cargo's order (files outermost first, then the
// CARGO_REGISTRY_GLOBAL_CREDENTIAL_PROVIDERS words, then --config entries);
// cargo tries them from last to first. See Providers for the resolved chain.
func (c *Config) GlobalCredentialProviders() ([]StringValue, error) {
	list, _, err := c.getList(keyOf("registry.global-credential-providers"))
	return list, err
}
