package main

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestTailgate(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "tailgate command Suite")
}
