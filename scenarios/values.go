package scenarios

import (
	"fmt"
	"slices"
	"strings"
)

// chartValues is an AI-on-EKS benchmark-charts values file. Only benchmark.scenario,
// benchmark.target, benchmark.api, benchmark.storage.s3 and benchmark.scenarios shape
// the inference-perf config; the other chart keys (image, job, resources, affinity, …)
// are accepted and left to the chart.
type chartValues struct {
	Benchmark *chartBenchmark `yaml:"benchmark"`
}

type chartBenchmark struct {
	Enabled        *bool                          `yaml:"enabled"`
	Namespace      *string                        `yaml:"namespace"`
	Image          *chartImage                    `yaml:"image"`
	ServiceAccount *chartServiceAccount           `yaml:"serviceAccount"`
	Scenario       *string                        `yaml:"scenario"`
	Job            *chartJob                      `yaml:"job"`
	Target         *chartTarget                   `yaml:"target"`
	API            *chartAPI                      `yaml:"api"`
	Storage        *chartStorage                  `yaml:"storage"`
	Dependencies   *chartDependencies             `yaml:"dependencies"`
	Resources      map[string]any                 `yaml:"resources"`
	Affinity       *chartAffinity                 `yaml:"affinity"`
	Scenarios      map[string]*chartScenarioValue `yaml:"scenarios"`
}

type chartImage struct {
	Repository *string `yaml:"repository"`
	Tag        *string `yaml:"tag"`
	PullPolicy *string `yaml:"pullPolicy"`
}

type chartServiceAccount struct {
	Create      *bool   `yaml:"create"`
	Name        *string `yaml:"name"`
	Annotations any     `yaml:"annotations"`
}

type chartJob struct {
	BackoffLimit            *int `yaml:"backoffLimit"`
	TTLSecondsAfterFinished *int `yaml:"ttlSecondsAfterFinished"`
}

type chartTarget struct {
	ServerType    *string `yaml:"serverType"`
	ModelName     *string `yaml:"modelName"`
	BaseURL       *string `yaml:"baseUrl"`
	TokenizerPath *string `yaml:"tokenizerPath"`
	IgnoreEOS     *bool   `yaml:"ignoreEos"`
}

type chartAPI struct {
	Type      *string `yaml:"type"`
	Streaming *bool   `yaml:"streaming"`
}

type chartStorage struct {
	S3 *chartS3 `yaml:"s3"`
}

type chartS3 struct {
	BucketName *string `yaml:"bucketName"`
	PathPrefix *string `yaml:"pathPrefix"`
}

type chartDependencies struct {
	Packages []string `yaml:"packages"`
}

type chartAffinity struct {
	Enabled      *bool             `yaml:"enabled"`
	TargetLabels map[string]string `yaml:"targetLabels"`
}

type chartScenarioValue struct {
	Description *string    `yaml:"description"`
	Data        *chartData `yaml:"data"`
	Load        *chartLoad `yaml:"load"`
}

type chartData struct {
	Input  *chartDist `yaml:"input"`
	Output *chartDist `yaml:"output"`
}

type chartDist struct {
	Mean   *float64 `yaml:"mean"`
	StdDev *float64 `yaml:"stdDev"`
	Min    *int     `yaml:"min"`
	Max    *int     `yaml:"max"`
}

type chartLoad struct {
	Type       *string     `yaml:"type"`
	NumWorkers *int        `yaml:"numWorkers"`
	Stages     *[]Stage    `yaml:"stages"`
	Sweep      *chartSweep `yaml:"sweep"`
}

type chartSweep struct {
	Type                 *string  `yaml:"type"`
	NumRequests          *int     `yaml:"numRequests"`
	Timeout              *float64 `yaml:"timeout"`
	NumStages            *int     `yaml:"numStages"`
	StageDuration        *int     `yaml:"stageDuration"`
	SaturationPercentile *float64 `yaml:"saturationPercentile"`
}

