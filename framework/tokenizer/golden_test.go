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
	f, err := os.Open("testdata/golden.jsonl")
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
	Expect(rows).To(HaveLen(400))
	return rows
}

var _ = Describe("golden vectors", func() {
	var rows []goldenRow
	BeforeEach(func() { rows = readGolden() })

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
