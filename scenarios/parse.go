package scenarios

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/tailgate-dev/tailgate/internal/strictyaml"
)

// Parse reads an inference-perf config file's bytes the way inference-perf does: the
// file is merged over the defaults (mappings merge key by key, lists replace), every
// section gets its own defaults, and the result is validated. Unknown keys are errors
// that name the key, its dotted path and its line; so are wrong types, impossible values
// and configs inference-perf would refuse to run (no stages and no sweep).
func Parse(data []byte) (Config, error) {
	cfg, at, err := decodeConfig(data)
	if err != nil {
		return Config{}, err
	}
	if err := validateAt(cfg, at); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

// validateAt is Validate with each problem prefixed by the line of its field in the file
// (or of the nearest enclosing section there when the field itself is absent).
func validateAt(c Config, at map[string]int) error {
	ps := c.problems()
	if len(ps) == 0 {
		return nil
	}
	errs := make([]error, len(ps))
	for i, p := range ps {
		errs[i] = p
		for path := p.path; path != ""; path = parentPath(path) {
			if line, ok := at[path]; ok {
				errs[i] = fmt.Errorf("line %d: %w", line, p)
				break
			}
		}
	}
	return errors.Join(errs...)
}

// parentPath drops the last segment of a dotted path ("a.b[2].c" -> "a.b[2]" -> "a.b").
func parentPath(p string) string {
	i := strings.LastIndexAny(p, ".[")
	if i < 0 {
		return ""
	}
	return p[:i]
}

// LoadFile reads and parses an inference-perf config file. Errors start with the path;
// the Config's Name is the file name without its extension.
func LoadFile(path string) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("scenario: %w", err)
	}
	cfg, at, err := decodeConfig(data)
	if err != nil {
		return Config{}, fmt.Errorf("%s: %w", path, err)
	}
	if err := validateAt(cfg, at); err != nil {
		return Config{}, fmt.Errorf("%s: %w", path, err)
	}
	cfg.Name = strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	return cfg, nil
}

// decodeConfig decodes a config file over the defaults, without the semantic checks. It
// also returns the line of every dotted path in the file.
func decodeConfig(data []byte) (Config, map[string]int, error) {
	cfg := Default()
	root, err := parseDocument(data)
	if err != nil {
		return Config{}, nil, err
	}
	if root == nil { // empty file: inference-perf takes it as {}
		return cfg, nil, nil
	}
	at, err := decodeStrict(root, &cfg, "config")
	if err != nil {
		return Config{}, nil, err
	}
	if n := lookup(root, "load", "num_workers"); n != nil && n.Kind == yaml.ScalarNode && n.Value == "0" {
		return Config{}, nil, fmt.Errorf("line %d: load.num_workers: 0 runs inference-perf's generator inside its main process, which tailgate does not model; give a positive number of workers, or remove the key to use the CPU count", n.Line)
	}
	normalizeEmpty(reflect.ValueOf(&cfg).Elem())
	return cfg, at, nil
}

// parseDocument parses exactly one YAML document and returns its root node (nil when the
// input is empty); the root must be a mapping.
func parseDocument(data []byte) (*yaml.Node, error) {
	root, err := strictyaml.Document(data, "section")
	var located *strictyaml.Error
	switch {
	case errors.As(err, &located):
		return nil, err
	case err != nil:
		return nil, fmt.Errorf("not valid YAML: %w", err)
	case root != nil && root.Kind != yaml.MappingNode:
		return nil, fmt.Errorf("line %d: the file must be a mapping of sections (api, data, load, …), got %s", root.Line, strictyaml.KindName(root))
	}
	return root, nil
}

// decodeStrict checks every key of root against the Go type of out (reporting unknown
// keys with their line and dotted path), pre-fills the sections present with their
// defaults, then decodes root into out. what names the kind of file in messages. It
// returns the line of every dotted path in the file.
func decodeStrict(root *yaml.Node, out any, what string) (map[string]int, error) {
	w := &walker{lines: map[int][]lineValue{}, at: map[string]int{}, what: what}
	w.walk(root, reflect.ValueOf(out).Elem(), "")
	if len(w.errs) > 0 {
		return nil, errors.Join(w.errs...)
	}
	if err := root.Decode(out); err != nil {
		return nil, w.explain(err)
	}
	return w.at, nil
}

// aliasesFor maps the alias keys a section accepts to their canonical key.
func aliasesFor(t reflect.Type) map[string]string {
	if t == reflect.TypeFor[SharedPrefix]() {
		return map[string]string{
			"num_groups":            "num_unique_system_prompts",
			"num_prompts_per_group": "num_users_per_system_prompt",
		}
	}
	return nil
}

// walker checks keys and value kinds before decoding; yaml's own KnownFields check is
// not used because it cannot give dotted paths, follow aliases, or let circuit breakers
// keep unknown keys (inference-perf ignores those).
type walker struct {
	errs  []error
	lines map[int][]lineValue // the values starting on each line, in document order
	at    map[string]int      // dotted path -> line of its value
	what  string
}

