package tokenizer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"golang.org/x/text/unicode/norm"
)

// fileJSON is the top level of tokenizer.json.
type fileJSON struct {
	AddedTokens   []addedToken    `json:"added_tokens"`
	Normalizer    json.RawMessage `json:"normalizer"`
	PreTokenizer  json.RawMessage `json:"pre_tokenizer"`
	Model         json.RawMessage `json:"model"`
	PostProcessor json.RawMessage `json:"post_processor"`
	Decoder       json.RawMessage `json:"decoder"`
}

type bpeJSON struct {
	Type                    string          `json:"type"`
	Dropout                 *float64        `json:"dropout"`
	UnkToken                *string         `json:"unk_token"`
	ContinuingSubwordPrefix *string         `json:"continuing_subword_prefix"`
	EndOfWordSuffix         *string         `json:"end_of_word_suffix"`
	FuseUnk                 bool            `json:"fuse_unk"`
	ByteFallback            bool            `json:"byte_fallback"`
	IgnoreMerges            bool            `json:"ignore_merges"`
	Vocab                   map[string]int  `json:"vocab"`
	Merges                  json.RawMessage `json:"merges"`
}

// component is the common part of every tokenizer.json component.
type component struct {
	Type string `json:"type"`
}

func isNull(raw json.RawMessage) bool {
	return len(bytes.TrimSpace(raw)) == 0 || string(bytes.TrimSpace(raw)) == "null"
}

// componentType decodes the "type" field of a component.
func componentType(what string, raw json.RawMessage) (string, error) {
	var c component
	if err := json.Unmarshal(raw, &c); err != nil {
		return "", fmt.Errorf("%s: %w", what, err)
	}
	if c.Type == "" {
		return "", fmt.Errorf("%s: missing \"type\"", what)
	}
	return c.Type, nil
}

// parseJSON builds a tokenizer from a tokenizer.json file's bytes.
func parseJSON(data []byte) (*hfTokenizer, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, errors.New("tokenizer.json: empty file")
	}
	f, model, err := decodeFile(data)
	if err != nil {
		return nil, err
	}
	t := &hfTokenizer{model: model}
	if err := t.parseInput(f); err != nil {
		return nil, err
	}
	added := make([]*addedToken, 0, len(f.AddedTokens))
	for i := range f.AddedTokens {
		a := &f.AddedTokens[i]
		if a.ID < 0 {
			return nil, fmt.Errorf("tokenizer.json: added_tokens[%d]: negative id %d", i, a.ID)
		}
		added = append(added, a)
	}
	t.setVocab(added)
	if !isNull(f.PostProcessor) {
		if t.post, err = parsePostProcessor("post_processor", f.PostProcessor); err != nil {
			return nil, fmt.Errorf("tokenizer.json: %w", err)
		}
	}
	if !isNull(f.Decoder) {
		if t.dec, err = parseDecoder("decoder", f.Decoder); err != nil {
			return nil, fmt.Errorf("tokenizer.json: %w", err)
		}
	}
	t.finish()
	return t, nil
}

// decodeFile decodes the file and builds its model. A BPE file decodes in one pass;
// anything else takes the slower path, whose errors name the component at fault.
func decodeFile(data []byte) (fileJSON, *bpeModel, error) {
	var fast struct {
		fileJSON
		Model bpeJSON `json:"model"`
	}
	if err := json.Unmarshal(data, &fast); err == nil && fast.Model.Type == "BPE" {
		m, err := buildModel(fast.Model, nil)
		return fast.fileJSON, m, err
	}
	var f fileJSON
	if err := json.Unmarshal(data, &f); err != nil {
		return f, nil, fmt.Errorf("tokenizer.json: malformed JSON (truncated or not a tokenizer.json file): %w", err)
	}
	if isNull(f.Model) {
		return f, nil, errors.New("tokenizer.json: model: missing")
	}
	m, err := parseModel(f.Model)
	return f, m, err
}

