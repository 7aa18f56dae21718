package node_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package if a goroutine outlives its tests: a closed
// node must have stopped its links, its writer and every exchange it
// started.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
