package tokenizer_test

import (
	"bufio"
	"encoding/json"
	"os"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"golang.org/x/text/unicode/norm"

	"github.com/tailgate-dev/tailgate/framework/tokenizer"
)

// goldenRow is one line of testdata/golden.jsonl: a string and its ids from the Rust
// library with each tokenizer. The ids carry no post-processor tokens (no BOS for Llama 3),
// and special-token text inside the string ("<|im_end|>") is split out as that token.
type goldenRow struct {
	Text   string `json:"text"`
	Qwen3  []int  `json:"qwen3"`
	Llama3 []int  `json:"llama3"`
}

func readGolden() []goldenRow {
	GinkgoHelper()
	rows := readVectors("testdata/golden.jsonl")
	Expect(rows).To(HaveLen(400))
	return rows
}

func readVectors(path string) []goldenRow {
	GinkgoHelper()
	f, err := os.Open(path)
	Expect(err).NotTo(HaveOccurred())
	defer f.Close()
	var rows []goldenRow
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var r goldenRow
		Expect(json.Unmarshal(sc.Bytes(), &r)).To(Succeed())
		rows = append(rows, r)
	}
	Expect(sc.Err()).NotTo(HaveOccurred())
	return rows
}

var _ = Describe("golden vectors", func() {
	var rows, cross []goldenRow
	BeforeEach(func() {
		rows = readGolden()
		// testdata/crosscheck.jsonl: generated strings (edge-case pieces and random code
		// points of all planes) with the ids transformers.js gives for the same two files.
		cross = readVectors("testdata/crosscheck.jsonl")
		Expect(len(cross)).To(BeNumerically(">", 2000))
	})

	type model struct {
		tok       func() tokenizer.Tokenizer
		ids       func(goldenRow) []int
		normalize func(string) string
	}
	models := map[string]model{
		"Qwen3":   {qwen3Tokenizer, func(r goldenRow) []int { return r.Qwen3 }, norm.NFC.String},
		"Llama 3": {llama3Tokenizer, func(r goldenRow) []int { return r.Llama3 }, func(s string) string { return s }},
	}
	for name, m := range models {
		It("encodes every string to exactly the listed "+name+" ids", func() {
			tok := m.tok()
			for _, r := range rows {
				got, err := tok.Encode(r.Text, false)
				Expect(err).NotTo(HaveOccurred())
				Expect(got).To(Equal(m.ids(r)), "text %q", r.Text)
				n, err := tok.Count(r.Text, false)
				Expect(err).NotTo(HaveOccurred())
				Expect(n).To(Equal(len(m.ids(r))))
			}
		})

		It("agrees with transformers.js on generated edge cases ("+name+")", func() {
			tok := m.tok()
			for _, r := range cross {
				Expect(tok.Encode(r.Text, false)).To(Equal(m.ids(r)), "text %q", r.Text)
			}
		})

		It("decodes the "+name+" ids back to the normalized string", func() {
			tok := m.tok()
			for _, r := range rows {
				got, err := tok.Decode(m.ids(r), false)
				Expect(err).NotTo(HaveOccurred())
				Expect(got).To(Equal(m.normalize(r.Text)), "ids %v", m.ids(r))
			}
		})
	}
})

// The Rust library's regex engine (Oniguruma) reads \s as the Unicode White_Space property:
// U+0085 is whitespace and U+FEFF is not. JavaScript's \s is the other way round, so
// transformers.js splits these two differently; the golden vectors contain neither.
var _ = Describe("whitespace classes of the Split regex", func() {
	It("treats U+0085 as whitespace and U+FEFF as punctuation, as Oniguruma does", func() {
		tok := qwen3Tokenizer()
		// NEL is its own (whitespace) piece, so "'s" stays a contraction (594); transformers.js
		// gives [126 227 6 82].
		Expect(tok.Encode("\u0085's", false)).To(Equal([]int{126, 227, 594}))
		// U+FEFF joins the apostrophe in one punctuation piece and "t" stands alone;
		// transformers.js gives [3225 944] ("'t" as a contraction).
		Expect(tok.Encode("\ufeff't", false)).To(Equal([]int{3225, 6, 83}))
	})
})