// parseInput sets the normalizer and the pre-tokenizer; a ByteLevel pre-tokenizer
// hands its byte mapping to the model.
func (t *hfTokenizer) parseInput(f fileJSON) error {
	var err error
	if !isNull(f.Normalizer) {
		if t.norm, err = parseNormalizer("normalizer", f.Normalizer); err != nil {
			return fmt.Errorf("tokenizer.json: %w", err)
		}
	}
	if isNull(f.PreTokenizer) {
		return nil
	}
	var byteLevel bool
	if t.pre, byteLevel, err = parsePreTokenizer("pre_tokenizer", f.PreTokenizer, true); err != nil {
		return fmt.Errorf("tokenizer.json: %w", err)
	}
	if byteLevel {
		if err := t.model.useByteLevel(); err != nil {
			return fmt.Errorf("tokenizer.json: model: %w", err)
		}
	}
	return nil
}

func parseModel(raw json.RawMessage) (*bpeModel, error) {
	// One pass over the (large) model: the type is checked after decoding, and a model of
	// another type fails to decode only where its fields differ from BPE's.
	var j bpeJSON
	decodeErr := json.Unmarshal(raw, &j)
	if j.Type == "" && decodeErr != nil {
		var c component
		if err := json.Unmarshal(raw, &c); err == nil {
			j.Type = c.Type
		}
	}
	return buildModel(j, decodeErr)
}

// buildModel checks a decoded model and builds the BPE tables.
func buildModel(j bpeJSON, decodeErr error) (*bpeModel, error) {
	switch {
	case j.Type == "" && decodeErr == nil && len(j.Vocab) > 0 && len(j.Merges) > 0:
		j.Type = "BPE" // files from old versions of the library omit the type
	case j.Type == "":
		return nil, errors.New(`tokenizer.json: model: missing "type"`)
	case j.Type != "BPE":
		return nil, fmt.Errorf("tokenizer.json: model: unsupported type %q (this package supports BPE; use the rust backend for %s)", j.Type, j.Type)
	case decodeErr != nil:
		return nil, fmt.Errorf("tokenizer.json: model: %w", decodeErr)
	}
	merges, err := parseMerges(j.Merges)
	if err != nil {
		return nil, err
	}
	if j.Dropout != nil && *j.Dropout > 0 {
		return nil, fmt.Errorf("tokenizer.json: model: BPE dropout %g makes encoding random; unsupported", *j.Dropout)
	}
	if len(j.Vocab) == 0 {
		return nil, errors.New("tokenizer.json: model: BPE vocab is empty")
	}
	m := &bpeModel{
		vocab:        j.Vocab,
		merges:       newMergeTable(len(merges)),
		ignoreMerges: j.IgnoreMerges,
		unkID:        -1,
		fuseUnk:      j.FuseUnk,
		byteFallback: j.ByteFallback,
		cache:        make(map[string][]int32, 1024),
	}
	for i := range m.byteID {
		m.byteID[i] = -1
	}
	if j.ContinuingSubwordPrefix != nil {
		m.contPrefix = *j.ContinuingSubwordPrefix
	}
	if j.EndOfWordSuffix != nil {
		m.endSuffix = *j.EndOfWordSuffix
	}
	if j.UnkToken != nil {
		id, ok := j.Vocab[*j.UnkToken]
		if !ok {
			return nil, fmt.Errorf("tokenizer.json: model: unk_token %q is not in the vocab", *j.UnkToken)
		}
		m.unkID = id
	}
	if err := m.addMerges(merges); err != nil {
		return nil, err
	}
	return m, nil
}

