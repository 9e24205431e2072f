package framework

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/tailgate-dev/tailgate/framework/report"
)

// Judgement is what RunPipeline found: the report, one verdict per promise
// (the SLA's, then EvidencePromise) and the outcome they add up to.
type Judgement struct {
	// Name is the scenario's name.
	Name string
	// SLASource is the SLA file judged; empty when only implied promises were.
	SLASource string
	// Baseline is the baseline run the SLA's regression promises compare
	// with, drawn beside this run in report.html; nil without one.
	Baseline *report.Report
	// Dir is the report directory.
	Dir string
	// Report is what the run measured; nil when it produced nothing.
	Report *report.Report
	// Verdicts are the promises' verdicts, in the SLA's order.
	Verdicts []report.Verdict
	// Outcome is Fail when a promise broke, else Inconclusive when one could
	// not be judged, else Pass.
	Outcome report.Outcome
	// Advice says what to change so an inconclusive run can be judged.
	Advice []string
	// Notes say what the pipeline changed on its own (a lengthened run).
	Notes []string
	// Err is the error that ended the run early, if any.
	Err error
}

// The files a judgement adds to the report directory.
const (
	JUnitFile   = "junit.xml"
	SummaryMD   = "summary.md"
	VerdictJSON = "verdict.json"
)

// ExitCode is the process exit code of the outcome (ExitPass, ExitFail, ExitInconclusive).
func (j *Judgement) ExitCode() int { return ExitCode(j.Outcome) }

// Verdict returns the verdict of the promise named name.
func (j *Judgement) Verdict(name string) (report.Verdict, bool) {
	for _, v := range j.Verdicts {
		if v.Promise == name {
			return v, true
		}
	}
	return report.Verdict{}, false
}

// Headline is the one-line result: PASS, FAIL or INCONCLUSIVE and why.
func (j *Judgement) Headline() string {
	var broken, unjudged []string
	for _, v := range j.Verdicts {
		switch v.Outcome {
		case report.Fail:
			broken = append(broken, v.Promise)
		case report.Inconclusive:
			unjudged = append(unjudged, v.Promise)
		}
	}
	n := len(j.Verdicts)
	switch j.Outcome {
	case report.Pass:
		return fmt.Sprintf("PASS: all %d promises hold", n)
	case report.Fail:
		return fmt.Sprintf("FAIL: %d of %d promises broken (%s)", len(broken), n, strings.Join(broken, "; "))
	}
	return fmt.Sprintf("INCONCLUSIVE: %d of %d promises could not be judged (%s); this run cannot decide the release",
		len(unjudged), n, strings.Join(unjudged, "; "))
}

// Files renders junit.xml, summary.md, verdict.json and, with a report, report.html with the verdicts.
func (j *Judgement) Files() []report.File {
	files := []report.File{
		{Name: JUnitFile, Write: j.WriteJUnit},
		{Name: SummaryMD, Write: j.WriteSummary},
		{Name: VerdictJSON, Write: j.writeVerdictJSON},
	}
	if j.Report != nil {
		files = append(files, report.HTMLReportFile(j.Report, j.Verdicts, j.Baseline))
	}
	return files
}

// WriteText prints one line per promise and the headline, for a console.
func (j *Judgement) WriteText(w io.Writer) error {
	var b bytes.Buffer
	for _, v := range j.Verdicts {
		fmt.Fprintf(&b, "%-5s %s: %s\n", outcomeWord(v.Outcome), v.Promise, detail(v))
	}
	fmt.Fprintf(&b, "\n%s\n", j.Headline())
	for _, a := range j.Advice {
		fmt.Fprintf(&b, "  change: %s\n", a)
	}
	_, err := w.Write(b.Bytes())
	return err
}

func outcomeWord(o report.Outcome) string {
	switch o {
	case report.Pass:
		return "PASS"
	case report.Fail:
		return "FAIL"
	}
	return "INCONCLUSIVE"
}

// detail is the measured value of a kept promise, the message otherwise.
func detail(v report.Verdict) string {
	if v.Outcome == report.Pass || v.Message == "" {
		return v.Measured
	}
	return v.Message
}

