package strictyaml

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Error is one problem at one place of a YAML document: its line, the dotted path of
// the key or value ("" for the document itself) and what is wrong with the fix.
type Error struct {
	Line int
	Path string
	Msg  string
}

// Error renders the problem as "line 3: load.stages[0].rate: want a number, …".
func (e *Error) Error() string {
	return fmt.Sprintf("line %d: %s", e.Line, e.located())
}

// In renders the problem with the file's name in front, as compilers do:
// "sla.yaml:3: latency.ttft.p99: …". The result wraps e.
func (e *Error) In(file string) error { return &fileError{file: file, err: e} }

func (e *Error) located() string {
	if e.Path == "" {
		return e.Msg
	}
	return e.Path + ": " + e.Msg
}

type fileError struct {
	file string
	err  *Error
}

func (f *fileError) Error() string {
	return fmt.Sprintf("%s:%d: %s", f.file, f.err.Line, f.err.located())
}
func (f *fileError) Unwrap() error { return f.err }

// Errorf is an *Error at node n, key path path.
func Errorf(n *yaml.Node, path, format string, args ...any) *Error {
	return &Error{Line: n.Line, Path: path, Msg: fmt.Sprintf(format, args...)}
}

// Document parses data as exactly one YAML document and returns its root node, or nil
// when the document is empty or null. A second document is an *Error at its first
// line whose message asks for every item (what: "promise", "section") in one
// document; syntax errors are yaml's own.
func Document(data []byte, what string) (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, err
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case err == nil:
		return nil, &Error{Line: extra.Line, Msg: fmt.Sprintf("a second YAML document starts here (---); put every %s in one document", what)}
	case !errors.Is(err, io.EOF):
		return nil, err
	}
	root := &doc
	if root.Kind == yaml.DocumentNode {
		if len(root.Content) == 0 {
			return nil, nil
		}
		root = root.Content[0]
	}
	if root.Kind == yaml.ScalarNode && root.ShortTag() == "!!null" {
		return nil, nil
	}
	return root, nil
}

// Join appends key to a dotted path.
func Join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// KindName describes what a node holds for "want X, got Y" messages: "a mapping",
// "a list", "nothing (null)" or the quoted scalar.
func KindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.ShortTag() == "!!null" {
			return "nothing (null)"
		}
		return fmt.Sprintf("%q", n.Value)
	}
	return "an alias"
}

// Mapping refuses a node that is not a mapping.
func Mapping(n *yaml.Node, path string) error {
	if n.Kind != yaml.MappingNode {
		return Errorf(n, path, "want a mapping, got %s", KindName(n))
	}
	return nil
}

// Keys remembers the keys seen in one mapping so a key given twice, directly or
// through an alias of the same setting, is refused. The zero Keys is ready to use.
type Keys struct {
	seen map[string]given
}

type given struct {
	key  string
	line int
}

// Add records key node k, which sets the setting name (k.Value itself, or the
// canonical key when k is an alias); it refuses a setting given before. path is the
// key's dotted path.
func (s *Keys) Add(k *yaml.Node, name, path string) error {
	if s.seen == nil {
		s.seen = map[string]given{}
	}
	prev, dup := s.seen[name]
	switch {
	case !dup:
		s.seen[name] = given{k.Value, k.Line}
		return nil
	case prev.key == k.Value:
		return Errorf(k, path, "is given twice (first on line %d); keep one", prev.line)
	default:
		return Errorf(k, path, "repeats %q given on line %d (an alias of the same setting)", prev.key, prev.line)
	}
}

// UnknownKey is the refusal of key node k in the section at path, which takes the
// keys known: "unknown key load.stage (did you mean stages?); load takes …". section
// names the top level ("the SLA file") when path is empty.
func UnknownKey(k *yaml.Node, path, section string, known []string) *Error {
	names := append([]string(nil), known...)
	sort.Strings(names)
	hint := ""
	if near := Suggest(k.Value, names); near != "" {
		hint = fmt.Sprintf(" (did you mean %s?)", near)
	}
	if path != "" {
		section = path
	}
	return &Error{Line: k.Line, Msg: fmt.Sprintf("unknown key %s%s; %s takes %s", Join(path, k.Value), hint, section, strings.Join(names, ", "))}
}

// Suggest returns the name closest to key when it is plausibly a typo of it: the same
// letters in another case or style (baseURL, base-url), or one edit away (two for
// names of six letters or more). It returns "" when none is.
func Suggest(key string, names []string) string {
	squash := func(s string) string {
		return strings.ToLower(strings.NewReplacer("_", "", "-", "").Replace(s))
	}
	best, bestDist := "", 3
	for _, n := range names {
		if squash(n) == squash(key) {
			return n
		}
		limit := 2 // edits allowed: one for short names, two for longer ones
		if len(n) < 6 {
			limit = 1
		}
		if d := editDistance(key, n); d <= limit && d < bestDist {
			best, bestDist = n, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
