//go:build !hftokenizers

package tokenizer

import "fmt"

// RustAvailable reports whether this binary includes the Rust backend.
const RustAvailable = false

func rustFromFile(path string) (Tokenizer, error) {
	return nil, fmt.Errorf("tokenizer: %s: the rust backend is not in this binary; build with -tags hftokenizers and libtokenizers.a from github.com/daulet/tokenizers", path)
}
