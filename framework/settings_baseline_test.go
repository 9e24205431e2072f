package framework_test

import (
	"flag"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tailgate-dev/tailgate/framework"
)

var _ = Describe("the baseline setting", func() {
	It("reads TAILGATE_BASELINE and -tailgate.baseline", func() {
		s, err := framework.SettingsFromEnv(func(k string) string {
			return map[string]string{framework.EnvBaseline: " reports/v1.4 "}[k]
		})
		Expect(err).NotTo(HaveOccurred())
		Expect(s.Baseline).To(Equal("reports/v1.4"))

		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		f := framework.RegisterFlags(fs)
		Expect(fs.Parse([]string{"-tailgate.baseline", "reports/v1.5"})).To(Succeed())
		s, err = f.Settings()
		Expect(err).NotTo(HaveOccurred())
		Expect(s.Baseline).To(Equal("reports/v1.5"))
	})
})
