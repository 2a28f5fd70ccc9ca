package cargoconfig

// WarningKind classifies a Warning.
type WarningKind int

// The things cargo warns about, and a few it should.
const (
	// WarnLegacyFile: a `config` or `credentials` file without `.toml`.
	WarnLegacyFile WarningKind = iota + 1
	// WarnLegacyShadows: both `config` and `config.toml` exist; cargo
	// reads only the legacy one.
	WarnLegacyShadows
	// WarnTokenIgnored: a registry has a token that its providers never
	// read.
	WarnTokenIgnored
	// WarnAliasShadowsBuiltin: a `[credential-alias]` entry named like a
	// built-in provider, which cargo ignores.
	WarnAliasShadowsBuiltin
	// WarnNameCollision: two registry names map to the same
	// CARGO_REGISTRIES_<NAME>_* variables (`a-b` and `a_b`).
	WarnNameCollision
	// WarnRegistryRenamed: cargo looks a registry's credentials up under
	// another name than the one configured (its index is also given by a
	// CARGO_REGISTRIES_<NAME>_INDEX variable).
	WarnRegistryRenamed
	// WarnUnstableMerge: a credential-provider or credential-alias array is
	// defined in two places; cargo 1.95 sometimes joins the arrays.
	WarnUnstableMerge
)

// Warning is something cargo warns about, with the origin to fix.
type Warning struct {
	Kind    WarningKind
	Message string
	Origin  Origin
}

func (w Warning) String() string { return w.Message + " (" + w.Origin.String() + ")" }
