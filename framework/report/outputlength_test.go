package report_test

import (
	"bytes"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tailgate-dev/tailgate/framework/report"
)

var _ = Describe("the output-length check in a report", func() {
	withLength := func() *report.Report {
		r := nativeReport()
		ol := &report.OutputLength{ExactRequired: true, Answered: 40, Requested: 20480, Received: 200, Short: 40}
		for i := range r.Stages {
			r.Stages[i].OutputLength = ol
			r.Stages[i].TokenCountMismatches = 7
		}
		r.Summary.OutputLength = ol
		r.Summary.TokenCountMismatches = 14
		return r
	}

	It("is written to the report files' tailgate block and read back", func() {
		dir := GinkgoT().TempDir()
		in := withLength()
		Expect(report.WriteDir(dir, in)).To(Succeed())
		out, err := report.ReadDir(dir)
		Expect(err).NotTo(HaveOccurred())
		Expect(out.Stages[1].OutputLength).To(Equal(in.Stages[1].OutputLength))
		Expect(out.Summary.OutputLength).To(Equal(in.Summary.OutputLength))
	})

	It("shows requested against received tokens and chunk/usage disagreements in the text and Markdown", func() {
		var b bytes.Buffer
		Expect(withLength().WriteText(&b)).To(Succeed())
		Expect(b.String()).To(ContainSubstring("output tokens requested 20480, received 200 over 40 answers, asked for exactly max_tokens (ignore_eos); short 40"))
		Expect(b.String()).To(ContainSubstring("7 streamed answers whose content chunks disagree with usage.completion_tokens"))
		b.Reset()
		Expect(withLength().WriteMarkdown(&b)).To(Succeed())
		Expect(b.String()).To(ContainSubstring("**Output length**: output tokens requested 20480, received 200"))
	})

	It("says nothing about output length when the source does not report it", func() {
		var b bytes.Buffer
		Expect(nativeReport().WriteText(&b)).To(Succeed())
		Expect(b.String()).NotTo(ContainSubstring("output tokens requested"))
	})
})
