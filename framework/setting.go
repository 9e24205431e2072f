package framework

import (
	"flag"
	"fmt"
	"strconv"
	"strings"
)

// Setting describes one setting: the flag that gives it (-tailgate.<Flag> in
// a suite, --<Flag> in `tailgate run`), the environment variable that gives
// it when the flag does not, and a one-line usage.
type Setting struct {
	Flag, Env, Usage string
	// Secret settings are never printed; `tailgate run` reads them from
	// their variable only, so they never appear in a process list.
	Secret bool
}

// Values are the raw values of a runner's own settings, keyed by environment
// variable, and the name the user gave each by, so that an error names the
// flag or the variable that holds the bad value.
type Values struct {
	raw   map[string]string
	names map[string]string
}

// EnvValues reads settings from their environment variables through getenv;
// errors name the variables.
func EnvValues(settings []Setting, getenv func(string) string) Values {
	raw := map[string]string{}
	for _, s := range settings {
		raw[s.Env] = getenv(s.Env)
	}
	return valuesOf(settings, raw, func(env string) string { return env })
}

// valuesOf keeps the non-empty values of settings from raw (keyed by
// variable), named by name.
func valuesOf(settings []Setting, raw map[string]string, name func(env string) string) Values {
	var v Values
	for _, s := range settings {
		val := strings.TrimSpace(raw[s.Env])
		if val == "" {
			continue
		}
		if v.raw == nil {
			v.raw, v.names = map[string]string{}, map[string]string{}
		}
		v.raw[s.Env], v.names[s.Env] = val, name(s.Env)
	}
	return v
}

// Get returns the value of the setting read from variable env, trimmed; ""
// when it was not given.
func (v Values) Get(env string) string { return v.raw[env] }

// Name is how the user gave the setting of variable env: the flag or the
// variable, for error messages.
func (v Values) Name(env string) string {
	if n := v.names[env]; n != "" {
		return n
	}
	return env
}

// Bool parses a true/false setting; not given means false.
func (v Values) Bool(env string) (bool, error) {
	s := v.Get(env)
	if s == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		return false, fmt.Errorf("%s=%q: want true or false", v.Name(env), s)
	}
	return b, nil
}

// BoundFlags are settings bound as flags on a flag set, each flag's default
// its variable read at binding time, so a flag given wins over the variable.
type BoundFlags struct {
	fs    *flag.FlagSet
	vals  map[string]*string // by variable
	flags map[string]string  // flag name by variable
}

// BindFlags binds each setting as the flag prefix+Flag on fs (a setting
// already bound, by variable, once); getenv gives the defaults.
func BindFlags(fs *flag.FlagSet, prefix string, settings []Setting, getenv func(string) string) *BoundFlags {
	b := &BoundFlags{fs: fs, vals: map[string]*string{}, flags: map[string]string{}}
	for _, s := range settings {
		if _, ok := b.vals[s.Env]; ok {
			continue
		}
		b.vals[s.Env] = fs.String(prefix+s.Flag, getenv(s.Env), s.Usage+" (env "+s.Env+")")
		b.flags[s.Env] = prefix + s.Flag
	}
	return b
}

// Raw returns the bound values keyed by variable.
func (b *BoundFlags) Raw() map[string]string {
	out := map[string]string{}
	for env, p := range b.vals {
		out[env] = *p
	}
	return out
}

// Label names a setting as the user gave it, after the flag set was parsed:
// dash and the flag's name when the flag was given, the variable otherwise.
func (b *BoundFlags) Label(dash string) func(env string) string {
	given := map[string]bool{}
	b.fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	return func(env string) string {
		if fl, ok := b.flags[env]; ok && given[fl] {
			return dash + fl
		}
		return env
	}
}
