package strictyaml

import (
	"math"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Scalar returns the text of a scalar node, refusing a mapping, a list or null with
// "want <want>, got …".
func Scalar(n *yaml.Node, path, want string) (string, error) {
	if n.Kind != yaml.ScalarNode || n.ShortTag() == "!!null" {
		return "", Errorf(n, path, "want %s, got %s", want, KindName(n))
	}
	return n.Value, nil
}

// Bool reads true or false (YAML booleans only, not "yes" in quotes).
func Bool(n *yaml.Node, path string) (bool, error) {
	s, err := Scalar(n, path, "true or false")
	if err != nil {
		return false, err
	}
	if n.ShortTag() != "!!bool" {
		return false, Errorf(n, path, "want true or false, got %q", s)
	}
	return s == "true", nil
}

// Number reads a finite number written as a YAML int or float.
func Number(n *yaml.Node, path string) (float64, error) {
	s, err := Scalar(n, path, "a number")
	if err != nil {
		return 0, err
	}
	if tag := n.ShortTag(); tag != "!!int" && tag != "!!float" {
		return 0, Errorf(n, path, "want a number, got %q", s)
	}
	f, perr := strconv.ParseFloat(s, 64)
	if perr != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, Errorf(n, path, "want a finite number, got %q", s)
	}
	return f, nil
}

// NonNegative reads a number that is 0 or more.
func NonNegative(n *yaml.Node, path string) (float64, error) {
	f, err := Number(n, path)
	if err == nil && f < 0 {
		err = Errorf(n, path, "must not be negative, got %g", f)
	}
	return f, err
}

// Int reads a whole number; 30.5 is refused rather than truncated.
func Int(n *yaml.Node, path string) (int, error) {
	f, err := Number(n, path)
	if err != nil {
		return 0, err
	}
	return whole(n, path, f)
}

// NonNegativeInt reads a whole number that is 0 or more.
func NonNegativeInt(n *yaml.Node, path string) (int, error) {
	f, err := NonNegative(n, path)
	if err != nil {
		return 0, err
	}
	return whole(n, path, f)
}

// PositiveInt reads a whole number that is 1 or more.
func PositiveInt(n *yaml.Node, path string) (int, error) {
	i, err := NonNegativeInt(n, path)
	if err == nil && i < 1 {
		err = Errorf(n, path, "must be at least 1")
	}
	return i, err
}

func whole(n *yaml.Node, path string, f float64) (int, error) {
	if f != math.Trunc(f) {
		return int(f), Errorf(n, path, "%s is not a whole number; give an integer", n.Value)
	}
	return int(f), nil
}

// Fraction reads 0.01 or "1%" as 0.01; it must lie in [0, 1].
func Fraction(n *yaml.Node, path string) (float64, error) {
	s, err := Scalar(n, path, "a fraction (0.01) or a percentage (1%)")
	if err != nil {
		return 0, err
	}
	var f float64
	if pc, isPct := strings.CutSuffix(strings.TrimSpace(s), "%"); isPct {
		v, perr := strconv.ParseFloat(strings.TrimSpace(pc), 64)
		if perr != nil {
			return 0, Errorf(n, path, "want a percentage like 1%%, got %q", s)
		}
		f = v / 100
	} else if f, err = Number(n, path); err != nil {
		return 0, err
	}
	if !(f >= 0 && f <= 1) { // also refuses NaN and ±Inf
		return f, Errorf(n, path, "want a fraction between 0 and 1 (or a percentage like 1%%), got %s", s)
	}
	return f, nil
}

// Duration reads a duration with its unit ("1200ms", "1.2s"); a bare number is refused
// with the two readings it could have, and so is a negative duration.
func Duration(n *yaml.Node, path string) (time.Duration, error) {
	s, err := Scalar(n, path, "a duration such as 1200ms or 1.2s")
	if err != nil {
		return 0, err
	}
	if tag := n.ShortTag(); tag == "!!int" || tag == "!!float" {
		return 0, Errorf(n, path, "%s has no unit; write e.g. %sms or %ss", s, s, s)
	}
	d, perr := time.ParseDuration(s)
	if perr != nil {
		return 0, Errorf(n, path, "want a duration such as 1200ms or 1.2s, got %q", s)
	}
	if d < 0 {
		return d, Errorf(n, path, "must not be negative, got %s", s)
	}
	return d, nil
}

// Percent reads a percentage written with "%" and an optional sign ("10%", "+0.5%",
// "-5%") as a signed fraction (0.1, 0.005, -0.05); want describes the form expected,
// for the error.
func Percent(n *yaml.Node, path, want string) (float64, error) {
	s, err := Scalar(n, path, want)
	if err != nil {
		return 0, err
	}
	num, isPct := strings.CutSuffix(strings.TrimSpace(s), "%")
	v, perr := strconv.ParseFloat(strings.TrimSpace(num), 64)
	if !isPct || perr != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, Errorf(n, path, "want %s, got %q", want, s)
	}
	return v / 100, nil
}
