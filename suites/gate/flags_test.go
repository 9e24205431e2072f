package gate_test

import (
	"flag"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tailgate-dev/tailgate/framework/cluster"
	"github.com/tailgate-dev/tailgate/suites/gate"
)

var _ = Describe("a suite's flags", func() {
	It("offer the Job runners and bind every cluster setting as a -tailgate.* flag, the flag beating the variable", func() {
		GinkgoT().Setenv(cluster.EnvBenchmarkNS, "from-env")
		GinkgoT().Setenv(cluster.EnvProvider, "kind")
		fs := flag.NewFlagSet("suite", flag.ContinueOnError)
		flags := gate.RegisterFlags(fs)
		for _, st := range cluster.SettingList() {
			Expect(fs.Lookup("tailgate."+st.Flag)).NotTo(BeNil(), st.Env)
		}
		Expect(flags.Registry().Names()).To(Equal([]string{"native", cluster.RunnerInferencePerfJob, cluster.RunnerNativeJob}))

		Expect(fs.Parse([]string{"-tailgate.runner=inference-perf-job", "-tailgate.benchmark-namespace=from-flag"})).To(Succeed())
		s, err := flags.Settings()
		Expect(err).NotTo(HaveOccurred())
		cs, err := cluster.ParseSettings(s.RunnerSettings)
		Expect(err).NotTo(HaveOccurred())
		Expect(cs.Namespace).To(Equal("from-flag"))
		Expect(cs.Cluster.Provider).To(Equal(cluster.Kind))

		Expect(fs.Parse([]string{"-tailgate.job-timeout=soon"})).To(Succeed())
		_, err = flags.Settings()
		Expect(err).To(MatchError(`runner inference-perf-job: -tailgate.job-timeout="soon": want a positive duration such as 45m`))
	})
})
