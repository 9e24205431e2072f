package report

// CountAbove returns how many samples the histogram holds above v, at its
// bucket resolution: a sample counts when its bucket lies wholly above v.
func (h *Histogram) CountAbove(v float64) int64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.h.TotalCount() == 0 || h.max <= v {
		return 0
	}
	u := h.toUnits(v)
	var n int64
	for _, b := range h.h.Distribution() {
		if b.Count > 0 && b.From > u {
			n += b.Count
		}
	}
	return n
}
