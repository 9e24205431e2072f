package cluster

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"

	"k8s.io/client-go/rest"
	"sigs.k8s.io/e2e-framework/klient"
	"sigs.k8s.io/e2e-framework/klient/conf"
	"sigs.k8s.io/e2e-framework/pkg/envconf"
	"sigs.k8s.io/e2e-framework/support"
	"sigs.k8s.io/e2e-framework/support/kind"
	"sigs.k8s.io/e2e-framework/support/kwok"
)

// ProviderKind names where the cluster comes from.
type ProviderKind string

const (
	// Kubeconfig uses an existing cluster (EKS, or any other) through a kubeconfig.
	Kubeconfig ProviderKind = "kubeconfig"
	// ProviderKind creates (or reuses) a kind cluster through e2e-framework's kind support.
	Kind ProviderKind = "kind"
	// Kwok creates (or reuses) a kwok cluster (simulated nodes) through
	// e2e-framework's kwok support.
	Kwok ProviderKind = "kwok"
)

// Options choose and configure the cluster the benchmarks run in (Settings.Cluster).
type Options struct {
	// Provider: kubeconfig (default), kind or kwok.
	Provider ProviderKind
	// Kubeconfig is the kubeconfig file of the kubeconfig provider; default $KUBECONFIG,
	// then ~/.kube/config.
	Kubeconfig string
	// Context in the kubeconfig; default its current context.
	Context string
	// Name of the kind or kwok cluster; default "tailgate".
	Name string
	// Reuse lets kind/kwok use an existing cluster of that name. Such a cluster was not
	// created here and is never deleted here. Without Reuse an existing cluster is an error.
	Reuse bool
	// Keep leaves a cluster created here running after Teardown (for debugging).
	Keep bool
	// Binary is the path of the kind or kwokctl binary; default the one on PATH. It is
	// never installed: a missing binary is an error that says how to get it.
	Binary string
	// DockerBinary is the docker CLI used to save an image for kind when `kind load
	// docker-image` cannot read Docker's containerd image store; default docker on PATH.
	DockerBinary string
	// KindNodeImage is kind's node image, e.g. kindest/node:v1.35.0; default kind's own.
	KindNodeImage string
	// ConfigFile is a kind or kwokctl configuration file; optional.
	ConfigFile string
	// KwokArgs are extra `kwokctl create cluster` arguments (e.g. --runtime binary and
	// the --kube-apiserver-binary family to use locally built binaries).
	KwokArgs []string
}

// Environment variables of the cluster settings (SettingList).
const (
	EnvProvider   = "TAILGATE_CLUSTER"         // kubeconfig | kind | kwok
	EnvKubeconfig = "TAILGATE_KUBECONFIG"      // falls back to KUBECONFIG
	EnvContext    = "TAILGATE_KUBE_CONTEXT"    // kubeconfig context
	EnvName       = "TAILGATE_CLUSTER_NAME"    // kind/kwok cluster name
	EnvReuse      = "TAILGATE_CLUSTER_REUSE"   // true: reuse an existing kind/kwok cluster
	EnvKeep       = "TAILGATE_KEEP_CLUSTER"    // true: do not delete a cluster created here
	EnvKindImage  = "TAILGATE_KIND_NODE_IMAGE" // kind node image
	EnvConfigFile = "TAILGATE_CLUSTER_CONFIG"  // kind/kwokctl config file
	EnvKindBinary = "TAILGATE_KIND_BINARY"     // kind binary; default kind on PATH (never installed)
	EnvKwokctl    = "TAILGATE_KWOKCTL_BINARY"  // kwokctl binary; default kwokctl on PATH (never installed)
	EnvDocker     = "TAILGATE_DOCKER_BINARY"   // docker CLI for saving images for kind; default docker on PATH
)

func (o *Options) validate() error {
	switch o.Provider {
	case "":
		o.Provider = Kubeconfig
	case Kubeconfig, Kind, Kwok:
	default:
		return fmt.Errorf("cluster provider %q: want kubeconfig, kind or kwok (%s)", o.Provider, EnvProvider)
	}
	if o.Name == "" {
		o.Name = "tailgate"
	}
	return nil
}

// Cluster is a cluster ready for benchmarks, with the e2e-framework config and client to
// reach it.
type Cluster struct {
	// Name of the kind/kwok cluster, or the kubeconfig context.
	Name string
	// Provider it came from.
	Provider ProviderKind
	// KubeconfigPath of the cluster.
	KubeconfigPath string
	// Config is the e2e-framework configuration, with Client set.
	Config *envconf.Config
	// Client reaches the cluster.
	Client klient.Client

	created  bool
	keep     bool
	provider support.E2EClusterProvider
	binary   string // kind or kwokctl
	docker   string // docker CLI, for kind image loads
}

// Created reports whether Setup created the cluster (and Teardown will delete it).
func (c *Cluster) Created() bool { return c.created }

// RESTConfig is the client-go configuration of the cluster.
func (c *Cluster) RESTConfig() *rest.Config { return c.Client.RESTConfig() }

