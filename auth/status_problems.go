package auth

import "sort"

// The severities of a problem: an error means cargo will fail with the
// registry (it is not usable), a warning that cargo works but something is
// unsafe or fragile.
const (
	severityError   = "error"
	severityWarning = "warning"
)

// The problem ids `status` reports. They are a contract like exit codes:
// documented in docs/status.md, never renamed or reused.
const (
	probConfigInvalid       = "config.invalid"
	probLegacyShadows       = "config.legacy-shadows"
	probLegacyFile          = "config.legacy-file"
	probProviderNone        = "provider.none"
	probProviderNoToken     = "provider.no-token"
	probLibsecretFails      = "provider.libsecret-fails"
	probProviderUnsupported = "provider.unsupported"
	probProviderMissing     = "provider.missing"
	probProviderFailed      = "provider.failed"
	probProviderNotRun      = "provider.not-run"
	probTokenIgnored        = "token.ignored"
	probTokenShadowed       = "token.shadowed"
	probTokenExpired        = "token.expired"
	probTokenExpiring       = "token.expiring"
	probStoredExpired       = "token.stored-expired"
	probTokenRejected       = "token.rejected"
	probTokenWrongScheme    = "token.wrong-scheme"
	probTokenInGit          = "token.in-git"
	probTokenPlaintext      = "token.plaintext"
	probEnvCollision        = "env.name-collision"
	probEnvRenamed          = "env.renamed"
	probHTTPIndex           = "transport.http-index"
	probHTTPDL              = "transport.http-dl"
	probUnreachable         = "registry.unreachable"
	probTimeout             = "registry.timeout"
	probNo401               = "registry.no-401"
	probNoAuthRequired      = "registry.no-auth-required"
	probRegistryError       = "registry.error"
	probURLConfig           = "url.token-in-config"
	probURLEnv              = "url.token-in-env"
	probURLLockfile         = "url.token-in-lockfile"
)

// problemSeverity gives each id its severity.
var problemSeverity = map[string]string{
	probConfigInvalid:       severityError,
	probLegacyShadows:       severityWarning,
	probLegacyFile:          severityWarning,
	probProviderNone:        severityError,
	probProviderNoToken:     severityError,
	probLibsecretFails:      severityError,
	probProviderUnsupported: severityError,
	probProviderMissing:     severityError,
	probProviderFailed:      severityError,
	probProviderNotRun:      severityWarning,
	probTokenIgnored:        severityWarning,
	probTokenShadowed:       severityWarning,
	probTokenExpired:        severityError,
	probTokenExpiring:       severityWarning,
	probStoredExpired:       severityWarning,
	probTokenRejected:       severityError,
	probTokenWrongScheme:    severityError,
	probTokenInGit:          severityWarning,
	probTokenPlaintext:      severityWarning,
	probEnvCollision:        severityWarning,
	probEnvRenamed:          severityWarning,
	probHTTPIndex:           severityWarning,
	probHTTPDL:              severityWarning,
	probUnreachable:         severityError,
	probTimeout:             severityError,
	probNo401:               severityError,
	probNoAuthRequired:      severityError,
	probRegistryError:       severityError,
	probURLConfig:           severityWarning,
	probURLEnv:              severityWarning,
	probURLLockfile:         severityWarning,
}

// problemIDs lists every id, sorted (docs and tests walk it).
func problemIDs() []string {
	ids := make([]string, 0, len(problemSeverity))
	for id := range problemSeverity {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// newProblem makes a problem of a catalogued id.
func newProblem(id, message, fix string) statusProblem {
	sev, ok := problemSeverity[id]
	if !ok {
		panic("status: uncatalogued problem id " + id)
	}
	return statusProblem{ID: id, Severity: sev, Message: message, Fix: fix}
}

// add records a problem once (the same id and message twice is one).
func (r *statusRegistry) add(p statusProblem) {
	for _, q := range r.Problems {
		if q.ID == p.ID && q.Message == p.Message {
			return
		}
	}
	r.Problems = append(r.Problems, p)
}

// has reports whether a problem of this id was found.
func (r *statusRegistry) has(id string) bool {
	for _, q := range r.Problems {
		if q.ID == id {
			return true
		}
	}
	return false
}
