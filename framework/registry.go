package framework

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/tailgate-dev/tailgate/framework/loadgen"
	"github.com/tailgate-dev/tailgate/framework/tokenizer"
)

// RunnerSpec is what a runner registers: its name, its own settings and the
// factory that builds it.
type RunnerSpec struct {
	// Name is what TAILGATE_RUNNER (-tailgate.runner, --runner) selects.
	Name string
	// Usage says in a few words what runs, for the flag's help.
	Usage string
	// Settings are the runner's own settings, bound as flags beside the
	// common ones; runners may share settings (same Env and Flag).
	Settings []Setting
	// Check validates the runner's settings when the settings are read, so a
	// bad value is refused before anything runs; nil accepts any.
	Check func(v Values) error
	// New builds the runner for a run. A runner that also implements
	// RunnerCloser is closed when the run ends.
	New func(ctx context.Context, in RunnerInput) (Runner, error)
	// Local is true for a runner in this process, which the in-process
	// simulated vLLM can serve. Other runners need a target URL reachable
	// from where they run, unless they bring one (TargetProvider).
	Local bool
	// NoShards, when set, says why the runner cannot run one shard of a
	// sharded load; a shard setting (TAILGATE_SHARD) with it is refused
	// with that reason. Empty means it can.
	NoShards string
}

// RunnerInput is what a runner's factory gets.
type RunnerInput struct {
	// Settings are the run's settings; RunnerSettings holds the runner's own.
	Settings Settings
	// Log receives the runner's progress lines; Logger the same as records.
	Log    io.Writer
	Logger *slog.Logger
	// Progress, when set, gets the load's progress every ProgressEvery.
	Progress      func(loadgen.Progress)
	ProgressEvery time.Duration
	// Tokenizer is the tokenizer already loaded for the run's model (the
	// in-process simulator's), or nil.
	Tokenizer tokenizer.Tokenizer
}

// RunnerCloser is a runner holding something to release after the run (a
// cluster it set up, a simulated vLLM it deployed).
type RunnerCloser interface {
	Close(ctx context.Context) error
}

// Registry is the set of runners a binary offers. Settings validation (which
// runner names exist, which settings each needs) and the flags derive from
// it. Build one with NewRegistry and add runners with Register (the cluster
// package's Register adds the Kubernetes Job runners).
type Registry struct {
	specs []RunnerSpec
}

// NewRegistry returns a registry holding the native runner: tailgate's load
// engine in this process.
func NewRegistry() *Registry {
	r := &Registry{}
	r.Register(RunnerSpec{Name: RunnerNative, Usage: "tailgate's load engine in this process", Local: true, New: newNativeRunner})
	return r
}

// Register adds a runner. Registering a name twice, or one flag for two
// variables, is a programming error and panics, as flag does.
func (r *Registry) Register(spec RunnerSpec) {
	if spec.Name == "" || spec.New == nil {
		panic("framework: Register needs a runner name and a factory")
	}
	if _, ok := r.Lookup(spec.Name); ok {
		panic(fmt.Sprintf("framework: runner %q registered twice", spec.Name))
	}
	known := map[string]string{}
	for _, s := range append(r.Settings(), commonSettings()...) {
		known[s.Flag] = s.Env
	}
	for _, s := range spec.Settings {
		if env, ok := known[s.Flag]; ok && env != s.Env {
			panic(fmt.Sprintf("framework: runner %q: flag %q already names %s", spec.Name, s.Flag, env))
		}
	}
	r.specs = append(r.specs, spec)
}

// Lookup returns the runner registered under name.
func (r *Registry) Lookup(name string) (RunnerSpec, bool) {
	for _, s := range r.specs {
		if s.Name == name {
			return s, true
		}
	}
	return RunnerSpec{}, false
}

// Names lists the registered runners, in registration order.
func (r *Registry) Names() []string {
	out := make([]string, len(r.specs))
	for i, s := range r.specs {
		out[i] = s.Name
	}
	return out
}

// Settings lists every runner's own settings once, in registration order.
func (r *Registry) Settings() []Setting {
	var out []Setting
	seen := map[string]bool{}
	for _, spec := range r.specs {
		for _, s := range spec.Settings {
			if !seen[s.Env] {
				seen[s.Env] = true
				out = append(out, s)
			}
		}
	}
	return out
}

// runnerUsage is the usage of the runner setting: every runner and what it runs.
func (r *Registry) runnerUsage() string {
	parts := make([]string, len(r.specs))
	for i, s := range r.specs {
		parts[i] = s.Name + " (" + s.Usage + ")"
	}
	return "runner: " + strings.Join(parts, ", ")
}

// selectRunner checks the runner named in s and reads its own settings from
// raw; name says how the user gave each setting.
func (r *Registry) selectRunner(s *Settings, raw map[string]string, name func(env string) string) error {
	spec, ok := r.Lookup(s.Runner)
	if s.Runner == "" {
		spec, ok = r.Lookup(RunnerNative)
	}
	if !ok {
		return fmt.Errorf("%s=%q: want %s", name(EnvRunner), s.Runner, strings.Join(r.Names(), ", "))
	}
	if spec.NoShards != "" && s.Sharding.Shard.Count > 0 {
		return fmt.Errorf("%s=%q: the %s runner cannot run a shard: %s", name(EnvShard), raw[EnvShard], spec.Name, spec.NoShards)
	}
	s.RunnerSettings = valuesOf(spec.Settings, raw, name)
	if spec.Check == nil {
		return nil
	}
	if err := spec.Check(s.RunnerSettings); err != nil {
		return fmt.Errorf("runner %s: %w", spec.Name, err)
	}
	return nil
}

// newNativeRunner is the native runner's factory.
func newNativeRunner(_ context.Context, in RunnerInput) (Runner, error) {
	s := in.Settings
	r := &NativeRunner{Progress: in.Progress, ProgressEvery: in.ProgressEvery, DrainTimeout: s.DrainTimeout,
		TokenizerOptions: tokenizer.LoadOptions{Logger: in.Logger}, TimelineInterval: s.Interval, Tokenizer: in.Tokenizer, Sharding: s.Sharding}
	r.configureServerMetrics(s)
	return r, nil
}
