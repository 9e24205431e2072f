package tokenizer_test

import (
	"math/rand/v2"
	"sync"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tailgate-dev/tailgate/framework/tokenizer"
)

var _ = Describe("concurrent use", func() {
	It("gives every goroutine the same ids and prompts as a sequential run", func() {
		tok := qwen3Tokenizer()
		rows := readGolden()
		want := make([][]int, len(rows))
		for i, r := range rows {
			want[i] = r.Qwen3
		}
		s, err := tokenizer.NewSynthesizer(tok, tokenizer.SynthesizerOptions{})
		Expect(err).NotTo(HaveOccurred())
		prompt := func(seed uint64) string {
			text, err := s.Synthetic(rand.New(rand.NewPCG(seed, seed)), 64+int(seed))
			Expect(err).NotTo(HaveOccurred())
			return text
		}
		wantPrompts := map[uint64]string{}
		for seed := uint64(0); seed < 8; seed++ {
			wantPrompts[seed] = prompt(seed)
		}

		var wg sync.WaitGroup
		for g := range 4 {
			wg.Add(1)
			go func() {
				defer GinkgoRecover()
				defer wg.Done()
				for k := range rows {
					i := (k + g*97) % len(rows)
					ids, err := tok.Encode(rows[i].Text, false)
					Expect(err).NotTo(HaveOccurred())
					Expect(ids).To(Equal(want[i]))
				}
				for seed := uint64(0); seed < 8; seed++ {
					Expect(prompt(seed)).To(Equal(wantPrompts[seed]))
				}
			}()
		}
		wg.Wait()
	})
})
