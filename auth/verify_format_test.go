package auth

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cargo-auth/cargo-auth/internal/registrytest"
)

// The JSON report keeps the documented contract: the fields scripts read,
// the enumerations, and a summary that adds up.
func TestVerifyJSONContract(t *testing.T) {
	reg := registrytest.New(t, registrytest.WithTLS(), testCrates(), registrytest.WithSwitches(registrytest.Enumerate, registrytest.NoChallenge))
	out := newVerifyEnv(t, reg).withToken().run(verifyOptions{Crates: namedCrates})
	var raw map[string]any
	if err := json.Unmarshal([]byte(out.stdout), &raw); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"schema_version", "tool", "registry", "token", "crates", "checks", "summary"} {
		if _, ok := raw[key]; !ok {
			t.Errorf("report has no %q", key)
		}
	}
	endpoints := map[string]bool{}
	for _, e := range endpointOrder {
		endpoints[e] = true
	}
	statuses := map[string]bool{statusPass: true, statusWarn: true, statusFail: true, statusSkip: true}
	sum := map[string]int{}
	for _, item := range raw["checks"].([]any) {
		c := item.(map[string]any)
		for _, key := range []string{"id", "endpoint", "status", "url", "message"} {
			if _, ok := c[key]; !ok {
				t.Errorf("check %v has no %q", c["id"], key)
			}
		}
		if !endpoints[c["endpoint"].(string)] || !statuses[c["status"].(string)] {
			t.Errorf("check %v: endpoint %v, status %v", c["id"], c["endpoint"], c["status"])
		}
		if s := c["status"].(string); s == statusFail || s == statusWarn {
			if c["remediation"] == nil || c["attack"] == nil {
				t.Errorf("check %v (%s) has no remediation or attack", c["id"], s)
			}
		}
		sum[c["status"].(string)]++
	}
	s := out.report.Summary
	if s.Pass != sum[statusPass] || s.Fail != sum[statusFail] || s.Warn != sum[statusWarn] || s.Skip != sum[statusSkip] || s.Total != len(out.report.Checks) {
		t.Errorf("summary %+v does not add up to %v", s, sum)
	}
	if s.Fail != 2 || s.Warn != 1 {
		t.Errorf("summary %+v, want 2 failures (enumeration) and 1 warning (challenge)", s)
	}
	if r := out.report.Registry; r.Name != "corp" || r.Protocol != protocolSparse || r.DL == nil || r.AuthRequired == nil || !*r.AuthRequired {
		t.Errorf("registry = %+v", r)
	}
}

func TestVerifyTextReport(t *testing.T) {
	reg := registrytest.New(t, registrytest.WithTLS(), testCrates(), registrytest.WithSwitches(registrytest.OmitAuthRequired))
	out := newVerifyEnv(t, reg).withToken().run(verifyOptions{Crates: namedCrates, Format: formatText})
	for _, want := range []string{
		"registry corp (sparse+https://127.0.0.1:",
		"token    from environment variable CARGO_REGISTRIES_CORP_TOKEN",
		"\nconfig\n",
		"  ✓ config.anonymous",
		"  ✗ config.auth-required",
		"      attack: cargo sends the token for config.json only",
		"      fix:    add \"auth-required\": true",
		"\ntransport\n",
		"result 1 failed, 0 warnings,",
	} {
		if !strings.Contains(out.stdout, want) {
			t.Errorf("text report lacks %q:\n%s", want, out.stdout)
		}
	}
	if strings.Contains(out.stdout, "\x1b[") {
		t.Error("colour with NO_COLOR set")
	}
	if out.code != ExitFindings || out.stderr != "" {
		t.Errorf("exit %d, stderr %q", out.code, out.stderr)
	}
}

func TestVerifySARIF(t *testing.T) {
	reg := registrytest.New(t, testCrates(), registrytest.WithSwitches(registrytest.DLOtherHost, registrytest.BasicChallenge))
	out := newVerifyEnv(t, reg).withToken().run(verifyOptions{Crates: namedCrates, Format: formatSARIF})
	var log sarifLog
	if err := json.Unmarshal([]byte(out.stdout), &log); err != nil {
		t.Fatalf("%v\n%s", err, out.stdout)
	}
	if log.Version != "2.1.0" || len(log.Runs) != 1 || !strings.Contains(log.Schema, "sarif-schema-2.1.0") {
		t.Fatalf("not a SARIF 2.1.0 log: %+v", log)
	}
	run := log.Runs[0]
	if len(run.Tool.Driver.Rules) != len(checkList) {
		t.Errorf("%d rules, want one per check (%d)", len(run.Tool.Driver.Rules), len(checkList))
	}
	levels := map[string]string{}
	for _, r := range run.Results {
		levels[r.RuleID] = r.Level
		if r.Kind != "fail" || run.Tool.Driver.Rules[r.RuleIndex].ID != r.RuleID || len(r.Locations) != 1 {
			t.Errorf("result %+v", r)
		}
		if uri := r.Locations[0].PhysicalLocation.ArtifactLocation.URI; strings.ContainsAny(uri, "{} ") {
			t.Errorf("location %q is not a URI", uri)
		}
	}
	want := map[string]string{"download.origin": "error", "config.challenge": "warning"}
	if len(levels) != len(want) || levels["download.origin"] != "error" || levels["config.challenge"] != "warning" {
		t.Errorf("results %v, want %v", levels, want)
	}
	if out.code != ExitFindings {
		t.Errorf("exit %d", out.code)
	}
}