// Setup returns the cluster opts describe: it connects to an existing cluster, or creates
// a kind/kwok cluster (or reuses one when opts.Reuse). Pair it with Teardown (in Ginkgo,
// DeferCleanup(c.Teardown)).
func Setup(ctx context.Context, opts Options) (*Cluster, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	switch opts.Provider {
	case Kubeconfig:
		return connect(opts)
	case Kind:
		bin, err := toolPath(opts.Binary, "kind", EnvKindBinary, "https://kind.sigs.k8s.io/docs/user/quick-start/#installation")
		if err != nil {
			return nil, err
		}
		opts.Binary = bin
		// An explicit path: e2e-framework would otherwise `go install` kind on every call.
		p := kind.NewProvider().WithName(opts.Name).WithPath(bin)
		if opts.KindNodeImage != "" {
			p = p.WithOpts(kind.WithImage(opts.KindNodeImage))
		}
		return create(ctx, opts, p, "kind", func() (string, error) { return p.CreateWithConfig(ctx, opts.ConfigFile) })
	case Kwok:
		bin, err := toolPath(opts.Binary, "kwokctl", EnvKwokctl, "https://kwok.sigs.k8s.io/docs/user/installation/")
		if err != nil {
			return nil, err
		}
		opts.Binary = bin
		p := kwok.NewProvider().WithName(opts.Name).WithPath(bin)
		args := append([]string(nil), opts.KwokArgs...)
		if opts.ConfigFile != "" {
			args = append(args, "--config", opts.ConfigFile)
		}
		return create(ctx, opts, p, "kwokctl", func() (string, error) { return p.Create(ctx, args...) })
	}
	return nil, fmt.Errorf("cluster provider %q not supported", opts.Provider)
}

func connect(opts Options) (*Cluster, error) {
	path := opts.Kubeconfig
	if path == "" {
		path = conf.ResolveKubeConfigFile()
	}
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("cluster: kubeconfig %q: %w (set %s or KUBECONFIG)", path, err, EnvKubeconfig)
	}
	var (
		rc  *rest.Config
		err error
	)
	if opts.Context != "" {
		rc, err = conf.NewWithContextName(path, opts.Context)
	} else {
		rc, err = conf.New(path)
	}
	if err != nil {
		return nil, fmt.Errorf("cluster: load kubeconfig %q: %w", path, err)
	}
	client, err := klient.New(rc)
	if err != nil {
		return nil, fmt.Errorf("cluster: client for %q: %w", path, err)
	}
	cfg := envconf.NewWithKubeConfig(path).WithClient(client)
	if opts.Context != "" {
		cfg = cfg.WithKubeContext(opts.Context)
	}
	return &Cluster{Name: opts.Context, Provider: Kubeconfig, KubeconfigPath: path, Config: cfg, Client: client}, nil
}

func create(ctx context.Context, opts Options, p support.E2EClusterProvider, tool string, createFn func() (string, error)) (*Cluster, error) {
	exists, err := clusterExists(ctx, opts.Binary, tool, opts.Name)
	if err != nil {
		return nil, err
	}
	if exists && !opts.Reuse {
		return nil, fmt.Errorf("cluster: a %s cluster named %q already exists and was not created by this run; set %s=true to use it (it will not be deleted) or choose another %s",
			opts.Provider, opts.Name, EnvReuse, EnvName)
	}
	kubeconfig, err := createFn()
	if err != nil {
		return nil, fmt.Errorf("cluster: create %s cluster %q: %w", opts.Provider, opts.Name, err)
	}
	c := &Cluster{Name: opts.Name, Provider: opts.Provider, KubeconfigPath: kubeconfig,
		created: !exists, keep: opts.Keep, provider: p, binary: opts.Binary, docker: opts.DockerBinary}
	rc, err := conf.New(kubeconfig)
	if err == nil {
		c.Client, err = klient.New(rc)
	}
	if err != nil {
		return c, errors.Join(fmt.Errorf("cluster: client for %s cluster %q: %w", opts.Provider, opts.Name, err), c.Teardown(ctx))
	}
	c.Config = envconf.NewWithKubeConfig(kubeconfig).WithClient(c.Client)
	if err := p.WaitForControlPlane(ctx, c.Client); err != nil {
		return c, errors.Join(fmt.Errorf("cluster: %s cluster %q not ready: %w", opts.Provider, opts.Name, err), c.Teardown(ctx))
	}
	return c, nil
}

// clusterExists asks kind/kwokctl for its clusters. No binary means no cluster.
func clusterExists(ctx context.Context, binary, tool, name string) (bool, error) {
	if binary == "" {
		var err error
		if binary, err = exec.LookPath(tool); err != nil {
			return false, nil
		}
	}
	var out, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, binary, "get", "clusters")
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		return false, fmt.Errorf("cluster: %s get clusters: %w: %s", tool, err, strings.TrimSpace(stderr.String()))
	}
	for _, line := range strings.Split(out.String(), "\n") {
		if strings.TrimSpace(line) == name {
			return true, nil
		}
	}
	return false, nil
}

// Teardown deletes the cluster when Setup created it and Keep is not set; a cluster that
// existed before (kubeconfig, or reused) is never deleted.
func (c *Cluster) Teardown(ctx context.Context) error {
	if c == nil || !c.created || c.keep || c.provider == nil {
		return nil
	}
	if err := c.provider.Destroy(ctx); err != nil {
		return fmt.Errorf("cluster: delete %s cluster %q: %w", c.Provider, c.Name, err)
	}
	c.created = false
	return nil
}
