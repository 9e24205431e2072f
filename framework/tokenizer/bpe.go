package tokenizer

import (
	"strconv"
	"sync"
	"unicode/utf8"
)

// byteAlphabet maps each byte to the printable character GPT-2 style byte-level BPE
// uses for it: printable Latin-1 bytes stand for themselves, the others are shifted
// above U+0100 in byte order.
func byteAlphabet() (toRune [256]rune, toByte map[rune]byte) {
	toByte = make(map[rune]byte, 256)
	n := rune(0)
	for b := 0; b < 256; b++ {
		if (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF) {
			toRune[b] = rune(b)
		} else {
			toRune[b] = 256 + n
			n++
		}
		toByte[toRune[b]] = byte(b)
	}
	return toRune, toByte
}

// mergeRule is what a pair of adjacent symbols becomes: the merged id and the priority
// (lower merges first).
type mergeRule struct {
	rank int32
	id   int32
}

// bpeModel is a BPE vocabulary with its merge ranks.
type bpeModel struct {
	vocab    map[string]int // token string -> id
	merges   *mergeTable
	byteLvl  bool           // words arrive as raw bytes and map through the byte alphabet
	byteID   [256]int32     // byte -> id of its alphabet character (byteLvl only)
	rawVocab map[string]int // raw byte string -> id (byteLvl only, for ignoreMerges)

	ignoreMerges bool
	unkID        int // -1 when there is no unknown token
	fuseUnk      bool
	byteFallback bool
	contPrefix   string
	endSuffix    string

	cacheMu sync.RWMutex
	cache   map[string][]int32
	scratch sync.Pool
}

// maxCacheEntries bounds the per-word cache; it is emptied when full. Only words up to
// maxCachedWordLen bytes are cached (natural-language words are short), which bounds its memory.
const (
	maxCacheEntries  = 1 << 17
	maxCachedWordLen = 48
)

func pairKey(a, b int32) uint64 { return uint64(uint32(a))<<32 | uint64(uint32(b)) }

// mergeTable is an open-addressing hash table from a symbol pair to its merge rule: one
// memory access per lookup in the common case, which matters because BPE is lookup-bound.
type mergeTable struct {
	slots []mergeSlot
	mask  uint64
	shift uint
	n     int
}

type mergeSlot struct {
	key  uint64 // emptyKey when free
	rule mergeRule
}

const emptyKey = ^uint64(0)

func newMergeTable(n int) *mergeTable {
	size, shift := 16, uint(60)
	for size < n+n/2+1 {
		size *= 2
		shift--
	}
	t := &mergeTable{slots: make([]mergeSlot, size), mask: uint64(size - 1), shift: shift}
	for i := range t.slots {
		t.slots[i].key = emptyKey
	}
	return t
}

func (t *mergeTable) home(k uint64) uint64 { return (k * 0x9E3779B97F4A7C15) >> t.shift }

// put stores r for the pair unless the pair is already present (the first rule wins).
func (t *mergeTable) put(a, b int32, r mergeRule) {
	k := pairKey(a, b)
	for h := t.home(k); ; h = (h + 1) & t.mask {
		switch t.slots[h].key {
		case k:
			return
		case emptyKey:
			t.slots[h] = mergeSlot{key: k, rule: r}
			t.n++
			return
		}
	}
}

func (t *mergeTable) get(a, b int32) (mergeRule, bool) {
	k := pairKey(a, b)
	for h := t.home(k); ; h = (h + 1) & t.mask {
		s := &t.slots[h]
		if s.key == k {
			return s.rule, true
		}
		if s.key == emptyKey {
			return mergeRule{}, false
		}
	}
}

// symbol is one node of the doubly linked list a word is merged in.
type symbol struct {
	id         int32
	prev, next int32
	alive      bool
}

// candidate is a possible merge of the symbol at pos (id left) with its right neighbour
// (id right) into id.
type candidate struct {
	rank        int32
	pos         int32
	id          int32
	left, right int32
}

type bpeScratch struct {
	syms             []symbol
	heap             []candidate
	ids, ranks, news []int32
}

