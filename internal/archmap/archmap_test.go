package archmap

import (
	"bufio"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const (
	module = "github.com/hotline-line/hotline/"
	root   = "../.."
	doc    = "docs/architecture.md"
)

// row matches a line of the map's package table:
// | `node` | what it owns | `charter`, `entry` |
var row = regexp.MustCompile("^\\|\\s*`([a-z0-9/-]+)`\\s*\\|[^|]*\\|([^|]*)\\|\\s*$")

var name = regexp.MustCompile("`([a-z0-9/-]+)`")

// readMap returns, per package, the module packages the map says it
// imports. Packages under internal/ are named without the prefix.
func readMap(t *testing.T) map[string][]string {
	f, err := os.Open(filepath.Join(root, doc))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m := map[string][]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		r := row.FindStringSubmatch(sc.Text())
		if r == nil {
			continue
		}
		if _, dup := m[r[1]]; dup {
			t.Errorf("%s lists %s twice", doc, r[1])
		}
		imports := []string{}
		for _, n := range name.FindAllStringSubmatch(r[2], -1) {
			imports = append(imports, n[1])
		}
		slices.Sort(imports)
		m[r[1]] = imports
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(m) == 0 {
		t.Fatalf("%s has no package table", doc)
	}
	return m
}

// readCode returns, per package directory, the module packages its
// non-test files import.
func readCode(t *testing.T) map[string][]string {
	m := map[string][]string{}
	for _, top := range []string{"internal", "cmd"} {
		err := filepath.WalkDir(filepath.Join(root, top), func(path string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.Contains(path, "testdata") {
				return err
			}
			rel, _ := filepath.Rel(root, filepath.Dir(path))
			pkg := short(filepath.ToSlash(rel))
			if strings.HasSuffix(path, "_test.go") {
				// A package of tests alone is on the map too; what tests
				// import is theirs to choose.
				if m[pkg] == nil {
					m[pkg] = []string{}
				}
				return nil
			}
			f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
			if err != nil {
				return err
			}
			set := m[pkg]
			if set == nil {
				set = []string{}
			}
			for _, imp := range f.Imports {
				p, _ := strconv.Unquote(imp.Path.Value)
				if rest, ok := strings.CutPrefix(p, module); ok && !slices.Contains(set, short(rest)) {
					set = append(set, short(rest))
				}
			}
			m[pkg] = set
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, v := range m {
		slices.Sort(v)
	}
	return m
}

func short(p string) string { return strings.TrimPrefix(p, "internal/") }

// TestMapIsTrue fails when a package is missing from the map, when the map
// names a package that is gone, or when a package's imports differ from
// the map's.
func TestMapIsTrue(t *testing.T) {
	want, got := readMap(t), readCode(t)
	for pkg, imports := range got {
		listed, ok := want[pkg]
		if !ok {
			t.Errorf("%s is not on the map (%s): add a row for it", pkg, doc)
			continue
		}
		for _, imp := range imports {
			if !slices.Contains(listed, imp) {
				t.Errorf("%s imports %s, which the map does not allow: change the code or the map", pkg, imp)
			}
		}
		for _, imp := range listed {
			if !slices.Contains(imports, imp) {
				t.Errorf("the map says %s imports %s, and it no longer does: update the map", pkg, imp)
			}
		}
	}
	for pkg := range want {
		if _, ok := got[pkg]; !ok {
			t.Errorf("the map lists %s, which has no Go files", pkg)
		}
	}
}
