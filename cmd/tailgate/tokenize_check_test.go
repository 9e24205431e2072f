package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tailgate-dev/tailgate/framework/tokenizer"
)

var _ = Describe("tailgate tokenize on text it cannot count as given", func() {
	var tiny string
	BeforeEach(func() {
		tiny = filepath.Join(GinkgoT().TempDir(), "tokenizer.json")
		Expect(os.WriteFile(tiny, []byte(tinyTokenizerJSON), 0o644)).To(Succeed())
	})

	DescribeTable("refuses invalid UTF-8 with the line number, instead of replacing it silently",
		func(line string) {
			code, out, errOut := runTokenizeCmd("\"hi\"\n"+line+"\n\"hi\"\n", "--tokenizer", tiny)
			Expect(code).To(Equal(1))
			Expect(out).To(Equal("[1,6]\n"), "the lines before are written")
			Expect(errOut).To(ContainSubstring("stdin line 2: invalid UTF-8 at byte"))
			Expect(errOut).To(ContainSubstring("--allow-invalid-utf8"))
		},
		Entry("a raw invalid byte", "\"h\xffi\""),
		Entry("a truncated multi-byte sequence", "\"hi\xe2\x82\""),
		Entry("an unpaired high surrogate escape", `"hi\ud83d"`),
		Entry("an unpaired low surrogate escape", `"\ude42hi"`),
	)

	It("accepts valid escapes, surrogate pairs and escaped backslashes", func() {
		code, _, errOut := runTokenizeCmd(`"hi \ud83d\ude42 \\ud800 \u00e9"`+"\n", "--tokenizer", tiny, "--count")
		Expect(code).To(Equal(0), errOut)
	})

	It("replaces invalid UTF-8 when told to", func() {
		code, out, errOut := runTokenizeCmd("\"h\xffi\"\n", "--tokenizer", tiny, "--allow-invalid-utf8", "--no-special-tokens")
		Expect(code).To(Equal(0), errOut)
		Expect(out).To(Equal("[5,0,4]\n"), "▁h <unk> i: U+FFFD is not in the vocabulary")
	})

	It("refuses a 10 MB word before tokenizing it, without allocating for it", func() {
		line, _ := json.Marshal(strings.Repeat("a", 10<<20))
		in := string(line) + "\n"
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		code, _, errOut := runTokenizeCmd(in, "--tokenizer", tiny, "--count")
		runtime.ReadMemStats(&after)
		Expect(code).To(Equal(1))
		Expect(errOut).To(ContainSubstring("stdin line 1: a run of 10485760 bytes without whitespace, over --max-word-bytes 1048576"))
		// reading and decoding the line costs about 3 × 10 MB; tokenizing it took 1.4 GB
		Expect(after.TotalAlloc - before.TotalAlloc).To(BeNumerically("<", 96<<20))
	})
})

// BenchmarkTokenizeLongLine tokenizes one 10 MB line of words with the
// Qwen3 tokenizer and reports the heap it allocated and its sampled peak.
func BenchmarkTokenizeLongLine(b *testing.B) {
	path, err := tokenizer.FetchNPMFile(context.Background(), tokenizer.Qwen3NPM(), "models/tokenizer.json", tokenizer.FetchOptions{})
	if err != nil {
		b.Skip("Qwen3 tokenizer unavailable: " + err.Error())
	}
	words := []string{"the", "quick", "brown", "fox", "jumps", "over", "lazy", "dog", "latency", "ünïcödé", "数据", "🙂"}
	var sb strings.Builder
	for i := 0; sb.Len() < 10<<20; i++ {
		sb.WriteString(words[(i*7+i/3)%len(words)])
		sb.WriteByte(' ')
	}
	line, _ := json.Marshal(sb.String())
	in := string(line) + "\n"
	b.ReportAllocs()
	var peak uint64
	for b.Loop() {
		var ms runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&ms)
		base := ms.HeapInuse
		stop := samplePeakHeap(&peak, base)
		code, _, errOut := runTokenizeCmd(in, "--tokenizer", path, "--count")
		stop()
		if code != 0 {
			b.Fatal(errOut)
		}
	}
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
	b.ReportMetric(float64(len(line))/(1<<20), "line-MB")
}

// samplePeakHeap records the largest heap in use above base, sampled while
// the returned stop has not been called.
func samplePeakHeap(peak *uint64, base uint64) (stop func()) {
	done, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > base && ms.HeapInuse-base > *peak {
				*peak = ms.HeapInuse - base
			}
			select {
			case <-done:
				return
			default:
				runtime.Gosched()
			}
		}
	}()
	return func() { close(done); <-finished }
}