// addMerges fills the merge table, ranked in file order; every token of a merge and
// its result must be in the vocab.
func (m *bpeModel) addMerges(merges [][2]string) error {
	for i, mg := range merges {
		a, b := mg[0], mg[1]
		ida, oka := m.vocab[a]
		idb, okb := m.vocab[b]
		if !oka || !okb {
			return fmt.Errorf("tokenizer.json: model: merges[%d] (%q %q): token not in the vocab", i, a, b)
		}
		merged := a + strings.TrimPrefix(b, m.contPrefix)
		idm, ok := m.vocab[merged]
		if !ok {
			return fmt.Errorf("tokenizer.json: model: merges[%d]: merged token %q is not in the vocab", i, merged)
		}
		m.merges.put(int32(ida), int32(idb), mergeRule{rank: int32(i), id: int32(idm)})
	}
	return nil
}

// parseMerges reads the merges list in either spelling: "a b" strings (older files) or
// ["a", "b"] pairs.
func parseMerges(raw json.RawMessage) ([][2]string, error) {
	if isNull(raw) {
		return nil, nil
	}
	var pairs [][2]string
	if err := json.Unmarshal(raw, &pairs); err == nil {
		return pairs, nil
	}
	var lines []string
	if err := json.Unmarshal(raw, &lines); err != nil {
		return nil, fmt.Errorf("tokenizer.json: model: merges: want a list of \"a b\" strings or [a, b] pairs: %w", err)
	}
	pairs = make([][2]string, len(lines))
	for i, s := range lines {
		a, b, ok := strings.Cut(s, " ")
		if !ok || a == "" || b == "" || strings.Contains(b, " ") {
			return nil, fmt.Errorf("tokenizer.json: model: merges[%d]: %q is not two tokens separated by one space", i, s)
		}
		pairs[i] = [2]string{a, b}
	}
	return pairs, nil
}

// useByteLevel switches the model to raw-byte input through the byte alphabet.
func (m *bpeModel) useByteLevel() error {
	toRune, toByte := byteAlphabet()
	missing := 0
	for b := 0; b < 256; b++ {
		if id, ok := m.vocab[string(toRune[b])]; ok {
			m.byteID[b] = int32(id)
		} else {
			missing++
		}
	}
	if missing == 256 {
		return errors.New("ByteLevel pre-tokenizer, but the vocab has none of the 256 byte-level characters")
	}
	m.byteLvl = true
	m.rawVocab = make(map[string]int, len(m.vocab))
	buf := make([]byte, 0, 64)
	for tok, id := range m.vocab {
		buf = buf[:0]
		ok := true
		for _, r := range tok {
			b, in := toByte[r]
			if !in {
				ok = false
				break
			}
			buf = append(buf, b)
		}
		if ok {
			m.rawVocab[string(buf)] = id
		}
	}
	return nil
}

func parseNormalizer(what string, raw json.RawMessage) (normalizer, error) {
	typ, err := componentType(what, raw)
	if err != nil {
		return nil, err
	}
	switch typ {
	case "NFC":
		return unicodeNorm{norm.NFC}, nil
	case "NFD":
		return unicodeNorm{norm.NFD}, nil
	case "NFKC":
		return unicodeNorm{norm.NFKC}, nil
	case "NFKD":
		return unicodeNorm{norm.NFKD}, nil
	case "Lowercase":
		return lowercaseNorm{}, nil
	case "StripAccents":
		return stripAccentsNorm{}, nil
	case "Strip":
		var j struct {
			Left  bool `json:"strip_left"`
			Right bool `json:"strip_right"`
		}
		if err := json.Unmarshal(raw, &j); err != nil {
			return nil, fmt.Errorf("%s (Strip): %w", what, err)
		}
		return stripNorm{j.Left, j.Right}, nil
	case "Prepend":
		var j struct {
			Prepend string `json:"prepend"`
		}
		if err := json.Unmarshal(raw, &j); err != nil {
			return nil, fmt.Errorf("%s (Prepend): %w", what, err)
		}
		return prependNorm{j.Prepend}, nil
	case "Replace":
		var j struct {
			Pattern patternJSON `json:"pattern"`
			Content string      `json:"content"`
		}
		if err := json.Unmarshal(raw, &j); err != nil {
			return nil, fmt.Errorf("%s (Replace): %w", what, err)
		}
		if j.Pattern.Regex != nil {
			return nil, fmt.Errorf("%s (Replace): regex patterns are not supported, only \"String\"", what)
		}
		if j.Pattern.String == nil || *j.Pattern.String == "" {
			return nil, fmt.Errorf("%s (Replace): missing pattern.String", what)
		}
		return replaceNorm{*j.Pattern.String, j.Content}, nil
	case "Sequence":
		seq, err := parseSequence(what, raw, "normalizers", parseNormalizer)
		if err != nil {
			return nil, err
		}
		return normSequence(seq), nil
	}
	return nil, fmt.Errorf("%s: unsupported type %q (supported: NFC, NFD, NFKC, NFKD, Lowercase, StripAccents, Strip, Prepend, Replace, Sequence)", what, typ)
}