// WriteSummary renders summary.md: the headline, what to change when
// inconclusive, one row per promise with its measured value, and the report's tables.
func (j *Judgement) WriteSummary(w io.Writer) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "## tailgate %s gate: %s\n\n%s\n\n", j.Name, outcomeWord(j.Outcome), j.Headline())
	if len(j.Advice) > 0 {
		fmt.Fprintln(&b, "**What to change:**")
		for _, a := range j.Advice {
			fmt.Fprintf(&b, "- %s\n", a)
		}
		fmt.Fprintln(&b)
	}
	for _, n := range j.Notes {
		fmt.Fprintf(&b, "Note: %s\n\n", n)
	}
	if j.SLASource != "" {
		fmt.Fprintf(&b, "SLA: `%s`\n\n", j.SLASource)
	} else {
		fmt.Fprint(&b, "SLA: none given; only the implied promises were judged\n\n")
	}
	fmt.Fprintln(&b, "| promise | result | measured | detail |")
	fmt.Fprintln(&b, "|---|---|---|---|")
	for _, v := range j.Verdicts {
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", mdCell(v.Promise), outcomeWord(v.Outcome), mdCell(v.Measured), mdCell(v.Message))
	}
	fmt.Fprintln(&b)
	if j.Report != nil {
		if err := j.Report.WriteMarkdown(&b); err != nil {
			return err
		}
		if err := report.WriteMermaidTTFT(&b, j.Report, j.Verdicts); err != nil {
			return err
		}
	}
	_, err := w.Write(b.Bytes())
	return err
}

func mdCell(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	s = strings.ReplaceAll(s, "\r", "")
	return strings.ReplaceAll(strings.TrimSpace(s), "\n", "<br>")
}

// junitSuites is the JUnit shape of the Jenkins xunit plugin's junit-10.xsd.
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Timestamp  string          `xml:"timestamp,attr"`
	Properties []junitProperty `xml:"properties>property"`
	Cases      []junitCase     `xml:"testcase"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Status    string        `xml:"status,attr"`
	Failure   *junitProblem `xml:"failure"`
	Error     *junitProblem `xml:"error"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitProblem struct {
	Type    string `xml:"type,attr"`
	Message string `xml:"message,attr"`
	Text    string `xml:",chardata"`
}

// WriteJUnit renders junit.xml: one testcase per promise, its measured value
// in system-out (kept promises too), a broken promise as <failure> and one
// that could not be judged as <error>.
func (j *Judgement) WriteJUnit(w io.Writer) error {
	s := junitSuite{Name: "tailgate " + j.Name + " gate", Timestamp: time.Now().UTC().Format("2006-01-02T15:04:05")}
	s.Properties = []junitProperty{{"outcome", string(j.Outcome)}, {"headline", j.Headline()}, {"sla", j.SLASource}}
	for i, a := range j.Advice {
		s.Properties = append(s.Properties, junitProperty{fmt.Sprintf("change.%d", i+1), a})
	}
	for _, v := range j.Verdicts {
		c := junitCase{Name: v.Promise, Classname: "tailgate." + j.Name, Status: string(v.Outcome)}
		if v.Measured != "" {
			c.SystemOut = v.Promise + ": " + v.Measured
		}
		switch v.Outcome {
		case report.Pass:
			c.Status = "passed"
		case report.Fail:
			c.Failure = &junitProblem{Type: "broken", Message: firstLine(v.Message), Text: v.Message}
			s.Failures++
		default:
			c.Error = &junitProblem{Type: "inconclusive", Message: firstLine(v.Message), Text: v.Message}
			s.Errors++
		}
		s.Cases = append(s.Cases, c)
	}
	s.Tests = len(s.Cases)
	doc := junitSuites{Name: s.Name, Tests: s.Tests, Failures: s.Failures, Errors: s.Errors, Suites: []junitSuite{s}}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// writeVerdictJSON renders verdict.json, the machine-readable outcome that
// make gate and CI read to tell a broken promise from an undecided run.
func (j *Judgement) writeVerdictJSON(w io.Writer) error {
	type promise struct {
		Promise  string `json:"promise"`
		Outcome  string `json:"outcome"`
		Measured string `json:"measured,omitempty"`
		Message  string `json:"message,omitempty"`
		// Worst is where a failed latency promise was worst, with the server's state then.
		Worst *report.WorstInterval `json:"worst_interval,omitempty"`
	}
	doc := struct {
		Scenario string    `json:"scenario"`
		Outcome  string    `json:"outcome"`
		ExitCode int       `json:"exit_code"`
		Headline string    `json:"headline"`
		Advice   []string  `json:"advice,omitempty"`
		SLA      string    `json:"sla,omitempty"`
		Promises []promise `json:"promises"`
	}{Scenario: j.Name, Outcome: string(j.Outcome), ExitCode: j.ExitCode(), Headline: j.Headline(), Advice: j.Advice, SLA: j.SLASource}
	for _, v := range j.Verdicts {
		doc.Promises = append(doc.Promises, promise{v.Promise, string(v.Outcome), v.Measured, v.Message, v.Worst})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}
