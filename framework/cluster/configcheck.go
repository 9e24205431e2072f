package cluster

import (
	"fmt"
	"slices"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// keyTree lists the config keys one inference-perf release reads: a nil value is a
// leaf, a keyTree a section, anyKeys a free map (headers), listOf a list of sections.
type keyTree map[string]any

type (
	anyKeys struct{}
	listOf  struct{ item keyTree }
	oneOf   []string // a leaf whose value must be one of these
)

// v020Storage is a storage section of v0.2.0 (local, GCS and S3 share it).
var v020Storage = keyTree{"path": nil, "report_file_prefix": nil, "bucket_name": nil}

// v020Dist is v0.2.0's length distribution: no type, variance or skew.
var v020Dist = keyTree{"min": nil, "max": nil, "mean": nil, "std_dev": nil, "total_count": nil}

// v020Keys are the keys inference-perf v0.2.0 reads (config.py at the tag). Its
// models accept unknown keys and drop them silently, so anything else would change
// the benchmark without a word.
var v020Keys = keyTree{
	"api": keyTree{"type": oneOf{"completion", "chat"}, "streaming": nil, "headers": anyKeys{}},
	"data": keyTree{
		"type": oneOf{"mock", "shareGPT", "synthetic", "random", "shared_prefix", "cnn_dailymail", "infinity_instruct", "billsum_conversations"},
		"path": nil, "input_distribution": v020Dist, "output_distribution": v020Dist,
		"shared_prefix": keyTree{"num_groups": nil, "num_prompts_per_group": nil, "system_prompt_len": nil, "question_len": nil, "output_len": nil},
	},
	"load": keyTree{
		"type": oneOf{"constant", "poisson"}, "interval": nil, "stages": listOf{keyTree{"rate": nil, "duration": nil}},
		"num_workers": nil, "worker_max_concurrency": nil, "worker_max_tcp_connections": nil,
	},
	"metrics": keyTree{"type": oneOf{"prometheus", "default"},
		"prometheus": keyTree{"scrape_interval": nil, "url": nil, "filters": nil, "google_managed": nil}},
	"report": keyTree{
		"request_lifecycle": keyTree{"summary": nil, "per_stage": nil, "per_request": nil},
		"prometheus":        keyTree{"summary": nil, "per_stage": nil},
	},
	"storage":   keyTree{"local_storage": v020Storage, "google_cloud_storage": v020Storage, "simple_storage_service": v020Storage},
	"server":    keyTree{"type": oneOf{"vllm", "sglang", "tgi"}, "model_name": nil, "base_url": nil, "ignore_eos": nil, "api_key": nil},
	"tokenizer": keyTree{"pretrained_model_name_or_path": nil, "trust_remote_code": nil, "token": nil},
}

// v020Renames are newer key names whose meaning v0.2.0 has under an older name.
var v020Renames = map[string]string{
	"data.shared_prefix.num_unique_system_prompts":   "num_groups",
	"data.shared_prefix.num_users_per_system_prompt": "num_prompts_per_group",
}

// v020Reasons explain the keys whose silent loss matters most.
var v020Reasons = map[string]string{
	"load.sweep": "inference-perf before v0.3.0 crashes at startup on a sweep (max() over the empty load.stages); " +
		"give explicit load.stages (probe the saturation rate with the native engine or a saturation run), or run v0.3.0 or newer",
	"storage.simple_storage_service.endpoint_url":     s3Ignored,
	"storage.simple_storage_service.region_name":      s3Ignored,
	"storage.simple_storage_service.addressing_style": s3Ignored,
	"data.input_distribution.type":                    "v0.2.0 has no distribution.type and would draw a normal distribution instead",
	"data.output_distribution.type":                   "v0.2.0 has no distribution.type and would draw a normal distribution instead",
}

const s3Ignored = "v0.2.0 uploads with a plain boto3 client (AWS S3, the pod's region) and ignores it, " +
	"so tailgate would read a bucket the Job never wrote to; use an AWS bucket without it, or v0.3.0 or newer for an S3-compatible server"

// adaptConfig checks a rendered config.yml against the inference-perf release of
// image and returns the config that release reads. For releases before v0.3.0 it
// renames the shared_prefix keys to the names v0.2.0 knows and refuses every key
// that release would ignore or crash on, naming each with the reason. An image
// whose tag names no release, or a newer one, gets config unchanged.
func adaptConfig(config []byte, image string) ([]byte, error) {
	rel, ok := ImageRelease(image)
	if !ok || !rel.Before(release030) {
		return config, nil
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(config, &doc); err != nil {
		return nil, fmt.Errorf("cluster: rendered config: %w", err)
	}
	if len(doc.Content) == 0 {
		return config, nil
	}
	c := &keyCheck{release: rel}
	c.walk(doc.Content[0], v020Keys, "")
	if len(c.problems) > 0 {
		return nil, fmt.Errorf("cluster: image %s runs inference-perf %s, which would not run this scenario as written:\n  - %s\nSet %s to a newer release (v0.3.0 or later) or change the scenario",
			image, rel, strings.Join(c.problems, "\n  - "), EnvInferencePerfImage)
	}
	if !c.renamed {
		return config, nil
	}
	out, err := yaml.Marshal(&doc)
	if err != nil {
		return nil, fmt.Errorf("cluster: rendered config: %w", err)
	}
	return out, nil
}

// keyCheck walks a config document against a keyTree.
type keyCheck struct {
	release  Release
	problems []string
	renamed  bool
}

func (c *keyCheck) walk(n *yaml.Node, tree keyTree, path string) {
	if n.Kind != yaml.MappingNode {
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		p := join(path, k.Value)
		if to, ok := v020Renames[p]; ok {
			k.Value, c.renamed = to, true
			p = join(path, to)
		}
		spec, known := tree[k.Value]
		if !known {
			c.refuse(p)
			continue
		}
		switch s := spec.(type) {
		case keyTree:
			c.walk(v, s, p)
		case listOf:
			for _, item := range v.Content {
				c.walk(item, s.item, p+"[]")
			}
		case oneOf:
			if v.Kind == yaml.ScalarNode && !slices.Contains(s, v.Value) {
				c.problems = append(c.problems, fmt.Sprintf("%s: %q is not one of %s in %s", p, v.Value, strings.Join(s, ", "), c.release))
			}
		}
	}
}

func (c *keyCheck) refuse(path string) {
	reason, ok := v020Reasons[path]
	if !ok {
		reason = fmt.Sprintf("%s does not know this key and ignores it silently (its config models accept unknown keys), so the run would differ from the scenario", c.release)
	}
	c.problems = append(c.problems, path+": "+reason)
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}
