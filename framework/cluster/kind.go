package cluster

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// toolPath returns the binary to run for tool: explicit when set, else the one on PATH.
// It never installs anything: a missing binary is an error naming the setting and where
// to get the tool.
func toolPath(explicit, tool, env, install string) (string, error) {
	if explicit != "" {
		p, err := exec.LookPath(explicit)
		if err != nil {
			return "", fmt.Errorf("cluster: %s %q (%s): %w", tool, explicit, env, err)
		}
		return filepath.Abs(p)
	}
	p, err := exec.LookPath(tool)
	if err != nil {
		return "", fmt.Errorf("cluster: no %s on PATH; install it (%s) or set %s to its path (tailgate never installs it)", tool, install, env)
	}
	return filepath.Abs(p)
}

// LoadImage loads a local image (built by docker or podman) into a kind cluster's nodes,
// so pods can use it without a registry. Only kind supports this. When `kind load
// docker-image` cannot read the image from Docker's containerd image store (kind issue
// #3795, "content digest ... not found"), the image is saved with `docker save` and
// loaded with `kind load image-archive` instead.
func (c *Cluster) LoadImage(ctx context.Context, image string) error {
	if c.Provider != Kind || c.binary == "" {
		return fmt.Errorf("cluster: %s clusters cannot load images; push %s to a registry the cluster can pull from", c.Provider, image)
	}
	out, err := runTool(ctx, c.binary, "load", "docker-image", "--name", c.Name, image)
	if err == nil {
		return nil
	}
	if !containerdStoreError(out) {
		return fmt.Errorf("cluster: load image %s into kind cluster %q: %w: %s", image, c.Name, err, out)
	}
	dir, err := os.MkdirTemp("", "tailgate-image-")
	if err != nil {
		return fmt.Errorf("cluster: %w", err)
	}
	defer os.RemoveAll(dir)
	archive := filepath.Join(dir, "image.tar")
	docker, err := toolPath(c.docker, "docker", EnvDocker, "https://docs.docker.com/get-docker/")
	if err != nil {
		return fmt.Errorf("cluster: kind cannot read %s from Docker's containerd image store, and saving it needs docker: %w", image, err)
	}
	if out, err := runTool(ctx, docker, "save", "-o", archive, image); err != nil {
		return fmt.Errorf("cluster: docker save %s: %w: %s", image, err, out)
	}
	return c.LoadImageArchive(ctx, archive)
}

// LoadImageArchive loads an image archive (docker save / OCI tar) into a kind cluster.
func (c *Cluster) LoadImageArchive(ctx context.Context, archive string) error {
	if c.Provider != Kind || c.binary == "" {
		return fmt.Errorf("cluster: %s clusters cannot load image archives", c.Provider)
	}
	if out, err := runTool(ctx, c.binary, "load", "image-archive", "--name", c.Name, archive); err != nil {
		return fmt.Errorf("cluster: load image archive %s into kind cluster %q: %w: %s", archive, c.Name, err, out)
	}
	return nil
}

// containerdStoreError reports whether kind's output is its failure to import an image
// from Docker's containerd image store.
func containerdStoreError(out string) bool {
	return strings.Contains(out, "content digest") && strings.Contains(out, "not found")
}

// runTool runs a command and returns its combined output.
func runTool(ctx context.Context, bin string, args ...string) (string, error) {
	var b bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdout, cmd.Stderr = &b, &b
	err := cmd.Run()
	return strings.TrimSpace(b.String()), err
}