// encodeWord appends the ids of one pre-tokenized word to dst.
func (m *bpeModel) encodeWord(word string, dst []int) []int {
	if word == "" {
		return dst
	}
	if len(word) > maxCachedWordLen {
		for _, id := range m.tokenize(word) {
			dst = append(dst, int(id))
		}
		return dst
	}
	m.cacheMu.RLock()
	ids, ok := m.cache[word]
	m.cacheMu.RUnlock()
	if ok {
		for _, id := range ids {
			dst = append(dst, int(id))
		}
		return dst
	}
	ids = m.tokenize(word)
	m.cacheMu.Lock()
	if len(m.cache) >= maxCacheEntries {
		m.cache = make(map[string][]int32, 1024)
	}
	m.cache[word] = ids
	m.cacheMu.Unlock()
	for _, id := range ids {
		dst = append(dst, int(id))
	}
	return dst
}

// tokenize runs BPE on one word.
func (m *bpeModel) tokenize(word string) []int32 {
	if m.ignoreMerges {
		if m.byteLvl {
			if id, ok := m.rawVocab[word]; ok {
				return []int32{int32(id)}
			}
		} else if id, ok := m.vocab[word]; ok {
			return []int32{int32(id)}
		}
	}
	sc, _ := m.scratch.Get().(*bpeScratch)
	if sc == nil {
		sc = &bpeScratch{}
	}
	var out []int32
	if m.byteLvl && len(word) <= linearMergeLimit {
		ids := sc.ids[:0]
		for i := 0; i < len(word); i++ {
			if id := m.byteID[word[i]]; id >= 0 {
				ids = append(ids, id)
			}
		}
		out = m.mergeLinear(ids, sc)
	} else {
		syms := m.initialSymbols(word, sc.syms[:0])
		sc.syms = syms
		if len(syms) <= linearMergeLimit {
			ids := sc.ids[:0]
			for _, s := range syms {
				ids = append(ids, s.id)
			}
			out = m.mergeLinear(ids, sc)
		} else {
			var heap []candidate
			syms, heap = m.merge(syms, sc.heap[:0])
			sc.heap = heap
			out = make([]int32, 0, 8)
			for i := 0; i != -1 && i < len(syms); {
				out = append(out, syms[i].id)
				i = int(syms[i].next)
			}
		}
	}
	m.scratch.Put(sc)
	return out
}

// linearMergeLimit is the word length (in initial symbols) up to which mergeLinear, quadratic
// but with tiny constants, beats the heap.
const linearMergeLimit = 64

// mergeLinear applies the merges to a short word by scanning for the lowest-ranked adjacent
// pair (leftmost among equals) until none is left: the same order as the heap.
func (m *bpeModel) mergeLinear(ids []int32, sc *bpeScratch) []int32 {
	const none = int32(1<<31 - 1)
	ranks, news := sc.ranks[:0], sc.news[:0]
	for i := 0; i+1 < len(ids); i++ {
		r, ok := m.merges.get(ids[i], ids[i+1])
		if !ok {
			r.rank = none
		}
		ranks = append(ranks, r.rank)
		news = append(news, r.id)
	}
	for {
		best, bestRank := -1, none
		for i, r := range ranks {
			if r < bestRank {
				best, bestRank = i, r
			}
		}
		if best < 0 {
			break
		}
		ids[best] = news[best]
		ids = append(ids[:best+1], ids[best+2:]...)
		ranks = append(ranks[:best], ranks[best+1:]...)
		news = append(news[:best], news[best+1:]...)
		// ranks[best-1] pairs ids[best-1] with the new symbol; ranks[best] pairs the new
		// symbol with its right neighbour.
		for _, k := range [2]int{best - 1, best} {
			if k < 0 || k >= len(ranks) {
				continue
			}
			if r, ok := m.merges.get(ids[k], ids[k+1]); ok {
				ranks[k], news[k] = r.rank, r.id
			} else {
				ranks[k] = none
			}
		}
	}
	sc.ids, sc.ranks, sc.news = ids, ranks, news
	return append([]int32(nil), ids...)
}

