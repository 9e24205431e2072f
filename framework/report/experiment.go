package report

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// ExperimentFile is the name of the file that records a run's Experiment in
// its report directory.
const ExperimentFile = "experiment.json"

// Experiment records what a run measured — the model and the scenario's
// fingerprint — so that a regression judge can refuse two runs that are not
// the same experiment and name the difference. Empty fields are unknown and
// never compared.
type Experiment struct {
	// Model is the served model's name.
	Model string `json:"model,omitempty"`
	// Scenario names the scenario (e.g. "production").
	Scenario string `json:"scenario,omitempty"`
	// Stages describes each stage's load, e.g. "poisson 15 req/s for 600s".
	Stages []string `json:"stages,omitempty"`
	// PromptLengths and OutputLengths describe the length distributions,
	// e.g. "normal mean 1024 sd 512 in [128, 4096]".
	PromptLengths string `json:"prompt_lengths,omitempty"`
	OutputLengths string `json:"output_lengths,omitempty"`
	// Streaming and IgnoreEOS are "true" or "false"; empty when unknown.
	Streaming string `json:"streaming,omitempty"`
	IgnoreEOS string `json:"ignore_eos,omitempty"`
	// Seed is the workload's seed. Two runs of one scenario with one seed
	// replay the same arrivals, prompts and output lengths, so comparing
	// them is a paired comparison.
	Seed string `json:"seed,omitempty"`
}

// Differences names every field both experiments know and disagree on, e.g.
// `model "qwen3-8b" in the baseline, "llama-3-8b" in the candidate`. The
// seed is not a difference: another seed is another sample of one experiment.
func (e Experiment) Differences(candidate Experiment) []string {
	type field struct{ name, b, c string }
	fields := []field{
		{"model", e.Model, candidate.Model},
		{"scenario", e.Scenario, candidate.Scenario},
		{"prompt lengths", e.PromptLengths, candidate.PromptLengths},
		{"output lengths", e.OutputLengths, candidate.OutputLengths},
		{"streaming", e.Streaming, candidate.Streaming},
		{"ignore_eos", e.IgnoreEOS, candidate.IgnoreEOS},
	}
	var out []string
	if len(e.Stages) > 0 && len(candidate.Stages) > 0 {
		if len(e.Stages) != len(candidate.Stages) {
			out = append(out, fmt.Sprintf("stage count %d in the baseline, %d in the candidate", len(e.Stages), len(candidate.Stages)))
		} else {
			for i := range e.Stages {
				fields = append(fields, field{fmt.Sprintf("stage %d load", i), e.Stages[i], candidate.Stages[i]})
			}
		}
	}
	for _, f := range fields {
		if f.b != "" && f.c != "" && f.b != f.c {
			out = append(out, fmt.Sprintf("%s %q in the baseline, %q in the candidate", f.name, f.b, f.c))
		}
	}
	return out
}

// Paired reports whether both experiments replay the same seeded workload
// of the same scenario.
func (e Experiment) Paired(candidate Experiment) bool {
	return e.Seed != "" && e.Seed == candidate.Seed && e.Scenario == candidate.Scenario && len(e.Differences(candidate)) == 0
}

// experimentFiles is the experiment.json file of r, none when r records none.
func experimentFiles(r *Report) []File {
	if r.Experiment == nil {
		return nil
	}
	e := *r.Experiment
	return []File{{Name: ExperimentFile, Write: func(w io.Writer) error {
		data, err := json.MarshalIndent(e, "", "  ")
		if err != nil {
			return err
		}
		_, err = w.Write(append(data, '\n'))
		return err
	}}}
}

// readExperiment sets r.Experiment from dir's experiment.json when present.
func readExperiment(dir string, r *Report) error {
	data, err := os.ReadFile(filepath.Join(dir, ExperimentFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("report file %s: %w", ExperimentFile, err)
	}
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	var e Experiment
	if err := dec.Decode(&e); err != nil {
		return fmt.Errorf("report file %s: %w (delete it to compare without the scenario's fingerprint)", filepath.Join(dir, ExperimentFile), err)
	}
	r.Experiment = &e
	return nil
}
