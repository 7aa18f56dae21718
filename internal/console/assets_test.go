package console

import (
	"io/fs"
	"regexp"
	"strings"
	"testing"
)

// TestAssetsStayInert keeps the pages free of what the Content-Security-
// Policy forbids or what would turn text into markup: HTML parsing from
// strings, eval, inline script and style, and anything loaded from
// elsewhere.
func TestAssetsStayInert(t *testing.T) {
	forbidden := regexp.MustCompile(`innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function|` +
		`setTimeout\(\s*['"]|setInterval\(\s*['"]|\son[a-z]+=|<script>|style=|https?://|//cdn`)
	n := 0
	err := fs.WalkDir(assets, "assets", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := assets.ReadFile(path)
		if err != nil {
			return err
		}
		n++
		for i, line := range strings.Split(string(b), "\n") {
			if strings.HasSuffix(path, ".svg") {
				line = strings.ReplaceAll(line, `xmlns="http://www.w3.org/2000/svg"`, "")
			}
			if m := forbidden.FindString(line); m != "" {
				t.Errorf("%s:%d: %q: %s", path, i+1, m, strings.TrimSpace(line))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 5 {
		t.Fatalf("only %d assets embedded", n)
	}
}
