package cluster

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	yaml "go.yaml.in/yaml/v3"

	"github.com/tailgate-dev/tailgate/scenarios"
)

// preparedRun is a scenario made ready for one run in a cluster.
type preparedRun struct {
	config          []byte        // rendered config.yml, without secrets
	secretConfig    []byte        // YAML overlay holding the secret values, nil when none
	apiKey, hfToken string        // the API key and Hugging Face token, also as env vars
	otherSecrets    []string      // secret keys the env vars cannot carry (headers, URL passwords)
	secretValues    []string      // every secret value, for redacting logs and collected files
	s3              *S3Location   // where the run stores its reports in S3, if it does
	plannedDuration time.Duration // how long the schedule lasts (scenarios.Config.PlannedDuration)
}

// prepareScenario copies cfg for a run named runID: secrets (server.api_key,
// secret-looking api.headers, a password in server.base_url) move out of the config into
// an overlay that goes in a Secret; tokenizer.token leaves the config for the HF_TOKEN
// environment variable alone; local storage goes to the path the
// Job's script prints from; an S3 path gets the run id appended (inference-perf skips an
// upload whose key exists, so a shared path would silently keep an older run's report).
// The planned duration is the scenario's own answer (scenarios.Config.PlannedDuration),
// a sweep's probe and generated stages included.
func prepareScenario(cfg scenarios.Config, runID string) (preparedRun, error) {
	var p preparedRun
	if err := cfg.Validate(); err != nil {
		return p, err
	}
	cfg = cfg.Clone()
	if err := p.moveSecrets(&cfg); err != nil {
		return p, err
	}
	p.s3 = placeReports(&cfg, runID)
	p.plannedDuration = cfg.PlannedDuration()
	out, err := scenarios.Render(cfg)
	if err != nil {
		return p, fmt.Errorf("cluster: render scenario: %w", err)
	}
	p.config = out
	return p, nil
}

// moveSecrets takes the secrets out of cfg: the API key, a password in the base URL and
// secret-looking headers go into the Secret's overlay, the Hugging Face token into
// hfToken; every secret value is kept for redaction.
func (p *preparedRun) moveSecrets(cfg *scenarios.Config) error {
	red := cfg.Redact()
	overlay := map[string]map[string]any{}
	put := func(section, key string, v any) {
		if overlay[section] == nil {
			overlay[section] = map[string]any{}
		}
		overlay[section][key] = v
	}
	if s := cfg.Server; s != nil {
		if s.APIKey != "" {
			p.apiKey = s.APIKey
			p.secretValues = append(p.secretValues, s.APIKey)
			put("server", "api_key", s.APIKey)
			s.APIKey = ""
		}
		if s.BaseURL != red.Server.BaseURL {
			p.otherSecrets = append(p.otherSecrets, "server.base_url (password)")
			put("server", "base_url", s.BaseURL)
			p.secretValues = append(p.secretValues, s.BaseURL, urlPassword(s.BaseURL))
			s.BaseURL = red.Server.BaseURL
		}
	}
	if t := cfg.Tokenizer; t != nil && t.Token != "" {
		// Only as HF_TOKEN: the Hugging Face libraries read it from the environment, and
		// inference-perf logs its config and uploads it to S3 as config.yaml.
		p.hfToken = t.Token
		p.secretValues = append(p.secretValues, t.Token)
		t.Token = ""
	}
	headers := map[string]string{}
	for k, v := range cfg.API.Headers {
		if red.API.Headers[k] != v {
			p.otherSecrets = append(p.otherSecrets, "api.headers."+k)
			headers[k] = v
			p.secretValues = append(p.secretValues, v)
			cfg.API.Headers[k] = red.API.Headers[k]
		}
	}
	if len(headers) > 0 {
		put("api", "headers", headers)
	}
	if len(overlay) == 0 {
		return nil
	}
	out, err := yaml.Marshal(overlay)
	if err != nil {
		return fmt.Errorf("cluster: secret overlay: %w", err)
	}
	p.secretConfig = out
	return nil
}

// placeReports points cfg's local storage at the directory the Job's script prints
// from and, when the scenario stores in S3, appends runID to the S3 path and returns
// where the run's reports will be there (nil otherwise).
func placeReports(cfg *scenarios.Config, runID string) *S3Location {
	var st scenarios.StorageConfig
	if cfg.Storage != nil {
		st = *cfg.Storage
	}
	local := scenarios.LocalStorageConfig{}
	if st.LocalStorage != nil {
		local = *st.LocalStorage
	}
	local.Path = reportDir
	local.ReportFilePrefix = nil
	st.LocalStorage = &local
	cfg.Storage = &st
	if st.SimpleStorageService == nil {
		return nil
	}
	s3c := *st.SimpleStorageService
	s3c.Path = strings.TrimSuffix(s3c.Path, "/") + "/" + runID
	st.SimpleStorageService = &s3c
	return &S3Location{
		Bucket:    s3c.BucketName,
		Prefix:    strings.TrimPrefix(s3c.Path, "/") + "/" + deref(s3c.ReportFilePrefix),
		Endpoint:  deref(s3c.EndpointURL),
		Region:    deref(s3c.RegionName),
		PathStyle: deref(s3c.AddressingStyle) == "path",
	}
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// urlPassword returns the password in a URL's user info, or "".
func urlPassword(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return ""
	}
	pw, _ := u.User.Password()
	return pw
}
