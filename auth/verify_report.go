package auth

import (
	"time"
)

// verifyReport is the result of an audit. Its JSON form is the contract
// documented in docs/verify.md ("JSON schema"): fields are added, never
// renamed or removed, and schema_version changes if that ever has to
// happen.
type verifyReport struct {
	SchemaVersion int            `json:"schema_version"`
	Tool          reportTool     `json:"tool"`
	Registry      reportRegistry `json:"registry"`
	Token         reportToken    `json:"token"`
	Crates        reportCrates   `json:"crates"`
	Checks        []checkResult  `json:"checks"`
	Summary       reportSummary  `json:"summary"`
	started       time.Time
}

type reportTool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

type reportRegistry struct {
	// Name is the registry's name in cargo's configuration, "" for an
	// index URL no configured registry has.
	Name     string `json:"name"`
	IndexURL string `json:"index_url"`
	Protocol string `json:"protocol"`
	// DL, API and AuthRequired are what config.json says; absent (null)
	// when it could not be read.
	DL           *string `json:"dl"`
	API          *string `json:"api"`
	AuthRequired *bool   `json:"auth_required"`
}

type reportToken struct {
	// Source is stdin, store, cargo-config or none.
	Source string `json:"source"`
	// Origin names where the token came from, never its value.
	Origin string `json:"origin,omitempty"`
	// Form is how cargo sends it: raw, bearer, token or basic.
	Form string `json:"form,omitempty"`
	// SentAs is the form the audit sent after the registry refused Form and
	// accepted another; equal to Form otherwise.
	SentAs string `json:"sent_as,omitempty"`
}

type reportCrates struct {
	// Source is flags, lockfile, search, git-index or none.
	Source string `json:"source"`
	// Crates is how many crates were probed; Versions how many of them had
	// a version to download.
	Crates   int `json:"crates"`
	Versions int `json:"versions"`
	// RegistryTotal is the number of crates the search API reported, when
	// crates were discovered that way.
	RegistryTotal int    `json:"registry_total,omitempty"`
	Note          string `json:"note,omitempty"`
}

type reportSummary struct {
	Pass  int `json:"pass"`
	Warn  int `json:"warn"`
	Fail  int `json:"fail"`
	Skip  int `json:"skip"`
	Total int `json:"total"`
	// Requests counts the HTTP requests the audit sent (git fetches not
	// included).
	Requests int `json:"requests"`
	// DurationMS is the audit's wall time in milliseconds.
	DurationMS int64 `json:"duration_ms"`
}

// reportSchemaVersion is the JSON report's schema version.
const reportSchemaVersion = 1

// report assembles the report from the audit's state.
func (a *audit) report() *verifyReport {
	r := &verifyReport{
		SchemaVersion: reportSchemaVersion,
		Tool:          reportTool{Name: "cargo-auth", Version: a.opts.Factory.Build.resolved().Version},
		Registry: reportRegistry{
			Name:     a.target.Name,
			IndexURL: redactedURL(a.target.IndexURL),
			Protocol: a.target.Protocol,
		},
		Token:   reportToken{Source: tokenNone},
		Crates:  reportCrates{Source: a.crateFrom, Crates: len(a.specs), Note: a.crateNote, RegistryTotal: a.searchSeen},
		Checks:  a.checks.sorted(),
		started: a.started,
	}
	if a.config != nil {
		dl, api := redactedURL(a.config.DL), redactedURL(a.config.API)
		r.Registry.DL = &dl
		if a.config.API != "" {
			r.Registry.API = &api
		}
		r.Registry.AuthRequired = a.config.AuthRequired
		if r.Registry.AuthRequired == nil {
			f := false
			r.Registry.AuthRequired = &f
		}
	}
	if a.token != nil {
		r.Token = reportToken{Source: a.token.Source, Origin: a.token.Origin, Form: a.token.form(), SentAs: a.authForm}
	}
	for _, s := range a.specs {
		if s.Version != "" {
			r.Crates.Versions++
		}
	}
	for _, c := range r.Checks {
		switch c.Status {
		case statusPass:
			r.Summary.Pass++
		case statusWarn:
			r.Summary.Warn++
		case statusFail:
			r.Summary.Fail++
		case statusSkip:
			r.Summary.Skip++
		}
	}
	r.Summary.Total = len(r.Checks)
	r.Summary.Requests = int(a.requests.Load())
	r.Summary.DurationMS = time.Since(a.started).Milliseconds()
	return r
}

// writeReport prints the report in the chosen format on stdout.
func writeReport(f *Factory, format string, r *verifyReport) error {
	switch format {
	case formatJSON:
		return writeJSONReport(f.Stdout, r)
	case formatSARIF:
		return writeSARIFReport(f.Stdout, r)
	case formatJUnit:
		return writeJUnitReport(f.Stdout, r)
	}
	return writeTextReport(newUI(f), r)
}
