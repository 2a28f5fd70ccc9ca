package auth

import (
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/cargo-auth/cargo-auth/cargoconfig"
	"github.com/cargo-auth/cargo-auth/credentials"
	"github.com/cargo-auth/cargo-auth/internal/redact"
)

// statusReport is what `cargo auth status` found. Its JSON form is the
// contract documented in docs/status.md ("JSON schema"): fields are added,
// never renamed or removed, and schema_version changes if that ever has to
// happen.
type statusReport struct {
	SchemaVersion   int               `json:"schema_version"`
	Tool            reportTool        `json:"tool"`
	Cwd             string            `json:"cwd"`
	ConfigFiles     []string          `json:"config_files"`
	CredentialsFile string            `json:"credentials_file,omitempty"`
	Offline         bool              `json:"offline"`
	Registries      []*statusRegistry `json:"registries"`
	// Problems are those that belong to no single registry.
	Problems []statusProblem `json:"problems"`
	Summary  statusSummary   `json:"summary"`
}

const statusSchemaVersion = 1

type statusSummary struct {
	Registries int `json:"registries"`
	Usable     int `json:"usable"`
	Unusable   int `json:"unusable"`
	Unverified int `json:"unverified"`
	Errors     int `json:"errors"`
	Warnings   int `json:"warnings"`
}

// The verdicts of a registry.
const (
	verdictUsable     = "usable"
	verdictUnusable   = "unusable"
	verdictUnverified = "unverified"
)

// statusRegistry is one registry's block.
type statusRegistry struct {
	Name     string       `json:"name"`
	IndexURL string       `json:"index_url"`
	Protocol string       `json:"protocol"`
	Defined  statusOrigin `json:"defined_in"`
	Env      statusEnvs   `json:"env"`
	// ReplacedBy is the source replacement chain after the registry, the
	// source cargo actually uses last; empty without replacement.
	ReplacedBy []string `json:"replaced_by"`
	// CredentialsFrom names the registry whose settings cargo reads for
	// the credentials when that is not Name (a replacement, or a
	// CARGO_REGISTRIES_<NAME>_INDEX that renames it).
	CredentialsFrom string `json:"credentials_from,omitempty"`
	// AuthRequired is whether cargo will need a token: from the live check,
	// or assumed (true) offline; null when unknown.
	AuthRequired *bool            `json:"auth_required"`
	Providers    []statusProvider `json:"providers"`
	// AnsweredBy indexes Providers: the provider that gives cargo its
	// token (or its error); null when none does.
	AnsweredBy *int            `json:"answered_by"`
	Token      *statusToken    `json:"token"`
	Live       *statusLive     `json:"live"`
	Problems   []statusProblem `json:"problems"`
	Verdict    string          `json:"verdict"`
	Usable     bool            `json:"usable"`

	// What the live check sends; never marshalled.
	secret credentials.Token
	header string
}

// statusOrigin is where something is configured.
type statusOrigin struct {
	// Kind is file, env, cli or default.
	Kind string `json:"kind"`
	Path string `json:"path,omitempty"`
	Line int    `json:"line,omitempty"`
	Env  string `json:"env,omitempty"`
	// Display is the origin as the human output shows it.
	Display string `json:"display"`
}

func originOfConfig(o cargoconfig.Origin) statusOrigin {
	out := statusOrigin{Path: o.Path, Line: o.Line, Env: o.Env, Display: o.String()}
	switch o.Kind {
	case cargoconfig.OriginFile:
		out.Kind = "file"
	case cargoconfig.OriginEnv:
		out.Kind = "env"
	case cargoconfig.OriginCLI:
		out.Kind = "cli"
	default:
		out.Kind, out.Display = "default", "cargo's default"
	}
	return out
}

// statusEnvs are the exact variables cargo reads for the registry.
type statusEnvs struct {
	Index              string `json:"index"`
	Token              string `json:"token"`
	CredentialProvider string `json:"credential_provider"`
}

// The outcomes of one provider in the simulated chain.
const (
	outcomeToken        = "token"
	outcomeNotFound     = "not-found"
	outcomeNotSupported = "url-not-supported"
	outcomeError        = "error"
	outcomeNotRun       = "not-run"
	outcomeNotReached   = "not-reached"
)

// statusProvider is one provider of the chain, in the order cargo tries
// them, and what it would answer.
type statusProvider struct {
	// Name is the built-in name or the program as cargo resolves it.
	Name string   `json:"name"`
	Args []string `json:"args,omitempty"`
	// Kind is builtin, cargo-auth or external.
	Kind    string       `json:"kind"`
	Alias   string       `json:"alias,omitempty"`
	Origin  statusOrigin `json:"origin"`
	Outcome string       `json:"outcome"`
	Detail  string       `json:"detail"`
}

