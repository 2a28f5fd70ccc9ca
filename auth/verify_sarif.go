package auth

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// SARIF 2.1.0 (OASIS), the subset code-scanning services read: one run, a
// rule per check id, and a result for each failed or warned check. Passed
// and skipped checks are not results: SARIF is a report of problems, and
// some services would show any result as an alert (JUnit and JSON carry
// every check). Per §3.27.9/§3.27.10 a result's kind is "fail" and its
// level "error" for a failure, "warning" for a warning.
type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool        sarifTool         `json:"tool"`
	Invocations []sarifInvocation `json:"invocations"`
	Results     []sarifResult     `json:"results"`
	Properties  map[string]any    `json:"properties"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	Version        string      `json:"version"`
	InformationURI string      `json:"informationUri"`
	Rules          []sarifRule `json:"rules"`
}

type sarifText struct {
	Text string `json:"text"`
}

type sarifRule struct {
	ID                   string            `json:"id"`
	ShortDescription     sarifText         `json:"shortDescription"`
	FullDescription      sarifText         `json:"fullDescription"`
	Help                 sarifText         `json:"help"`
	HelpURI              string            `json:"helpUri"`
	DefaultConfiguration map[string]string `json:"defaultConfiguration"`
	Properties           map[string]any    `json:"properties"`
}

type sarifInvocation struct {
	ExecutionSuccessful bool `json:"executionSuccessful"`
}

type sarifResult struct {
	RuleID              string            `json:"ruleId"`
	RuleIndex           int               `json:"ruleIndex"`
	Kind                string            `json:"kind"`
	Level               string            `json:"level"`
	Message             sarifText         `json:"message"`
	Locations           []sarifLocation   `json:"locations"`
	PartialFingerprints map[string]string `json:"partialFingerprints"`
	Properties          map[string]any    `json:"properties"`
}

type sarifLocation struct {
	PhysicalLocation struct {
		ArtifactLocation struct {
			URI string `json:"uri"`
		} `json:"artifactLocation"`
	} `json:"physicalLocation"`
}

func writeSARIFReport(w io.Writer, r *verifyReport) error {
	run := sarifRun{
		Tool:        sarifTool{Driver: sarifDriver{Name: "cargo-auth verify", Version: r.Tool.Version, InformationURI: docsURL}},
		Invocations: []sarifInvocation{{ExecutionSuccessful: true}},
		Results:     []sarifResult{},
		Properties:  map[string]any{"registry": r.Registry, "token": r.Token, "crates": r.Crates, "summary": r.Summary},
	}
	index := map[string]int{}
	for i, info := range checkList {
		index[info.ID] = i
		run.Tool.Driver.Rules = append(run.Tool.Driver.Rules, sarifRule{
			ID:                   info.ID,
			ShortDescription:     sarifText{Text: info.Proves},
			FullDescription:      sarifText{Text: "When this check fails: " + info.Attack},
			Help:                 sarifText{Text: info.Fix},
			HelpURI:              docsURL + "#" + strings.ReplaceAll(info.ID, ".", ""),
			DefaultConfiguration: map[string]string{"level": "error"},
			Properties:           map[string]any{"tags": []string{"security", info.Endpoint}},
		})
	}
	for _, c := range r.Checks {
		if c.Status != statusFail && c.Status != statusWarn {
			continue
		}
		level := "error"
		if c.Status == statusWarn {
			level = "warning"
		}
		uri := c.URL
		if uri == "" {
			uri = r.Registry.IndexURL
		}
		uri = strings.NewReplacer("{", "%7B", "}", "%7D", " ", "%20").Replace(uri)
		var loc sarifLocation
		loc.PhysicalLocation.ArtifactLocation.URI = uri
		sum := sha256.Sum256([]byte(c.ID + "\x00" + r.Registry.IndexURL))
		run.Results = append(run.Results, sarifResult{
			RuleID:              c.ID,
			RuleIndex:           index[c.ID],
			Kind:                "fail",
			Level:               level,
			Message:             sarifText{Text: findingText(c)},
			Locations:           []sarifLocation{loc},
			PartialFingerprints: map[string]string{"cargoAuthVerify/v1": hex.EncodeToString(sum[:16])},
			Properties:          map[string]any{"endpoint": c.Endpoint, "status": c.Status, "details": c.Details},
		})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(sarifLog{
		Schema:  "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json",
		Version: "2.1.0",
		Runs:    []sarifRun{run},
	})
}

// findingText is a failed or warned check as one block of text.
func findingText(c checkResult) string {
	var b strings.Builder
	b.WriteString(c.Message)
	for _, d := range c.Details {
		fmt.Fprintf(&b, "\n%s: %s", d.URL, d.Message)
	}
	if c.DetailsOmitted > 0 {
		fmt.Fprintf(&b, "\n… and %d more", c.DetailsOmitted)
	}
	fmt.Fprintf(&b, "\nattack: %s\nfix: %s", c.Attack, c.Remediation)
	return b.String()
}