func TestVerifyJUnit(t *testing.T) {
	reg := registrytest.New(t, testCrates(), registrytest.WithSwitches(registrytest.OpenIndex, registrytest.NoChallenge))
	out := newVerifyEnv(t, reg).run(verifyOptions{Crates: namedCrates, Format: formatJUnit})
	var suites junitSuites
	if err := xml.Unmarshal([]byte(out.stdout), &suites); err != nil {
		t.Fatalf("%v\n%s", err, out.stdout)
	}
	if !strings.HasPrefix(out.stdout, "<?xml") {
		t.Error("no XML declaration")
	}
	failures, skipped, warned := map[string]bool{}, 0, false
	tests := 0
	for _, s := range suites.Suites {
		for _, c := range s.Cases {
			tests++
			if c.Failure != nil {
				failures[c.Name] = true
			}
			if c.Skipped != nil {
				skipped++
			}
			if strings.HasPrefix(c.SystemOut, "warning: ") {
				warned = true
			}
		}
	}
	if !failures["index.anonymous"] || len(failures) != suites.Failures || tests != suites.Tests || skipped != suites.Skipped || skipped == 0 {
		t.Errorf("failures %v (%d), tests %d/%d, skipped %d/%d", failures, suites.Failures, tests, suites.Tests, skipped, suites.Skipped)
	}
	if !warned {
		t.Error("the challenge warning is not in <system-out>")
	}
}

// The progress bar goes to stderr on a terminal, only for audits longer
// than the delay, never with NO_COLOR, and is cleared at the end.
func TestVerifyProgress(t *testing.T) {
	reg := registrytest.New(t, testCrates(), registrytest.WithSwitches(registrytest.SlowHeaders),
		registrytest.WithHostileClasses(registrytest.ClassDownload), registrytest.WithSlowHeaders(50*time.Millisecond))
	terminal := &Factory{StderrIsTerminal: func() bool { return true }}
	for _, tc := range []struct {
		name    string
		noColor bool
		delay   time.Duration
		want    bool
	}{
		{"long audit on a terminal", false, 10 * time.Millisecond, true},
		{"short audit", false, time.Hour, false},
		{"NO_COLOR", true, 10 * time.Millisecond, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := newVerifyEnv(t, reg).withToken()
			if !tc.noColor {
				env.environ = slicesDelete(env.environ, "NO_COLOR=1")
			}
			out := env.run(verifyOptions{Crates: namedCrates, Factory: terminal, ProgressDelay: tc.delay, Jobs: 1})
			shown := strings.Contains(out.stderr, "verifying corp [")
			if shown != tc.want {
				t.Errorf("progress shown = %v, want %v; stderr %q", shown, tc.want, out.stderr)
			}
			if shown && !regexp.MustCompile(`\r +\r$`).MatchString(out.stderr) {
				t.Errorf("progress line not cleared: %q", out.stderr)
			}
			if strings.Contains(out.stdout, "verifying") {
				t.Error("progress on stdout")
			}
		})
	}
}

func slicesDelete(list []string, item string) []string {
	var out []string
	for _, s := range list {
		if s != item {
			out = append(out, s)
		}
	}
	return out
}

var updateVerifyDocs = flag.Bool("update-verify-docs", false, "rewrite the check list in docs/verify.md from the catalog")

// docs/verify.md carries the check list rendered from the catalog between
// two markers, so the documentation cannot drift from the code; run
// `go test ./auth -run TestVerifyChecksAreDocumented -update-verify-docs`
// after changing a check.
func TestVerifyChecksAreDocumented(t *testing.T) {
	path := filepath.Join("..", "docs", "verify.md")
	doc, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	const begin, end = "<!-- checks:begin (generated from auth/verify_catalog.go) -->\n", "<!-- checks:end -->"
	i, j := bytes.Index(doc, []byte(begin)), bytes.Index(doc, []byte(end))
	if i < 0 || j < i {
		t.Fatalf("%s has no check list markers", path)
	}
	want := renderCheckDocs()
	if got := string(doc[i+len(begin) : j]); got != want {
		if *updateVerifyDocs {
			updated := append(append(append([]byte(nil), doc[:i+len(begin)]...), want...), doc[j:]...)
			if err := os.WriteFile(path, updated, 0o644); err != nil {
				t.Fatal(err)
			}
			return
		}
		t.Errorf("the check list in %s is stale: run go test ./auth -run TestVerifyChecksAreDocumented -update-verify-docs", path)
	}
}

// renderCheckDocs is the check list of docs/verify.md.
func renderCheckDocs() string {
	var b strings.Builder
	for _, endpoint := range endpointOrder {
		fmt.Fprintf(&b, "\n### %s\n", endpoint)
		for _, c := range checkList {
			if c.Endpoint != endpoint {
				continue
			}
			fmt.Fprintf(&b, "\n#### `%s`\n\n- **Proves:** %s.\n- **When it fails:** %s.\n- **Fix:** %s.\n",
				c.ID, c.Proves, c.Attack, c.Fix)
		}
	}
	return b.String() + "\n"
}
