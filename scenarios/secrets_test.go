package scenarios_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"

	"github.com/onsi/gomega/format"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/tailgate-dev/tailgate/scenarios"
)

var _ = Describe("Secrets", func() {
	const apiKey, hfToken, bearer, password = "sk-live-abc123", "hf_SECRETtoken", "Bearer xyz789", "hunter2"

	withSecrets := func() scenarios.Config {
		c := scenarios.Production()
		c.Server.APIKey = apiKey
		c.Server.BaseURL = "http://user:" + password + "@qwen3-vllm.default:8000"
		c.Tokenizer.Token = hfToken
		c.API.Headers = map[string]string{"Authorization": bearer, "X-Team": "search"}
		return c
	}
	secrets := []string{apiKey, hfToken, bearer, password}

	It("are never in String or any fmt verb", func() {
		c := withSecrets()
		for _, s := range []string{c.String(), fmt.Sprint(c), fmt.Sprintf("%v|%+v|%#v|%s", c, c, c, c),
			fmt.Sprintf("%v %+v %#v", c.Server, *c.Server, c.Tokenizer), c.Server.String(), c.Tokenizer.String()} {
			for _, secret := range secrets {
				Expect(s).NotTo(ContainSubstring(secret))
			}
			Expect(s).To(ContainSubstring(scenarios.Redacted))
		}
		Expect(c.String()).To(ContainSubstring("X-Team: search"), "headers that are not secret stay readable")
		Expect(c.Server.String()).To(ContainSubstring("qwen3-vllm.default:8000"))
	})

	It("are not in Gomega failure messages, slog records or JSON", func() {
		c := withSecrets()
		var logs bytes.Buffer
		slog.New(slog.NewJSONHandler(&logs, nil)).Info("run", "scenario", c, "server", c.Server)
		slog.New(slog.NewTextHandler(&logs, nil)).Info("run", "scenario", c, "tokenizer", *c.Tokenizer)
		js, err := json.Marshal(c)
		Expect(err).NotTo(HaveOccurred())
		for _, s := range []string{format.Object(c, 0), format.Object(c.Server, 0), format.Object(c.Tokenizer, 0), logs.String(), string(js)} {
			for _, secret := range secrets {
				Expect(s).NotTo(ContainSubstring(secret))
			}
			Expect(s).To(ContainSubstring(scenarios.Redacted))
		}
	})

	It("stay out of the error for a base_url too malformed to parse", func() {
		c := withSecrets()
		c.Server.BaseURL = "http://user:pa%zz-word@qwen3-vllm.default:8000"
		err := c.Validate()
		Expect(err).To(MatchError(ContainSubstring("server.base_url")))
		Expect(err.Error()).NotTo(ContainSubstring("pa%zz-word"))
		Expect(err.Error()).To(ContainSubstring("qwen3-vllm.default:8000"), "the rest of the value still helps find the mistake")
	})

	It("are redacted by RenderRedacted and kept by Render (for a Secret or ConfigMap)", func() {
		c := withSecrets()
		red, err := scenarios.RenderRedacted(c)
		Expect(err).NotTo(HaveOccurred())
		for _, secret := range secrets {
			Expect(string(red)).NotTo(ContainSubstring(secret))
		}
		full, err := scenarios.Render(c)
		Expect(err).NotTo(HaveOccurred())
		for _, secret := range secrets {
			Expect(string(full)).To(ContainSubstring(secret))
		}
		Expect(roundTrip(c)).To(Equal(c))
		Expect(c.Server.APIKey).To(Equal(apiKey), "redacting must not touch the original")
	})

	It("do not leak through validation errors", func() {
		c := withSecrets()
		c.Server.BaseURL = "ftp-ish:" + password
		err := c.Validate()
		Expect(err).To(HaveOccurred())
		Expect(err.Error()).NotTo(ContainSubstring(apiKey))
	})
})