// The token sources of statusToken.Source.
const (
	sourceCargoAuth       = "cargo-auth"
	sourceEnv             = "env"
	sourceCredentialsFile = "credentials-file"
	sourceConfig          = "config"
	sourceLibsecret       = "libsecret"
	sourceProvider        = "provider"
	sourceStdout          = "token-from-stdout"
)

// statusToken is the token cargo will send.
type statusToken struct {
	Source string `json:"source"`
	Origin string `json:"origin"`
	Masked string `json:"masked"`
	// Value is present only with --show-token.
	Value string `json:"value,omitempty"`
	// Scheme is the form of the Authorization value cargo sends: raw,
	// bearer, token or basic.
	Scheme  string     `json:"scheme"`
	Expires *time.Time `json:"expires,omitempty"`
	// RenewedBy names the token command that mints a fresh token before
	// this one expires; empty when nothing renews it.
	RenewedBy string `json:"renewed_by,omitempty"`
}

// statusLive is the live check of config.json.
type statusLive struct {
	// Result is ok, public, rejected, wrong-scheme, no-401,
	// no-auth-required, no-token, unreachable, timeout, error or skipped.
	Result    string       `json:"result"`
	Message   string       `json:"message"`
	URL       string       `json:"url"`
	Anonymous *statusProbe `json:"anonymous"`
	WithToken *statusProbe `json:"with_token"`
	// DL is config.json's dl, redacted; empty when unknown.
	DL string `json:"dl,omitempty"`
	// LatencyMS is the whole check's wall time.
	LatencyMS int64 `json:"latency_ms"`
}

// statusProbe is one request of the live check.
type statusProbe struct {
	// Status is the HTTP status, 0 when there was no answer.
	Status    int    `json:"status"`
	LatencyMS int64  `json:"latency_ms"`
	Error     string `json:"error,omitempty"`
	// AuthRequired is config.json's auth-required when the answer had one.
	AuthRequired *bool `json:"auth_required,omitempty"`
	// SentAs is the form of the credential sent (with_token only).
	SentAs string `json:"sent_as,omitempty"`
}

// statusProblem is one problem with its stable id and one-line fix.
type statusProblem struct {
	ID string `json:"id"`
	// Severity is error (cargo will fail: the registry is not usable) or
	// warning (cargo works, but something is unsafe or fragile).
	Severity string `json:"severity"`
	Message  string `json:"message"`
	Fix      string `json:"fix"`
	Origin   string `json:"origin,omitempty"`
}

// finish computes the verdict from the problems and the chain.
func (r *statusRegistry) finish() {
	if r.Problems == nil {
		r.Problems = []statusProblem{}
	}
	if r.ReplacedBy == nil {
		r.ReplacedBy = []string{}
	}
	if r.Providers == nil {
		r.Providers = []statusProvider{}
	}
	for i := range r.Providers {
		for j, a := range r.Providers[i].Args {
			r.Providers[i].Args[j] = redactArg(redact.Known(redact.Text(a)))
		}
	}
	r.Verdict = verdictUsable
	for _, p := range r.Problems {
		if p.Severity == severityError {
			r.Verdict = verdictUnusable
			break
		}
	}
	if r.Verdict == verdictUsable && r.unverified() {
		r.Verdict = verdictUnverified
	}
	r.Usable = r.Verdict != verdictUnusable
}

// unverified reports a chain whose answer depends on a provider that was
// not run.
func (r *statusRegistry) unverified() bool {
	return r.AnsweredBy != nil && r.Providers[*r.AnsweredBy].Outcome == outcomeNotRun
}

// summarize counts verdicts and problems.
func (rep *statusReport) summarize() {
	s := statusSummary{Registries: len(rep.Registries)}
	count := func(ps []statusProblem) {
		for _, p := range ps {
			if p.Severity == severityError {
				s.Errors++
			} else {
				s.Warnings++
			}
		}
	}
	for _, r := range rep.Registries {
		switch r.Verdict {
		case verdictUsable:
			s.Usable++
		case verdictUnverified:
			s.Unverified++
		default:
			s.Unusable++
		}
		count(r.Problems)
	}
	count(rep.Problems)
	rep.Summary = s
}

func writeStatusJSON(w io.Writer, rep *statusReport) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(rep); err != nil {
		return fmt.Errorf("writing the report: %w", err)
	}
	return nil
}
