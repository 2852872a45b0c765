package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/corslab/corslab/harness"
	"github.com/corslab/corslab/policy"
)

// junitSuites is the one structure both `run` and `check` write: a
// <testsuites> root with totals and a timestamp, one <testsuite> per group
// (run) or per part of the check (probes, findings).
type junitSuites struct {
	XMLName   xml.Name     `xml:"testsuites"`
	Name      string       `xml:"name,attr"`
	Tests     int          `xml:"tests,attr"`
	Failures  int          `xml:"failures,attr"`
	Errors    int          `xml:"errors,attr"`
	Time      string       `xml:"time,attr"`
	Timestamp string       `xml:"timestamp,attr,omitempty"`
	Suites    []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name      string      `xml:"name,attr"`
	Tests     int         `xml:"tests,attr"`
	Failures  int         `xml:"failures,attr"`
	Errors    int         `xml:"errors,attr"`
	Skipped   int         `xml:"skipped,attr,omitempty"`
	Time      string      `xml:"time,attr"`
	Timestamp string      `xml:"timestamp,attr,omitempty"`
	Cases     []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitProblem `xml:"failure,omitempty"`
	Error     *junitProblem `xml:"error,omitempty"`
	Skipped   *junitProblem `xml:"skipped,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

// timestamp is JUnit's ISO 8601 time, to the second, in UTC.
func timestamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

// add counts a case into its suite and the root.
func (d *junitSuites) add(suite int, c junitCase) {
	s := &d.Suites[suite]
	switch {
	case c.Failure != nil:
		s.Failures++
		d.Failures++
	case c.Error != nil:
		s.Errors++
		d.Errors++
	case c.Skipped != nil:
		s.Skipped++
	}
	s.Tests++
	d.Tests++
	s.Cases = append(s.Cases, c)
}

// write writes the document with its XML header.
func (d junitSuites) write(w io.Writer) error {
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(d); err != nil {
		return fmt.Errorf("writing the JUnit report: %w", err)
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// HarnessErrorJUnit writes the JUnit file of a run or check the harness
// could not carry out (no browser, an unreachable target): one testcase
// named what, with an <error> saying what failed, so CI shows it.
func HarnessErrorJUnit(w io.Writer, what string, started time.Time, err error) error {
	d := junitSuites{Name: "corslab", Time: secs(time.Since(started).Seconds()), Timestamp: timestamp(started)}
	d.Suites = []junitSuite{{Name: what, Time: d.Time, Timestamp: d.Timestamp}}
	d.add(0, junitCase{Name: what, Classname: "corslab.harness", Time: d.Time, Error: &junitProblem{Message: err.Error(), Type: "harness", Text: err.Error()}})
	return d.write(w)
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
	start := time.Now().Add(-r.Elapsed) // the run began about this long ago
	doc := junitSuites{Name: "corslab", Time: secs(r.Elapsed.Seconds()), Timestamp: timestamp(start)}
	index := map[string]int{}
	times := map[string]float64{}
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
			doc.Suites = append(doc.Suites, junitSuite{Name: g, Timestamp: doc.Timestamp})
		}
		class := res.Scenario.Group
		if multi {
			class = res.Engine + "." + class
		}
		c := junitCase{Name: res.Scenario.Name, Classname: class, Time: secs(res.Duration.Seconds())}
		c.SystemOut = "browser: " + Did(res.Last())
		switch res.Verdict {
		case harness.Fail:
			c.Failure = &junitProblem{Message: fieldsOf(res.Mismatches), Type: "mismatch", Text: strings.Join(res.Mismatches, "\n")}
		case harness.Error:
			c.Error = &junitProblem{Message: res.Error, Type: "error", Text: res.Error}
		}
		times[g] += res.Duration.Seconds()
		doc.add(i, c)
	}
	for i := range doc.Suites {
		doc.Suites[i].Time = secs(times[doc.Suites[i].Name])
	}
	return doc.write(w)
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

// CheckJUnit writes a check in the same structure as a run: a testsuite
// "probes" with one testcase per probe (classname corslab.check.KIND; an
// inconclusive probe is skipped, one that could not run an error), and a
// testsuite "findings" with one testcase per finding (a critical or
// warning finding the policy does not accept is a failure). A check that
// could not run in full carries an <error> testcase saying why.
func CheckJUnit(w io.Writer, rep PolicyCheck) error {
	var total time.Duration
	for _, r := range rep.Results {
		total += r.Duration
	}
	start := rep.Started
	if start.IsZero() {
		start = time.Now().Add(-total)
	}
	doc := junitSuites{Name: "corslab check " + rep.Policy + " against " + rep.Target, Time: secs(total.Seconds()), Timestamp: timestamp(start)}
	doc.Suites = []junitSuite{{Name: "probes", Time: doc.Time, Timestamp: doc.Timestamp}, {Name: "findings", Time: "0.000", Timestamp: doc.Timestamp}}
	if rep.Error != "" {
		doc.add(0, junitCase{Name: "corslab check", Classname: "corslab.harness", Time: "0.000", Error: &junitProblem{Message: rep.Error, Type: "harness", Text: rep.Error}})
	}
	for _, r := range rep.Results {
		c := junitCase{Name: r.Probe.Name, Classname: "corslab.check." + r.Probe.Kind, Time: secs(r.Duration.Seconds())}
		text := fmt.Sprintf("policy: %s\nexpected: %s\nobserved: %s\nwhy: %s", r.Probe.Because, r.Expected, r.Observed, r.Why)
		switch r.State {
		case policy.StateError:
			c.Error = &junitProblem{Message: r.Error, Type: "error", Text: text}
		case policy.StateInconclusive:
			c.Skipped = &junitProblem{Message: "inconclusive: " + r.Why}
		case policy.StatePass:
		default:
			c.Failure = &junitProblem{Message: "expected " + r.Expected + ", observed " + r.Observed, Type: "mismatch", Text: text}
		}
		doc.add(0, c)
	}
	for _, f := range rep.Findings {
		c := junitCase{Name: string(f.Severity) + ": " + f.Title, Classname: "corslab.finding." + f.ID, Time: "0.000"}
		text := "why: " + f.Why + "\n" + strings.Join(f.Evidence, "\n")
		if f.Blocking() {
			c.Failure = &junitProblem{Message: f.Title, Type: string(f.Severity), Text: text}
		} else {
			c.SystemOut = text
		}
		doc.add(1, c)
	}
	return doc.write(w)
}