// sequenceItems returns the components listed under key in a Sequence component.
func sequenceItems(what string, raw json.RawMessage, key string) ([]json.RawMessage, error) {
	var j map[string]json.RawMessage
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &j); err != nil {
		return nil, fmt.Errorf("%s (Sequence): %w", what, err)
	}
	if list, ok := j[key]; ok && string(list) != "null" {
		if err := json.Unmarshal(list, &items); err != nil {
			return nil, fmt.Errorf("%s (Sequence): %s: %w", what, key, err)
		}
	}
	return items, nil
}

// parseSequence parses each component listed under key in a Sequence component, naming
// each one what.key[i] in errors.
func parseSequence[T any](what string, raw json.RawMessage, key string, parse func(string, json.RawMessage) (T, error)) ([]T, error) {
	items, err := sequenceItems(what, raw, key)
	if err != nil {
		return nil, err
	}
	var seq []T
	for i, r := range items {
		v, err := parse(fmt.Sprintf("%s.%s[%d]", what, key, i), r)
		if err != nil {
			return nil, err
		}
		seq = append(seq, v)
	}
	return seq, nil
}

type patternJSON struct {
	String *string `json:"String"`
	Regex  *string `json:"Regex"`
}

// parsePreTokenizer builds a pre-tokenizer; byteLevel reports a ByteLevel step, which must be
// the last one because the BPE model does its byte mapping.
func parsePreTokenizer(what string, raw json.RawMessage, last bool) (preTokenizer, bool, error) {
	typ, err := componentType(what, raw)
	if err != nil {
		return nil, false, err
	}
	switch typ {
	case "Sequence":
		return parsePreSequence(what, raw, last)
	case "Split":
		p, err := parseSplitPre(raw)
		if err != nil {
			return nil, false, fmt.Errorf("%s (Split): %w", what, err)
		}
		return p, false, nil
	case "ByteLevel":
		if !last {
			return nil, false, fmt.Errorf("%s: a ByteLevel pre-tokenizer followed by other pre-tokenizers is not supported", what)
		}
		p, err := parseByteLevelPre(raw)
		if err != nil {
			return nil, false, fmt.Errorf("%s (ByteLevel): %w", what, err)
		}
		return p, true, nil
	case "Digits":
		var j struct {
			Individual bool `json:"individual_digits"`
		}
		if err := json.Unmarshal(raw, &j); err != nil {
			return nil, false, fmt.Errorf("%s (Digits): %w", what, err)
		}
		return &digitsPre{individual: j.Individual}, false, nil
	case "Metaspace":
		p, err := parseMetaspace(raw)
		if err != nil {
			return nil, false, fmt.Errorf("%s (Metaspace): %w", what, err)
		}
		return &metaspacePre{replacement: p.replacement, prepend: p.prepend, split: p.split}, false, nil
	case "Whitespace":
		return whitespacePre{regexp.MustCompile(`[\p{L}\p{M}\p{Nd}\p{Pc}]+|[^\p{L}\p{M}\p{Nd}\p{Pc}\t\n\v\f\r\x{85}\p{Z}]+`)}, false, nil
	case "WhitespaceSplit":
		return whitespaceSplitPre{}, false, nil
	}
	return nil, false, fmt.Errorf("%s: unsupported type %q (supported: Sequence, Split, ByteLevel, Digits, Metaspace, Whitespace, WhitespaceSplit)", what, typ)
}

