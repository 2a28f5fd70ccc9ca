package auth

import (
	"encoding/xml"
	"fmt"
	"io"
)

// JUnit XML as Jenkins, GitLab and GitHub test reporters read it: one
// testsuite per endpoint class, one testcase per check (named by its id).
// A failed check is a <failure>, a skipped one <skipped>; a warning passes
// and says so in <system-out>.
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Errors   int         `xml:"errors,attr"`
	Skipped  int         `xml:"skipped,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	ClassName string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitFailure `xml:"failure,omitempty"`
	Skipped   *junitSkipped `xml:"skipped,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

type junitSkipped struct {
	Message string `xml:"message,attr"`
}

func writeJUnitReport(w io.Writer, r *verifyReport) error {
	out := junitSuites{Name: "cargo-auth verify " + r.Registry.IndexURL,
		Time: fmt.Sprintf("%.3f", float64(r.Summary.DurationMS)/1000)}
	for _, endpoint := range endpointOrder {
		suite := junitSuite{Name: endpoint}
		for _, c := range r.Checks {
			if c.Endpoint != endpoint {
				continue
			}
			tc := junitCase{Name: c.ID, ClassName: "cargo-auth.verify." + endpoint, Time: "0"}
			switch c.Status {
			case statusFail:
				tc.Failure = &junitFailure{Message: c.Message, Type: "fail", Text: findingText(c)}
				suite.Failures++
			case statusSkip:
				tc.Skipped = &junitSkipped{Message: c.Message}
				suite.Skipped++
			case statusWarn:
				tc.SystemOut = "warning: " + findingText(c)
			default:
				tc.SystemOut = c.Message
			}
			suite.Cases = append(suite.Cases, tc)
			suite.Tests++
		}
		if suite.Tests == 0 {
			continue
		}
		out.Suites = append(out.Suites, suite)
		out.Tests += suite.Tests
		out.Failures += suite.Failures
		out.Skipped += suite.Skipped
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(out); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}