// initialSymbols splits word into its first symbols: bytes for byte-level models, characters
// (with byte fallback or the unknown token) otherwise.
func (m *bpeModel) initialSymbols(word string, syms []symbol) []symbol {
	add := func(id int32) {
		syms = append(syms, symbol{id: id, alive: true})
	}
	if m.byteLvl {
		for i := 0; i < len(word); i++ {
			if id := m.byteID[word[i]]; id >= 0 {
				add(id)
			}
		}
	} else {
		lastUnk := false
		first := true
		for i := 0; i < len(word); {
			_, w := utf8.DecodeRuneInString(word[i:])
			s := word[i : i+w]
			last := i+w == len(word)
			if !first && m.contPrefix != "" {
				s = m.contPrefix + s
			}
			if last && m.endSuffix != "" {
				s += m.endSuffix
			}
			first = false
			i += w
			if id, ok := m.vocab[s]; ok {
				add(int32(id))
				lastUnk = false
				continue
			}
			if m.byteFallback {
				okAll := true
				ids := make([]int32, 0, 4)
				for _, b := range []byte(word[i-w : i]) {
					id, ok := m.vocab["<0x"+hex2(b)+">"]
					if !ok {
						okAll = false
						break
					}
					ids = append(ids, int32(id))
				}
				if okAll {
					for _, id := range ids {
						add(id)
					}
					lastUnk = false
					continue
				}
			}
			if m.unkID >= 0 {
				if !(m.fuseUnk && lastUnk) {
					add(int32(m.unkID))
				}
				lastUnk = true
			}
		}
	}
	for i := range syms {
		syms[i].prev = int32(i - 1)
		syms[i].next = int32(i + 1)
	}
	if len(syms) > 0 {
		syms[len(syms)-1].next = -1
	}
	return syms
}

func hex2(b byte) string {
	s := strconv.FormatUint(uint64(b), 16)
	if len(s) == 1 {
		s = "0" + s
	}
	// tokenizer.json files spell byte tokens in upper case: <0x0A>.
	out := []byte(s)
	for i, c := range out {
		if c >= 'a' && c <= 'f' {
			out[i] = c - 'a' + 'A'
		}
	}
	return string(out)
}

// merge applies merges lowest rank first (leftmost first among equal ranks), as the Rust
// implementation does.
func (m *bpeModel) merge(syms []symbol, heap []candidate) ([]symbol, []candidate) {
	if len(syms) < 2 {
		return syms, heap
	}
	for i := 0; i+1 < len(syms); i++ {
		if r, ok := m.merges.get(syms[i].id, syms[i+1].id); ok {
			heap = heapPush(heap, candidate{rank: r.rank, pos: int32(i), id: r.id, left: syms[i].id, right: syms[i+1].id})
		}
	}
	for len(heap) > 0 {
		var top candidate
		top, heap = heapPop(heap)
		s := &syms[top.pos]
		// Skip candidates made stale by an earlier merge.
		if !s.alive || s.next == -1 || s.id != top.left || syms[s.next].id != top.right {
			continue
		}
		nextPos := s.next
		s.id = top.id
		nx := &syms[nextPos]
		nx.alive = false
		s.next = nx.next
		if nx.next != -1 {
			syms[nx.next].prev = top.pos
		}
		if s.prev != -1 {
			p := syms[s.prev].id
			if r, ok := m.merges.get(p, s.id); ok {
				heap = heapPush(heap, candidate{rank: r.rank, pos: s.prev, id: r.id, left: p, right: s.id})
			}
		}
		if s.next != -1 {
			n := syms[s.next].id
			if r, ok := m.merges.get(s.id, n); ok {
				heap = heapPush(heap, candidate{rank: r.rank, pos: top.pos, id: r.id, left: s.id, right: n})
			}
		}
	}
	// Compact: the first symbol is always alive (merges only remove right neighbours).
	return syms, heap
}

func less(a, b candidate) bool {
	if a.rank != b.rank {
		return a.rank < b.rank
	}
	return a.pos < b.pos
}

func heapPush(h []candidate, c candidate) []candidate {
	h = append(h, c)
	i := len(h) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !less(h[i], h[p]) {
			break
		}
		h[i], h[p] = h[p], h[i]
		i = p
	}
	return h
}

func heapPop(h []candidate) (candidate, []candidate) {
	top := h[0]
	n := len(h) - 1
	h[0] = h[n]
	h = h[:n]
	i := 0
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		small := l
		if r := l + 1; r < n && less(h[r], h[l]) {
			small = r
		}
		if !less(h[small], h[i]) {
			break
		}
		h[i], h[small] = h[small], h[i]
		i = small
	}
	return top, h
}