// parsePreSequence builds a Sequence pre-tokenizer; a sequence of one is that one.
func parsePreSequence(what string, raw json.RawMessage, last bool) (preTokenizer, bool, error) {
	items, err := sequenceItems(what, raw, "pretokenizers")
	if err != nil {
		return nil, false, err
	}
	var seq preSequence
	byteLevel := false
	for i, r := range items {
		p, bl, err := parsePreTokenizer(fmt.Sprintf("%s.pretokenizers[%d]", what, i), r, last && i == len(items)-1)
		if err != nil {
			return nil, false, err
		}
		byteLevel = byteLevel || bl
		if p != nil {
			seq = append(seq, p)
		}
	}
	if len(seq) == 1 {
		return seq[0], byteLevel, nil
	}
	return seq, byteLevel, nil
}

// parseSplitPre builds a Split pre-tokenizer on a regex or a literal pattern.
func parseSplitPre(raw json.RawMessage) (*splitPre, error) {
	var j struct {
		Pattern  patternJSON `json:"pattern"`
		Behavior string      `json:"behavior"`
		Invert   bool        `json:"invert"`
	}
	if err := json.Unmarshal(raw, &j); err != nil {
		return nil, err
	}
	b, err := parseBehavior(j.Behavior)
	if err != nil {
		return nil, err
	}
	p := &splitPre{behavior: b, invert: j.Invert}
	switch {
	case j.Pattern.Regex != nil:
		if p.find, p.full, err = compileSplitRegex(*j.Pattern.Regex); err != nil {
			return nil, err
		}
	case j.Pattern.String != nil:
		p.find = literalFinder(*j.Pattern.String)
	default:
		return nil, errors.New("missing pattern (String or Regex)")
	}
	return p, nil
}

// parseByteLevelPre builds a ByteLevel pre-tokenizer, or nil when it only maps bytes
// (the model does that).
func parseByteLevelPre(raw json.RawMessage) (preTokenizer, error) {
	j := struct {
		AddPrefixSpace bool `json:"add_prefix_space"`
		UseRegex       bool `json:"use_regex"`
	}{UseRegex: true}
	if err := json.Unmarshal(raw, &j); err != nil {
		return nil, err
	}
	if !j.AddPrefixSpace && !j.UseRegex {
		return nil, nil // the mapping alone: done by the model
	}
	return &byteLevelPre{addPrefixSpace: j.AddPrefixSpace, useRegex: j.UseRegex}, nil
}

type metaspaceOpts struct {
	replacement string
	prepend     string
	split       bool
}

func parseMetaspace(raw json.RawMessage) (metaspaceOpts, error) {
	j := struct {
		Replacement    string `json:"replacement"`
		PrependScheme  string `json:"prepend_scheme"`
		AddPrefixSpace *bool  `json:"add_prefix_space"`
		Split          *bool  `json:"split"`
	}{}
	if err := json.Unmarshal(raw, &j); err != nil {
		return metaspaceOpts{}, err
	}
	o := metaspaceOpts{replacement: j.Replacement, prepend: strings.ToLower(j.PrependScheme), split: true}
	if o.replacement == "" {
		o.replacement = "\u2581"
	}
	if j.Split != nil {
		o.split = *j.Split
	}
	if o.prepend == "" {
		o.prepend = "always"
		if j.AddPrefixSpace != nil && !*j.AddPrefixSpace {
			o.prepend = "never"
		}
	}
	switch o.prepend {
	case "always", "first", "never":
	default:
		return o, fmt.Errorf("unknown prepend_scheme %q (want always, first or never)", j.PrependScheme)
	}
	return o, nil
}

