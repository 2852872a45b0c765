package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"

	"github.com/corslab/corslab/harness"
)

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Errors   int         `xml:"errors,attr"`
	Time     string      `xml:"time,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitProblem `xml:"failure,omitempty"`
	Error     *junitProblem `xml:"error,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

// JUnit writes a JUnit XML report: one testsuite per group, one testcase per
// scenario with classname = group; on several engines, one testsuite per
// engine, classname engine.group ("firefox.preflight"). A failure's
// message names the fields that did not match.
func JUnit(w io.Writer, r Run) error {
	doc := junitSuites{Name: "corslab", Time: secs(r.Elapsed.Seconds())}
	index := map[string]int{}
	multi := len(r.Engines()) > 1
	suiteOf := func(res harness.Result) string {
		if multi {
			return res.Engine
		}
		return res.Scenario.Group
	}
	for _, res := range r.Results {
		g := suiteOf(res)
		i, ok := index[g]
		if !ok {
			i = len(doc.Suites)
			index[g] = i
			doc.Suites = append(doc.Suites, junitSuite{Name: g})
		}
		s := &doc.Suites[i]
		class := res.Scenario.Group
		if multi {
			class = res.Engine + "." + class
		}
		c := junitCase{Name: res.Scenario.Name, Classname: class, Time: secs(res.Duration.Seconds())}
		c.SystemOut = "browser: " + Did(res.Last())
		switch res.Verdict {
		case harness.Fail:
			c.Failure = &junitProblem{Message: fieldsOf(res.Mismatches), Type: "mismatch", Text: strings.Join(res.Mismatches, "\n")}
			s.Failures++
			doc.Failures++
		case harness.Error:
			c.Error = &junitProblem{Message: res.Error, Type: "error", Text: res.Error}
			s.Errors++
			doc.Errors++
		}
		s.Tests++
		doc.Tests++
		s.Cases = append(s.Cases, c)
	}
	for i := range doc.Suites {
		var t float64
		for _, res := range r.Results {
			if suiteOf(res) == doc.Suites[i].Name {
				t += res.Duration.Seconds()
			}
		}
		doc.Suites[i].Time = secs(t)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("writing the JUnit report: %w", err)
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// fieldsOf names the mismatching fields: "mismatch in outcome, cors_error".
func fieldsOf(ms []string) string {
	var fields []string
	seen := map[string]bool{}
	for _, m := range ms {
		f, _, _ := strings.Cut(m, ":")
		if strings.HasPrefix(f, "step ") {
			_, rest, _ := strings.Cut(m, ": ")
			f, _, _ = strings.Cut(rest, ":")
		}
		if !seen[f] {
			seen[f] = true
			fields = append(fields, f)
		}
	}
	return "mismatch in " + strings.Join(fields, ", ") + ": " + strings.Join(ms, "; ")
}

func secs(s float64) string { return fmt.Sprintf("%.3f", s) }
