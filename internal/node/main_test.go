package node_test

import (
	"os"
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package if a goroutine outlives its tests: a closed
// node must have stopped its links, its writer and every exchange it
// started. The fixtures' template directories go at the end.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.Cleanup(func(int) {
		if templates.dir != "" {
			os.RemoveAll(templates.dir)
		}
	}))
}
