// Package strictyaml holds what tailgate's strict YAML readers (the SLA file in
// matchers, inference-perf configs and chart values files in scenarios) share, so that
// both refuse bad input the same way and say so in the same words:
//
//   - exactly one document per file (Document);
//   - every problem located by line and dotted key path ("load.stages[0].rate"), as an
//     *Error that a reader prints as "line 3: path: …" or "file.yaml:3: path: …";
//   - keys checked against the ones a section takes, with a suggestion for a likely
//     typo (UnknownKey, Suggest), and no key given twice (Keys);
//   - scalar readers whose errors name the value and say what to write instead
//     (Bool, Number, NonNegative, Int, NonNegativeInt, PositiveInt, Fraction, Duration).
package strictyaml