// parsePostProcessor reads the special tokens a post-processor puts around a single
// sequence.
func parsePostProcessor(what string, raw json.RawMessage) (postProcessor, error) {
	typ, err := componentType(what, raw)
	if err != nil {
		return postProcessor{}, err
	}
	var p postProcessor
	switch typ {
	case "ByteLevel":
		return postProcessor{}, nil
	case "Sequence":
		return parsePostSequence(what, raw)
	case "TemplateProcessing":
		p, err = parseTemplateProcessing(raw)
	case "RobertaProcessing", "BertProcessing":
		p, err = parseClsSep(raw)
	default:
		return postProcessor{}, fmt.Errorf("%s: unsupported type %q (supported: ByteLevel, TemplateProcessing, RobertaProcessing, BertProcessing, Sequence)", what, typ)
	}
	if err != nil {
		return postProcessor{}, fmt.Errorf("%s (%s): %w", what, typ, err)
	}
	return p, nil
}

// parsePostSequence chains post-processors: the later ones wrap the earlier ones.
func parsePostSequence(what string, raw json.RawMessage) (postProcessor, error) {
	items, err := sequenceItems(what, raw, "processors")
	if err != nil {
		return postProcessor{}, err
	}
	var out postProcessor
	for i, r := range items {
		p, err := parsePostProcessor(fmt.Sprintf("%s.processors[%d]", what, i), r)
		if err != nil {
			return postProcessor{}, err
		}
		out.prefix = append(append([]int(nil), p.prefix...), out.prefix...)
		out.suffix = append(out.suffix, p.suffix...)
	}
	return out, nil
}

// parseTemplateProcessing reads the single-sequence template: the special tokens
// before the sequence are the prefix, those after it the suffix.
func parseTemplateProcessing(raw json.RawMessage) (postProcessor, error) {
	var j struct {
		Single []struct {
			SpecialToken *struct {
				ID string `json:"id"`
			} `json:"SpecialToken"`
			Sequence *struct {
				ID string `json:"id"`
			} `json:"Sequence"`
		} `json:"single"`
		SpecialTokens map[string]struct {
			IDs []int `json:"ids"`
		} `json:"special_tokens"`
	}
	if err := json.Unmarshal(raw, &j); err != nil {
		return postProcessor{}, err
	}
	var out postProcessor
	seen := false
	for i, item := range j.Single {
		switch {
		case item.Sequence != nil:
			if seen {
				return postProcessor{}, fmt.Errorf("single[%d]: the sequence appears twice", i)
			}
			seen = true
		case item.SpecialToken != nil:
			st, ok := j.SpecialTokens[item.SpecialToken.ID]
			if !ok {
				return postProcessor{}, fmt.Errorf("single[%d]: special token %q missing from special_tokens", i, item.SpecialToken.ID)
			}
			if seen {
				out.suffix = append(out.suffix, st.IDs...)
			} else {
				out.prefix = append(out.prefix, st.IDs...)
			}
		default:
			return postProcessor{}, fmt.Errorf("single[%d]: want SpecialToken or Sequence", i)
		}
	}
	if !seen {
		return postProcessor{}, errors.New("single has no Sequence")
	}
	return out, nil
}

// parseClsSep reads a RobertaProcessing or BertProcessing: cls before, sep after.
func parseClsSep(raw json.RawMessage) (postProcessor, error) {
	var j struct {
		Sep []json.RawMessage `json:"sep"`
		Cls []json.RawMessage `json:"cls"`
	}
	if err := json.Unmarshal(raw, &j); err != nil {
		return postProcessor{}, err
	}
	get := func(name string, v []json.RawMessage) (int, error) {
		var id int
		if len(v) != 2 || json.Unmarshal(v[1], &id) != nil {
			return 0, fmt.Errorf("%s must be [token, id]", name)
		}
		return id, nil
	}
	cls, err := get("cls", j.Cls)
	if err != nil {
		return postProcessor{}, err
	}
	sep, err := get("sep", j.Sep)
	if err != nil {
		return postProcessor{}, err
	}
	return postProcessor{prefix: []int{cls}, suffix: []int{sep}}, nil
}

