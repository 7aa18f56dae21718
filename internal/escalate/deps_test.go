package escalate

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestNoNodeImport keeps the engine apart from the node: it follows any
// source of alerts, and the node's packages must be free to use it.
func TestNoNodeImport(t *testing.T) {
	files, _ := filepath.Glob("*.go")
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		ast, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range ast.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			for _, banned := range []string{"/internal/node", "/internal/duty", "/internal/serve"} {
				if strings.HasSuffix(path, banned) {
					t.Errorf("%s imports %s", f, path)
				}
			}
		}
	}
}
