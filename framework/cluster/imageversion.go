package cluster

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Release is an inference-perf release number read from an image tag.
type Release struct{ Major, Minor, Patch int }

// String spells the release as its tag does, e.g. v0.2.0.
func (r Release) String() string { return fmt.Sprintf("v%d.%d.%d", r.Major, r.Minor, r.Patch) }

// Before reports whether r is older than o.
func (r Release) Before(o Release) bool {
	if r.Major != o.Major {
		return r.Major < o.Major
	}
	if r.Minor != o.Minor {
		return r.Minor < o.Minor
	}
	return r.Patch < o.Patch
}

// release030 is the first release with per-event streaming timestamps, a working sweep
// and the newer config keys (shared_prefix aliases, distribution.type, S3 endpoint).
var release030 = Release{0, 3, 0}

var releaseTag = regexp.MustCompile(`^v?(\d+)\.(\d+)\.(\d+)`)

// ImageRelease reads the inference-perf release from an image reference's tag
// (quay.io/inference-perf/inference-perf:v0.2.0 is v0.2.0). ok is false for a tag
// that names no release (latest, a digest, a custom build): such an image cannot
// be checked against what its release supports.
func ImageRelease(image string) (Release, bool) {
	ref := image
	if i := strings.Index(ref, "@"); i >= 0 {
		ref = ref[:i]
	}
	slash := strings.LastIndex(ref, "/")
	colon := strings.LastIndex(ref, ":")
	if colon < 0 || colon < slash {
		return Release{}, false
	}
	m := releaseTag.FindStringSubmatch(ref[colon+1:])
	if m == nil {
		return Release{}, false
	}
	var r Release
	r.Major, _ = strconv.Atoi(m[1])
	r.Minor, _ = strconv.Atoi(m[2])
	r.Patch, _ = strconv.Atoi(m[3])
	return r, true
}