func parseDecoder(what string, raw json.RawMessage) (decoder, error) {
	typ, err := componentType(what, raw)
	if err != nil {
		return nil, err
	}
	switch typ {
	case "ByteLevel":
		_, toByte := byteAlphabet()
		return byteLevelDec{toByte}, nil
	case "Metaspace":
		p, err := parseMetaspace(raw)
		if err != nil {
			return nil, fmt.Errorf("%s (Metaspace): %w", what, err)
		}
		return metaspaceDec{replacement: p.replacement, prepend: p.prepend}, nil
	case "ByteFallback":
		return byteFallbackDec{}, nil
	case "Fuse":
		return fuseDec{}, nil
	case "Strip":
		var j struct {
			Content string `json:"content"`
			Start   int    `json:"start"`
			Stop    int    `json:"stop"`
		}
		if err := json.Unmarshal(raw, &j); err != nil {
			return nil, fmt.Errorf("%s (Strip): %w", what, err)
		}
		return stripDec{j.Content, j.Start, j.Stop}, nil
	case "Replace":
		var j struct {
			Pattern patternJSON `json:"pattern"`
			Content string      `json:"content"`
		}
		if err := json.Unmarshal(raw, &j); err != nil {
			return nil, fmt.Errorf("%s (Replace): %w", what, err)
		}
		if j.Pattern.String == nil || *j.Pattern.String == "" {
			return nil, fmt.Errorf("%s (Replace): only a non-empty pattern.String is supported", what)
		}
		return replaceDec{*j.Pattern.String, j.Content}, nil
	case "BPEDecoder":
		j := struct {
			Suffix string `json:"suffix"`
		}{Suffix: "</w>"}
		if err := json.Unmarshal(raw, &j); err != nil {
			return nil, fmt.Errorf("%s (BPEDecoder): %w", what, err)
		}
		return bpeDec{j.Suffix}, nil
	case "Sequence":
		seq, err := parseSequence(what, raw, "decoders", parseDecoder)
		if err != nil {
			return nil, err
		}
		return decSequence(seq), nil
	}
	return nil, fmt.Errorf("%s: unsupported type %q (supported: ByteLevel, Metaspace, ByteFallback, Fuse, Strip, Replace, BPEDecoder, Sequence)", what, typ)
}

// setVocab builds the id tables from the model vocab and the added tokens.
func (t *hfTokenizer) setVocab(added []*addedToken) {
	maxID := -1
	for _, id := range t.model.vocab {
		maxID = max(maxID, id)
	}
	for _, a := range added {
		maxID = max(maxID, a.ID)
	}
	t.idToToken = make([]string, maxID+1)
	t.hasToken = make([]bool, maxID+1)
	for tok, id := range t.model.vocab {
		if id >= 0 {
			t.idToToken[id], t.hasToken[id] = tok, true
		}
	}
	t.special = make([]bool, maxID+1)
	var raw, normd []*addedToken
	for _, a := range added {
		t.idToToken[a.ID], t.hasToken[a.ID] = a.Content, true
		if a.Special {
			t.special[a.ID] = true
			t.specialIDs = append(t.specialIDs, a.ID)
		}
		// As in the Rust library, tokens marked normalized:false match the raw input and
		// the others match the normalized text, special or not.
		if a.Normalized {
			normd = append(normd, a)
		} else {
			raw = append(raw, a)
		}
	}
	sort.Ints(t.specialIDs)
	t.rawAdded = newTokenMatcher(raw)
	t.normAdded = newTokenMatcher(normd)
	t.addedIDs = make(map[int]bool, len(added))
	for _, a := range added {
		t.addedIDs[a.ID] = true
	}
	t.modelVocab = len(t.model.vocab)
}