// chartKeyHint explains a key the AI-on-EKS docs use but the chart does not have.
func chartKeyHint(key string) string {
	switch key {
	case "benchmark.storage.s3.path":
		return "the chart builds the S3 path from benchmark.storage.s3.pathPrefix"
	case "benchmark.storage.s3.enabled":
		return "the chart always writes S3 storage; set benchmark.storage.s3.bucketName"
	}
	return ""
}

func parseValues(data []byte) (*chartBenchmark, error) {
	root, err := parseDocument(data)
	if err != nil {
		return nil, fmt.Errorf("values: %w", err)
	}
	var v chartValues
	if root != nil {
		if _, err := decodeStrict(root, &v, "values file"); err != nil {
			for _, key := range []string{"benchmark.storage.s3.path", "benchmark.storage.s3.enabled"} {
				if msg := err.Error(); strings.Contains(msg, "unknown key "+key+";") || strings.Contains(msg, "unknown key "+key+" (") {
					err = fmt.Errorf("%w\n(%s: %s)", err, key, chartKeyHint(key))
				}
			}
			return nil, fmt.Errorf("values: %w", err)
		}
	}
	if v.Benchmark == nil {
		v.Benchmark = &chartBenchmark{}
	}
	return v.Benchmark, nil
}

// ApplyValues overlays an AI-on-EKS benchmark-charts values file onto cfg the way Helm
// merges it over the chart's defaults: mappings merge key by key, lists (load.stages)
// replace. benchmark.target.* sets the server and tokenizer, benchmark.api.* the api
// section, benchmark.scenarios.<cfg.Name>.data.input/output.{mean,stdDev,min,max} the
// length distributions, …load.{type,numWorkers,stages,sweep} the load, and
// benchmark.storage.s3.* adds the S3 upload at the path the chart builds
// (<pathPrefix>/<scenario>/<serverType>/<modelName>; the chart's 20 random letters are
// left out, a runner adds its own run id). Unknown keys are errors naming the key and its
// line. When the values select a scenario (benchmark.scenario) it must be cfg's, unless
// cfg has no name yet, in which case it takes that name.
func ApplyValues(cfg Config, valuesYAML []byte) (Config, error) {
	b, err := parseValues(valuesYAML)
	if err != nil {
		return Config{}, err
	}
	return applyValues(cfg, b)
}

// FromValues builds the scenario a values file selects, as the chart would render it:
// the preset named by benchmark.scenario (the chart's default is baseline) with the values
// overlaid. A scenario name that is not a preset starts from the chart's common settings
// (target, api, synthetic data) and needs its data and load in the values file.
func FromValues(valuesYAML []byte) (Config, error) {
	b, err := parseValues(valuesYAML)
	if err != nil {
		return Config{}, err
	}
	name := PresetBaseline
	if b.Scenario != nil {
		name = *b.Scenario
	}
	base, err := Preset(name)
	if err != nil {
		if _, custom := b.Scenarios[name]; !custom {
			return Config{}, fmt.Errorf("values: benchmark.scenario %q is neither a preset (%s) nor defined under benchmark.scenarios",
				name, strings.Join(PresetNames(), ", "))
		}
		base = chartBase(name)
	}
	return applyValues(base, b)
}

// applyValues overlays the values file's benchmark block onto a copy of cfg and
// validates the result (see ApplyValues).
func applyValues(cfg Config, b *chartBenchmark) (Config, error) {
	cfg = cfg.Clone()
	if b.Scenario != nil {
		switch {
		case cfg.Name == "":
			cfg.Name = *b.Scenario
		case cfg.Name != *b.Scenario:
			return Config{}, fmt.Errorf("values: benchmark.scenario is %q but the scenario being built is %q; drop one of them", *b.Scenario, cfg.Name)
		}
	}
	applyTarget(&cfg, b.Target)
	if a := b.API; a != nil {
		if a.Type != nil {
			cfg.API.Type = APIType(*a.Type)
		}
		setIf(&cfg.API.Streaming, a.Streaming)
	}
	if sc := b.Scenarios[cfg.Name]; sc != nil {
		if d := sc.Data; d != nil {
			cfg.Data.InputDistribution = overlayDist(cfg.Data.InputDistribution, d.Input)
			cfg.Data.OutputDistribution = overlayDist(cfg.Data.OutputDistribution, d.Output)
		}
		applyLoad(&cfg.Load, sc.Load)
	}
	if st := b.Storage; st != nil && st.S3 != nil {
		applyS3(&cfg, st.S3)
	}
	if err := cfg.Validate(); err != nil {
		return Config{}, fmt.Errorf("values: %w", err)
	}
	return cfg, nil
}