var (
	lengthType         = reflect.TypeFor[Length]()
	circuitBreakerType = reflect.TypeFor[CircuitBreakerConfig]()
)

func (w *walker) fail(n *yaml.Node, path, format string, args ...any) {
	w.errs = append(w.errs, strictyaml.Errorf(n, displayPath(path), format, args...))
}

func displayPath(p string) string {
	if p == "" {
		return "(top level)"
	}
	return p
}

func (w *walker) walk(n *yaml.Node, v reflect.Value, path string) { w.walkMode(n, v, path, false) }

// walkMode checks node n against the Go value v at path; lenient keeps unknown keys
// (inside circuit breakers, as inference-perf does).
func (w *walker) walkMode(n *yaml.Node, v reflect.Value, path string, lenient bool) {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	w.record(n, path)
	isNull := n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
	t := v.Type()
	switch {
	case t == circuitBreakerType:
		lenient = true
	case t == lengthType:
		w.walkLength(n, path, lenient)
		return
	}
	switch t.Kind() {
	case reflect.Pointer:
		w.walkPointer(n, v, path, lenient)
	case reflect.Struct:
		w.walkStruct(n, v, path, lenient)
	case reflect.Slice:
		if n.Kind == yaml.SequenceNode {
			for i, item := range n.Content {
				w.walkMode(item, reflect.New(t.Elem()).Elem(), fmt.Sprintf("%s[%d]", path, i), lenient)
			}
		}
	case reflect.Map:
		if n.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(n.Content); i += 2 {
				w.walkMode(n.Content[i+1], reflect.New(t.Elem()).Elem(), strictyaml.Join(path, n.Content[i].Value), lenient)
			}
		}
	case reflect.Int, reflect.Int64, reflect.Int32:
		if !isNull {
			w.checkInt(n, path)
		}
	}
}

// record remembers where the value at path is, for later messages.
func (w *walker) record(n *yaml.Node, path string) {
	if path == "" {
		return
	}
	w.lines[n.Line] = append(w.lines[n.Line], lineValue{path: path, tag: n.ShortTag(), value: n.Value})
	if _, seen := w.at[path]; !seen {
		w.at[path] = n.Line
	}
}

// walkLength checks a token count or an inline distribution.
func (w *walker) walkLength(n *yaml.Node, path string, lenient bool) {
	switch {
	case n.Kind == yaml.MappingNode:
		w.walkMode(n, reflect.New(reflect.TypeFor[Distribution]()).Elem(), path, lenient)
	case n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null":
		w.fail(n, path, "is empty; give a token count or a distribution")
	default:
		w.checkInt(n, path)
	}
}

// walkPointer fills an absent section with its defaults before checking what the file
// gives for it; a null leaves it absent.
func (w *walker) walkPointer(n *yaml.Node, v reflect.Value, path string, lenient bool) {
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		return
	}
	if v.IsNil() && v.CanSet() {
		v.Set(reflect.ValueOf(newWithDefaults(v.Type().Elem())))
	}
	if !v.IsNil() {
		w.walkMode(n, v.Elem(), path, lenient)
	}
}

// walkStruct checks the keys of a section against its fields (aliases, merge keys,
// keys given twice, unknown keys) and walks each value.
func (w *walker) walkStruct(n *yaml.Node, v reflect.Value, path string, lenient bool) {
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		w.fail(n, path, "is empty; give a mapping or remove the key")
		return
	}
	if n.Kind != yaml.MappingNode {
		return // yaml reports the type mismatch with its line
	}
	t := v.Type()
	fields, aliases := structFields(t), aliasesFor(t)
	var keys strictyaml.Keys
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if k.ShortTag() == "!!merge" { // "<<: *defaults" merges a mapping into this one
			w.walkMerged(val, v, path, lenient)
			continue
		}
		name := k.Value
		if canon, ok := aliases[name]; ok {
			name = canon
		}
		if err := keys.Add(k, name, strictyaml.Join(path, k.Value)); err != nil {
			w.errs = append(w.errs, err)
			continue
		}
		idx, ok := fields[name]
		if !ok {
			if !lenient {
				w.unknownKey(k, path, t)
			}
			continue
		}
		k.Value = name
		w.walkMode(val, v.Field(idx), strictyaml.Join(path, name), lenient)
	}
}

// walkMerged checks the mapping (or list of mappings) a merge key brings in.
func (w *walker) walkMerged(val *yaml.Node, v reflect.Value, path string, lenient bool) {
	merged := []*yaml.Node{val}
	if val.Kind == yaml.SequenceNode {
		merged = val.Content
	}
	for _, m := range merged {
		w.walkMode(m, v, path, lenient)
	}
}

// unknownKey refuses key k of the section of type t at path.
func (w *walker) unknownKey(k *yaml.Node, path string, t reflect.Type) {
	err := strictyaml.UnknownKey(k, path, "the "+w.what, fieldNames(t))
	if w.what == "config" {
		err.Msg += " (inference-perf rejects unknown keys)"
	}
	w.errs = append(w.errs, err)
}

