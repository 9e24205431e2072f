package strictyaml_test

import (
	"errors"
	"fmt"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"go.yaml.in/yaml/v3"

	"github.com/tailgate-dev/tailgate/internal/strictyaml"
)

// node parses one YAML document and returns its root.
func node(doc string) *yaml.Node {
	root, err := strictyaml.Document([]byte(doc), "item")
	Expect(err).NotTo(HaveOccurred())
	return root
}

var _ = Describe("Document", func() {
	It("returns the root mapping, and nil for an empty or null document", func() {
		Expect(node("a: 1\n").Kind).To(Equal(yaml.MappingNode))
		Expect(node("")).To(BeNil())
		Expect(node("# nothing\n")).To(BeNil())
		Expect(node("~\n")).To(BeNil())
	})

	It("refuses a second document at its line, asking for one document", func() {
		_, err := strictyaml.Document([]byte("a: 1\n---\nb: 2\n"), "promise")
		Expect(err).To(MatchError("line 2: a second YAML document starts here (---); put every promise in one document"))
		var located *strictyaml.Error
		Expect(errors.As(err, &located)).To(BeTrue())
		Expect(located.In("sla.yaml")).To(MatchError("sla.yaml:2: a second YAML document starts here (---); put every promise in one document"))
	})

	It("passes yaml's syntax errors on", func() {
		_, err := strictyaml.Document([]byte("a: [\n"), "item")
		Expect(err).To(MatchError(ContainSubstring("did not find expected node content")))
	})
})

var _ = Describe("keys", func() {
	It("suggests the key a typo was meant to be, and lists the keys the section takes in order", func() {
		root := node("stage: 1\n")
		err := strictyaml.UnknownKey(root.Content[0], "load", "the file", []string{"type", "stages", "interval"})
		Expect(err).To(MatchError("line 1: unknown key load.stage (did you mean stages?); load takes interval, stages, type"))
		err = strictyaml.UnknownKey(root.Content[0], "", "the file", []string{"rate"})
		Expect(err).To(MatchError("line 1: unknown key stage; the file takes rate"))
	})

	It("suggests across case and separator styles, and nothing for an unrelated key", func() {
		Expect(strictyaml.Suggest("baseURL", []string{"base_url", "model"})).To(Equal("base_url"))
		Expect(strictyaml.Suggest("base-url", []string{"base_url"})).To(Equal("base_url"))
		Expect(strictyaml.Suggest("ttf", []string{"ttft", "itl"})).To(Equal("ttft"))
		Expect(strictyaml.Suggest("colour", []string{"ttft", "itl"})).To(BeEmpty())
	})

	It("refuses a key given twice, and an alias repeating a setting, naming the first line", func() {
		root := node("a: 1\nb: 2\na: 3\nalias_of_b: 4\n")
		var keys strictyaml.Keys
		Expect(keys.Add(root.Content[0], "a", "a")).To(Succeed())
		Expect(keys.Add(root.Content[2], "b", "b")).To(Succeed())
		Expect(keys.Add(root.Content[4], "a", "a")).To(MatchError("line 3: a: is given twice (first on line 1); keep one"))
		Expect(keys.Add(root.Content[6], "b", "alias_of_b")).To(MatchError(`line 4: alias_of_b: repeats "b" given on line 2 (an alias of the same setting)`))
	})

	It("refuses a node that is not a mapping, saying what it is", func() {
		Expect(strictyaml.Mapping(node("[1]\n"), "load")).To(MatchError("line 1: load: want a mapping, got a list"))
		Expect(strictyaml.Mapping(node("a: 1\n"), "load")).To(Succeed())
	})
})

var _ = Describe("scalars", func() {
	value := func(v string) *yaml.Node { return node("v: " + v + "\n").Content[1] }

	It("reads durations only with a unit", func() {
		d, err := strictyaml.Duration(value("1200ms"), "p99")
		Expect(err).NotTo(HaveOccurred())
		Expect(d).To(Equal(1200 * time.Millisecond))
		_, err = strictyaml.Duration(value("1200"), "p99")
		Expect(err).To(MatchError("line 1: p99: 1200 has no unit; write e.g. 1200ms or 1200s"))
		_, err = strictyaml.Duration(value("-1s"), "p99")
		Expect(err).To(MatchError("line 1: p99: must not be negative, got -1s"))
		_, err = strictyaml.Duration(value("{a: 1}"), "p99")
		Expect(err).To(MatchError("line 1: p99: want a duration such as 1200ms or 1.2s, got a mapping"))
	})

	It("reads fractions and percentages into [0, 1]", func() {
		f, err := strictyaml.Fraction(value("1%"), "rate")
		Expect(err).NotTo(HaveOccurred())
		Expect(f).To(BeNumerically("~", 0.01, 1e-12))
		f, err = strictyaml.Fraction(value("0.25"), "rate")
		Expect(err).NotTo(HaveOccurred())
		Expect(f).To(Equal(0.25))
		_, err = strictyaml.Fraction(value("150%"), "rate")
		Expect(err).To(MatchError("line 1: rate: want a fraction between 0 and 1 (or a percentage like 1%), got 150%"))
		_, err = strictyaml.Fraction(value("many%"), "rate")
		Expect(err).To(MatchError(`line 1: rate: want a percentage like 1%, got "many%"`))
	})

	It("refuses fractional whole numbers instead of truncating them, and bounds them", func() {
		_, err := strictyaml.Int(value("30.5"), "duration")
		Expect(err).To(MatchError("line 1: duration: 30.5 is not a whole number; give an integer"))
		i, err := strictyaml.Int(value("30.0"), "duration")
		Expect(err).NotTo(HaveOccurred())
		Expect(i).To(Equal(30))
		_, err = strictyaml.NonNegativeInt(value("-2"), "hits")
		Expect(err).To(MatchError("line 1: hits: must not be negative, got -2"))
		_, err = strictyaml.PositiveInt(value("0"), "k")
		Expect(err).To(MatchError("line 1: k: must be at least 1"))
	})

	It("reads YAML booleans and finite numbers only", func() {
		_, err := strictyaml.Bool(value(`"yes"`), "strict")
		Expect(err).To(MatchError(`line 1: strict: want true or false, got "yes"`))
		b, err := strictyaml.Bool(value("true"), "strict")
		Expect(err).NotTo(HaveOccurred())
		Expect(b).To(BeTrue())
		_, err = strictyaml.Number(value(".nan"), "x")
		Expect(err).To(MatchError(`line 1: x: want a finite number, got ".nan"`))
		_, err = strictyaml.Number(value("~"), "x")
		Expect(err).To(MatchError("line 1: x: want a number, got nothing (null)"))
	})
})

var _ = Describe("Percent", func() {
	value := func(v string) *yaml.Node { return node("v: " + v + "\n").Content[1] }

	It("reads signed percentages as signed fractions", func() {
		for text, want := range map[string]float64{"10%": 0.10, "+0.5%": 0.005, "-5%": -0.05, " 2 % ": 0.02} {
			f, err := strictyaml.Percent(value(`"`+text+`"`), "tolerance", "a percentage")
			Expect(err).NotTo(HaveOccurred(), text)
			Expect(f).To(BeNumerically("~", want, 1e-12), text)
		}
	})

	It("refuses a bare number, NaN and text, saying the form wanted", func() {
		for _, text := range []string{"10", "NaN%", "inf%", "lots%"} {
			_, err := strictyaml.Percent(value(text), "tolerance", "a percentage such as 10%")
			Expect(err).To(MatchError(fmt.Sprintf("line 1: tolerance: want a percentage such as 10%%, got %q", text)), text)
		}
	})
})
