// Command hotline-vectors writes the tamper test vectors used by the
// transcript tests: go run ./cmd/hotline-vectors -out internal/transcript/testdata/vectors
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/hotline-line/hotline/internal/transcript/vectors"
)

func main() {
	out := flag.String("out", "internal/transcript/testdata/vectors", "directory to write the vectors to")
	flag.Parse()
	if err := vectors.Generate(*out); err != nil {
		fmt.Fprintf(os.Stderr, "hotline-vectors: error: %v\n", err)
		os.Exit(1)
	}
}
