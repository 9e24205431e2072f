package tokenizer

import "fmt"

// Backend names an implementation of Tokenizer.
type Backend string

const (
	// BackendGo is the pure-Go implementation in this package (the default).
	BackendGo Backend = "go"
	// BackendRust is github.com/daulet/tokenizers, cgo bindings to the Rust library. It is
	// only available in binaries built with -tags hftokenizers and linked against
	// libtokenizers.a (see that module's README).
	BackendRust Backend = "rust"
)

// FromFileWith reads a tokenizer.json file with the chosen backend ("" means BackendGo).
func FromFileWith(path string, b Backend) (Tokenizer, error) {
	switch b {
	case "", BackendGo:
		return FromFile(path)
	case BackendRust:
		return rustFromFile(path)
	}
	return nil, errUnknownBackend(b)
}

func errUnknownBackend(b Backend) error {
	return fmt.Errorf("tokenizer: unknown backend %q (want %q or %q)", b, BackendGo, BackendRust)
}
