package scenarios

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/url"
	"reflect"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Redacted replaces secret values in RenderRedacted output and in Config's String.
const Redacted = "REDACTED"

// Render returns the config.yml inference-perf reads for c, secrets included (use it to
// write a Secret or a ConfigMap, never to print). A key is written when its value differs
// from inference-perf's default, plus the keys that say what the scenario is (api.type,
// api.streaming, data.type, load.type, server.type/base_url/ignore_eos, the four
// distribution bounds), so the output is short, stable, and Parse(Render(c)) equals c.
func Render(c Config) ([]byte, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return render(c)
}

// RenderRedacted is Render with the API key, the Hugging Face token, secret-looking
// headers and passwords in URLs replaced by "REDACTED". Use it for anything a person or a
// log will see.
func RenderRedacted(c Config) ([]byte, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return render(c.Redact())
}

// Redact returns a copy of c whose secrets (server.api_key, tokenizer.token, secret-looking
// api.headers, passwords in URLs) read "REDACTED".
func (c Config) Redact() Config {
	c = c.Clone()
	if c.Server != nil {
		if c.Server.APIKey != "" {
			c.Server.APIKey = Redacted
		}
		c.Server.BaseURL = RedactURL(c.Server.BaseURL)
	}
	if c.Tokenizer != nil && c.Tokenizer.Token != "" {
		c.Tokenizer.Token = Redacted
	}
	for k := range c.API.Headers {
		if secretHeader(k) {
			c.API.Headers[k] = Redacted
		}
	}
	if c.Metrics != nil && c.Metrics.Prometheus != nil {
		c.Metrics.Prometheus.URL = RedactURL(c.Metrics.Prometheus.URL)
	}
	if c.Storage != nil && c.Storage.SimpleStorageService != nil && c.Storage.SimpleStorageService.EndpointURL != nil {
		c.Storage.SimpleStorageService.EndpointURL = ptr(RedactURL(*c.Storage.SimpleStorageService.EndpointURL))
	}
	return c
}

func secretHeader(name string) bool {
	n := strings.ToLower(name)
	for _, s := range []string{"authorization", "api-key", "api_key", "apikey", "token", "secret", "cookie", "password"} {
		if strings.Contains(n, s) {
			return true
		}
	}
	return false
}

// RedactURL returns s with the password of its user info replaced by
// Redacted. A string that does not parse as a URL has everything between
// "://" and the last "@" of its authority replaced, so a malformed URL in an
// error message cannot leak a password either.
func RedactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		rest, scheme := s, ""
		if i := strings.Index(s, "://"); i >= 0 {
			scheme, rest = s[:i+3], s[i+3:]
		}
		authority := rest
		if i := strings.IndexAny(rest, "/?#"); i >= 0 {
			authority = rest[:i]
		}
		if at := strings.LastIndex(authority, "@"); at >= 0 {
			return scheme + Redacted + rest[at:]
		}
		return s
	}
	if u.User == nil {
		return s
	}
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), Redacted)
	}
	return u.String()
}

// String renders c as config.yml with its secrets redacted.
func (c Config) String() string {
	out, err := render(c.Redact())
	if err != nil {
		return fmt.Sprintf("scenarios.Config(unrenderable: %v)", err)
	}
	return string(out)
}

// Format prints c like String for every verb, so %v, %+v and %#v never show a secret.
func (c Config) Format(f fmt.State, _ rune) { fmt.Fprint(f, c.String()) }

// GomegaString is String, so a failed Gomega assertion on a Config never prints a secret.
func (c Config) GomegaString() string { return c.String() }

// MarshalJSON writes c with its secrets redacted (see Redact): JSON goes to reports and
// logs, while the config inference-perf reads comes from Render.
func (c Config) MarshalJSON() ([]byte, error) {
	type plain Config
	return json.Marshal(plain(c.Redact()))
}

// LogValue is String, so slog handlers (text and JSON) log c without its secrets.
func (c Config) LogValue() slog.Value { return slog.StringValue(c.String()) }

// String shows the server section with its API key redacted.
func (s ServerConfig) String() string {
	if s.APIKey != "" {
		s.APIKey = Redacted
	}
	s.BaseURL = RedactURL(s.BaseURL)
	return flow(s, defaultsFor[ServerConfig]())
}

// Format prints s like String for every verb.
func (s ServerConfig) Format(f fmt.State, _ rune) { fmt.Fprint(f, s.String()) }

// GomegaString is String, for Gomega failure messages.
func (s ServerConfig) GomegaString() string { return s.String() }