// checkInt rejects fractional numbers for integer fields (yaml would truncate 30.5 to 30;
// inference-perf rejects it).
func (w *walker) checkInt(n *yaml.Node, path string) {
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!float" {
		return
	}
	if _, err := strictyaml.Int(n, path); err != nil {
		w.errs = append(w.errs, err)
	}
}

// lineValue is a value node the walker saw: where it is and what it holds.
type lineValue struct{ path, tag, value string }

// pathAt finds the dotted path of the value yaml complained about on a line: the one with
// the given tag and value when several share the line (flow style), else the deepest.
func (w *walker) pathAt(line int, tag, value string) string {
	vals := w.lines[line]
	for i := len(vals) - 1; i >= 0; i-- {
		if vals[i].tag == tag && (value == "" || vals[i].value == value) {
			return vals[i].path
		}
	}
	if len(vals) == 0 {
		return ""
	}
	return vals[len(vals)-1].path
}

var typeErrLine = regexp.MustCompile(`^line (\d+): (.*)$`)
var cannotUnmarshal = regexp.MustCompile("^cannot unmarshal !!(\\w+) (?:`(.*)` )?into (.+)$")

// explain rewrites yaml's type errors with the dotted path of the value and the kind of
// value wanted.
func (w *walker) explain(err error) error {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return err
	}
	var out []error
	for _, msg := range te.Errors {
		m := typeErrLine.FindStringSubmatch(msg)
		if m == nil {
			out = append(out, errors.New(msg))
			continue
		}
		line, _ := strconv.Atoi(m[1])
		detail := m[2]
		path := w.pathAt(line, "", "")
		if c := cannotUnmarshal.FindStringSubmatch(detail); c != nil {
			path = w.pathAt(line, "!!"+c[1], c[2])
			got := c[1]
			if c[2] != "" {
				got = fmt.Sprintf("%s %q", c[1], c[2])
			}
			detail = fmt.Sprintf("wrong type: want %s, got %s", friendlyType(c[3]), got)
		}
		out = append(out, &strictyaml.Error{Line: line, Path: displayPath(path), Msg: detail})
	}
	return errors.Join(out...)
}

func friendlyType(goType string) string {
	switch {
	case strings.HasPrefix(goType, "[]"):
		return "a list"
	case strings.HasPrefix(goType, "map["), strings.HasPrefix(goType, "scenarios.") && !strings.HasSuffix(goType, "Type"):
		return "a mapping"
	case strings.HasPrefix(goType, "int"), strings.HasPrefix(goType, "uint"):
		return "a whole number"
	case strings.HasPrefix(goType, "float"):
		return "a number"
	case goType == "bool":
		return "true or false"
	}
	return "a string"
}

// structFields maps yaml keys to field indexes.
func structFields(t reflect.Type) map[string]int {
	m := map[string]int{}
	for i := range t.NumField() {
		if name := yamlName(t.Field(i)); name != "" {
			m[name] = i
		}
	}
	return m
}

func fieldNames(t reflect.Type) []string {
	var names []string
	for i := range t.NumField() {
		if name := yamlName(t.Field(i)); name != "" {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return names
}

func yamlName(f reflect.StructField) string {
	if !f.IsExported() {
		return ""
	}
	tag := f.Tag.Get("yaml")
	name, _, _ := strings.Cut(tag, ",")
	if name == "-" || name == "" {
		return ""
	}
	return name
}

// newWithDefaults returns a *T for the type t with t's section defaults applied.
func newWithDefaults(t reflect.Type) any {
	p := reflect.New(t)
	if d, ok := p.Interface().(defaulter); ok {
		d.setDefaults()
	}
	return p.Interface()
}

// lookup finds the value node at a key path in a mapping node.
func lookup(n *yaml.Node, keys ...string) *yaml.Node {
	for _, k := range keys {
		if n == nil || n.Kind != yaml.MappingNode {
			return nil
		}
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == k {
				next = n.Content[i+1]
			}
		}
		n = next
	}
	return n
}

// normalizeEmpty turns empty slices and maps into nil ones, so "stages: []" and an absent
// key compare equal.
func normalizeEmpty(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			normalizeEmpty(v.Elem())
		}
	case reflect.Struct:
		if v.Type() == lengthType {
			if d := v.Field(1); !d.IsNil() {
				normalizeEmpty(d.Elem())
			}
			return
		}
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				normalizeEmpty(v.Field(i))
			}
		}
	case reflect.Slice:
		if v.Len() == 0 {
			if !v.IsNil() && v.CanSet() {
				v.Set(reflect.Zero(v.Type()))
			}
			return
		}
		for i := range v.Len() {
			normalizeEmpty(v.Index(i))
		}
	case reflect.Map:
		if v.Len() == 0 && !v.IsNil() && v.CanSet() {
			v.Set(reflect.Zero(v.Type()))
		}
	}
}

// UnmarshalYAML reads a token count or an inline distribution.
func (l *Length) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.MappingNode {
		d := defaultsFor[Distribution]()
		if err := n.Decode(d); err != nil {
			return err
		}
		*l = Length{Dist: d}
		return nil
	}
	var v int
	if err := n.Decode(&v); err != nil {
		return err
	}
	*l = Length{Fixed: v}
	return nil
}