// applyTarget sets the server and tokenizer from benchmark.target.
func applyTarget(cfg *Config, t *chartTarget) {
	if t == nil {
		return
	}
	if cfg.Server == nil {
		cfg.Server = defaultsFor[ServerConfig]()
	}
	setIf(&cfg.Server.BaseURL, t.BaseURL)
	setIf(&cfg.Server.ModelName, t.ModelName)
	if t.ServerType != nil {
		cfg.Server.Type = ServerType(*t.ServerType)
	}
	if t.IgnoreEOS != nil {
		cfg.Server.IgnoreEOS = ptr(*t.IgnoreEOS)
	}
	if t.TokenizerPath != nil {
		if cfg.Tokenizer == nil {
			cfg.Tokenizer = &TokenizerConfig{}
		}
		cfg.Tokenizer.PretrainedModelNameOrPath = *t.TokenizerPath
	}
}

// applyLoad sets the load from benchmark.scenarios.<name>.load; its stages replace
// the scenario's, its sweep keys merge into the scenario's sweep.
func applyLoad(load *LoadConfig, l *chartLoad) {
	if l == nil {
		return
	}
	if l.Type != nil {
		load.Type = LoadType(*l.Type)
	}
	setIf(&load.NumWorkers, l.NumWorkers)
	if l.Stages != nil {
		load.Stages = slices.Clone(*l.Stages)
		if len(load.Stages) == 0 {
			load.Stages = nil
		}
	}
	s := l.Sweep
	if s == nil {
		return
	}
	if load.Sweep == nil {
		load.Sweep = defaultsFor[SweepConfig]()
	}
	sw := load.Sweep
	if s.Type != nil {
		sw.Type = SweepType(*s.Type)
	}
	setIf(&sw.NumRequests, s.NumRequests)
	setIf(&sw.Timeout, s.Timeout)
	setIf(&sw.NumStages, s.NumStages)
	setIf(&sw.StageDuration, s.StageDuration)
	setIf(&sw.SaturationPercentile, s.SaturationPercentile)
}

// applyS3 adds the S3 upload at the path the chart builds:
// <pathPrefix>/<scenario>/<serverType>/<modelName>, empty parts left out.
func applyS3(cfg *Config, v *chartS3) {
	bucket, prefix := chartS3Bucket, chartS3PathPrefix
	setIf(&bucket, v.BucketName)
	setIf(&prefix, v.PathPrefix)
	if cfg.Storage == nil {
		cfg.Storage = defaultsFor[StorageConfig]()
	}
	serverType, model := string(chartServerType), chartModelName
	if cfg.Server != nil {
		serverType, model = string(cfg.Server.Type), cfg.Server.ModelName
	}
	s3 := defaultsFor[S3StorageConfig]()
	s3.BucketName = bucket
	var parts []string
	for _, p := range []string{prefix, cfg.Name, serverType, model} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	s3.Path = strings.Join(parts, "/")
	cfg.Storage.SimpleStorageService = s3
}

// overlayDist sets the chart's four distribution keys on d (a new normal distribution
// with inference-perf's defaults when d is nil).
func overlayDist(d *Distribution, v *chartDist) *Distribution {
	if v == nil {
		return d
	}
	if d == nil {
		d = defaultsFor[Distribution]()
	} else {
		c := *d
		d = &c
	}
	setIf(&d.Mean, v.Mean)
	setIf(&d.StdDev, v.StdDev)
	setIf(&d.Min, v.Min)
	setIf(&d.Max, v.Max)
	return d
}

func setIf[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}