// MarshalJSON writes the server section with its API key redacted: JSON goes to reports
// and logs, while the config inference-perf reads comes from Render.
func (s ServerConfig) MarshalJSON() ([]byte, error) {
	type plain ServerConfig
	if s.APIKey != "" {
		s.APIKey = Redacted
	}
	s.BaseURL = RedactURL(s.BaseURL)
	return json.Marshal(plain(s))
}

// String shows the tokenizer section with its token redacted.
func (t TokenizerConfig) String() string {
	if t.Token != "" {
		t.Token = Redacted
	}
	return flow(t, &TokenizerConfig{})
}

// Format prints t like String for every verb.
func (t TokenizerConfig) Format(f fmt.State, _ rune) { fmt.Fprint(f, t.String()) }

// GomegaString is String, for Gomega failure messages.
func (t TokenizerConfig) GomegaString() string { return t.String() }

// MarshalJSON writes the tokenizer section with its token redacted (see
// ServerConfig.MarshalJSON).
func (t TokenizerConfig) MarshalJSON() ([]byte, error) {
	type plain TokenizerConfig
	if t.Token != "" {
		t.Token = Redacted
	}
	return json.Marshal(plain(t))
}

func flow[T any](v T, def *T) string {
	n, err := encodeStruct(reflect.ValueOf(v), reflect.ValueOf(def).Elem())
	if err != nil {
		return fmt.Sprintf("(unrenderable: %v)", err)
	}
	n.Style = yaml.FlowStyle
	out, err := yaml.Marshal(n)
	if err != nil {
		return fmt.Sprintf("(unrenderable: %v)", err)
	}
	return strings.TrimSpace(string(out))
}

func render(c Config) ([]byte, error) {
	c = c.Clone()
	// A ServerConfig built in Go may leave its defaulted fields at zero.
	if c.Server != nil && c.Server.IgnoreEOS == nil {
		c.Server.IgnoreEOS = ptr(true)
	}
	if c.Server != nil && c.Server.Type == "" {
		c.Server.Type = ServerVLLM
	}
	root, err := encodeStruct(reflect.ValueOf(c), reflect.ValueOf(Default()))
	if err != nil {
		return nil, err
	}
	doc := &yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{root}}
	if c.Name != "" {
		doc.HeadComment = "inference-perf config for the tailgate scenario " + c.Name
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("render: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("render: %w", err)
	}
	return buf.Bytes(), nil
}

// encodeStruct writes the fields of v that differ from def (or are marked render:"always").
func encodeStruct(v, def reflect.Value) (*yaml.Node, error) {
	n := &yaml.Node{Kind: yaml.MappingNode}
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		name := yamlName(f)
		if name == "" {
			continue
		}
		fv, dv := v.Field(i), def.Field(i)
		if f.Tag.Get("render") != "always" && reflect.DeepEqual(fv.Interface(), dv.Interface()) {
			continue
		}
		child, err := encodeValue(fv, dv)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: name}, child)
	}
	return n, nil
}

func encodeValue(v, def reflect.Value) (*yaml.Node, error) {
	switch {
	case v.Type() == lengthType:
		l := v.Interface().(Length)
		if l.Dist != nil {
			return encodeStruct(reflect.ValueOf(*l.Dist), reflect.ValueOf(defaultsFor[Distribution]()).Elem())
		}
		return scalar(l.Fixed)
	case v.Kind() == reflect.Pointer:
		if v.IsNil() {
			return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"}, nil
		}
		if v.Elem().Kind() != reflect.Struct {
			return scalar(v.Elem().Interface())
		}
		d := reflect.ValueOf(newWithDefaults(v.Type().Elem())).Elem()
		if def.IsValid() && def.Kind() == reflect.Pointer && !def.IsNil() {
			d = def.Elem()
		}
		return encodeStruct(v.Elem(), d)
	case v.Kind() == reflect.Struct:
		return encodeStruct(v, def)
	case v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.Struct:
		seq := &yaml.Node{Kind: yaml.SequenceNode}
		for i := range v.Len() {
			item, err := encodeStruct(v.Index(i), reflect.ValueOf(newWithDefaults(v.Type().Elem())).Elem())
			if err != nil {
				return nil, fmt.Errorf("[%d]: %w", i, err)
			}
			seq.Content = append(seq.Content, item)
		}
		return seq, nil
	case v.Kind() == reflect.Slice && v.IsNil():
		return &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}, nil
	}
	return scalar(v.Interface())
}

func scalar(v any) (*yaml.Node, error) {
	var n yaml.Node
	if err := n.Encode(v); err != nil {
		return nil, err
	}
	return &n, nil
}
