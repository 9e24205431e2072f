package calibration_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestCalibration(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "calibration")
}
