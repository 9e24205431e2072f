package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"go.yaml.in/yaml/v3"

	"github.com/tailgate-dev/tailgate/matchers"
)

// workflow is the part of a GitHub Actions workflow the checks read.
type workflow struct {
	Jobs map[string]struct {
		Steps []struct {
			Name string            `yaml:"name"`
			Run  string            `yaml:"run"`
			Uses string            `yaml:"uses"`
			Env  map[string]string `yaml:"env"`
			With map[string]any    `yaml:"with"`
		} `yaml:"steps"`
	} `yaml:"jobs"`
}

var (
	tailgateCall = regexp.MustCompile(`(?:go run \./cmd/tailgate|(?:^|\s)tailgate) ([a-z-]+)((?:\s+[^|;&>]*)?)`)
	longFlag     = regexp.MustCompile(`\s--?([a-z][a-z0-9-]*)`)
	repoScript   = regexp.MustCompile(`(?:^|\s)((?:hack|\.ci)/[A-Za-z0-9_./-]+)`)
	tailgateEnv  = regexp.MustCompile(`\bTAILGATE_[A-Z0-9_]+\b`)
)

var _ = Describe("The GitHub workflows", func() {
	root := filepath.Join("..", "..")
	files, _ := filepath.Glob(filepath.Join(root, ".github", "workflows", "*.yml"))

	read := func(path string) workflow {
		data, err := os.ReadFile(path)
		Expect(err).NotTo(HaveOccurred())
		var w workflow
		Expect(yaml.Unmarshal(data, &w)).To(Succeed(), path)
		Expect(w.Jobs).NotTo(BeEmpty(), path)
		return w
	}

	It("parse as YAML (also with python3's yaml when it is installed)", func() {
		Expect(files).To(ContainElement(HaveSuffix("release-gate.yml")))
		for _, f := range files {
			read(f)
			if py, err := exec.LookPath("python3"); err == nil {
				out, err := exec.Command(py, "-c", "import sys, yaml; yaml.safe_load(open(sys.argv[1]))", f).CombinedOutput()
				Expect(err).NotTo(HaveOccurred(), "%s: %s", f, out)
			}
		}
	})

	It("run only tailgate commands and flags the CLI has, scripts the repository has, and settings tailgate reads", func() {
		cmds := commands()
		known := knownSettings(root)
		for _, f := range files {
			for _, job := range read(f).Jobs {
				for _, st := range job.Steps {
					script := strings.ReplaceAll(st.Run, "\\\n", " ")
					for _, m := range tailgateCall.FindAllStringSubmatch(script, -1) {
						Expect(cmds).To(HaveKey(m[1]), "%s, step %q: tailgate %s", f, st.Name, m[1])
						help := commandHelp(m[1])
						for _, fl := range longFlag.FindAllStringSubmatch(m[2], -1) {
							Expect(help).To(ContainSubstring("-"+fl[1]+" "), "%s, step %q: tailgate %s has no flag --%s", f, st.Name, m[1], fl[1])
						}
					}
					for _, m := range repoScript.FindAllStringSubmatch(script, -1) {
						Expect(filepath.Join(root, m[1])).To(BeAnExistingFile(), "%s, step %q", f, st.Name)
					}
					for k := range st.Env {
						if strings.HasPrefix(k, "TAILGATE_") {
							Expect(known).To(HaveKey(k), "%s, step %q: env %s is read by nothing", f, st.Name, k)
						}
					}
					for _, k := range tailgateEnv.FindAllString(script, -1) {
						Expect(known).To(HaveKey(k), "%s, step %q: %s is read by nothing", f, st.Name, k)
					}
				}
			}
		}
	})

	It("keep the last release's passing report directory as the baseline and judge the next run against it", func() {
		w := read(filepath.Join(root, ".github", "workflows", "release-gate.yml"))
		var fetch, gate, promote string
		for _, job := range w.Jobs {
			for _, st := range job.Steps {
				switch {
				case strings.Contains(st.Run, "gh run download") && strings.Contains(st.Run, "release-gate-baseline"):
					fetch = st.Name
				case strings.Contains(st.Run, "TAILGATE_BASELINE="):
					gate = st.Name
				case strings.HasPrefix(st.Uses, "actions/upload-artifact") && st.With["name"] == "release-gate-baseline":
					promote = st.Name
				}
			}
		}
		Expect(fetch).NotTo(BeEmpty(), "a step downloads the baseline artifact")
		Expect(gate).NotTo(BeEmpty(), "the gate names the baseline")
		Expect(promote).NotTo(BeEmpty(), "a passing run uploads its report directory as the next baseline")

		sla, err := matchers.LoadSLA(filepath.Join(root, ".github", "release-gate", "sla.yaml"))
		Expect(err).NotTo(HaveOccurred())
		Expect(sla.Regression).NotTo(BeNil())
		Expect(sla.RegressionPromises("baseline")).NotTo(BeEmpty())
	})
})

// commandHelp is the flag listing of one tailgate command.
func commandHelp(name string) string {
	var out, errOut bytes.Buffer
	dispatch(context.Background(), []string{name, "-h"}, stdio{in: &bytes.Buffer{}, out: &out, err: &errOut})
	return out.String() + errOut.String()
}

// knownSettings are the TAILGATE_* names some Go or shell source of the
// repository (outside .github) spells out, i.e. names something reads.
func knownSettings(root string) map[string]bool {
	known := map[string]bool{}
	for _, dir := range []string{"framework", "hack", "suites", "cmd", ".ci"} {
		_ = filepath.WalkDir(filepath.Join(root, dir), func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() || strings.HasSuffix(p, "_test.go") {
				return nil
			}
			if ext := filepath.Ext(p); ext != ".go" && ext != ".sh" && ext != "" {
				return nil
			}
			data, err := os.ReadFile(p)
			if err != nil {
				return nil
			}
			for _, k := range tailgateEnv.FindAllString(string(data), -1) {
				known[k] = true
			}
			return nil
		})
	}
	return known
}
