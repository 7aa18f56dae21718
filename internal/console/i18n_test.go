package console

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"maps"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/hotline-line/hotline/internal/consolei18n"
)

// jsLiteral is a string literal in a script: its text (a template
// literal's ${...} parts taken out and scanned on their own), and the code
// just before it on its line, which says what the string is for.
type jsLiteral struct {
	file   string
	line   int
	text   string
	before string
}

// scanJS returns the string literals of a script, leaving out comments.
// It is a small tokenizer, enough for the console's own scripts: it knows
// strings, template literals with ${} inside, and comments; the scripts'
// regular expressions hold no quotes or //.
func scanJS(file, src string) []jsLiteral {
	var out []jsLiteral
	line := 1
	lineStart := 0
	var scan func(i int, stopAtBrace bool) int
	// str reads a literal opened at src[i] and returns the index after it.
	str := func(i int) int {
		q := src[i]
		before := strings.TrimSpace(src[lineStart:i])
		startLine := line
		var b strings.Builder
		i++
		for i < len(src) && src[i] != q {
			switch {
			case src[i] == '\\' && i+1 < len(src):
				b.WriteByte(src[i+1])
				i += 2
				continue
			case q == '`' && strings.HasPrefix(src[i:], "${"):
				b.WriteString("${}")
				i = scan(i+2, true)
				continue
			case src[i] == '\n':
				line++
				lineStart = i + 1
			}
			b.WriteByte(src[i])
			i++
		}
		out = append(out, jsLiteral{file: file, line: startLine, text: b.String(), before: before})
		return i + 1
	}
	scan = func(i int, stopAtBrace bool) int {
		depth := 0
		for i < len(src) {
			c := src[i]
			switch {
			case c == '\n':
				line++
				lineStart = i + 1
			case strings.HasPrefix(src[i:], "//"):
				for i < len(src) && src[i] != '\n' {
					i++
				}
				continue
			case strings.HasPrefix(src[i:], "/*"):
				end := strings.Index(src[i+2:], "*/")
				if end < 0 {
					return len(src)
				}
				line += strings.Count(src[i:i+2+end], "\n")
				i += end + 4
				continue
			case c == '\'' || c == '"' || c == '`':
				i = str(i)
				continue
			case c == '{':
				depth++
			case c == '}':
				if depth == 0 && stopAtBrace {
					return i + 1
				}
				depth--
			}
			i++
		}
		return i
	}
	scan(0, false)
	return out
}

// consoleScripts returns every script of the page with its literals.
func consoleScripts(t *testing.T) (map[string]string, []jsLiteral) {
	t.Helper()
	srcs := map[string]string{}
	var lits []jsLiteral
	files, err := fs.Glob(assets, "assets/*.js")
	if err != nil || len(files) < 5 {
		t.Fatalf("scripts: %v %v", files, err)
	}
	for _, f := range files {
		b, err := assets.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		srcs[f] = string(b)
		lits = append(lits, scanJS(f, string(b))...)
	}
	return srcs, lits
}

var (
	idShape   = regexp.MustCompile(`^[a-z][a-z_]*(\.[a-z0-9_]+)+$`)
	dataI18n  = regexp.MustCompile(`data-i18n(?:-title)?="([^"]*)"`)
	codeCalls = regexp.MustCompile(`\b(?:t|parts)\(\s*'([^']*)'`)
)

// apiCodes returns the error codes the console's API answers with: the
// second argument of every apiError call in the package's Go files.
func apiCodes(t *testing.T) []string {
	t.Helper()
	files, _ := filepath.Glob("*.go")
	fset := token.NewFileSet()
	var codes []string
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) < 3 {
				return true
			}
			if id, ok := call.Fun.(*ast.Ident); !ok || id.Name != "apiError" {
				return true
			}
			lit, ok := call.Args[2].(*ast.BasicLit)
			if !ok {
				t.Errorf("%s: apiError with a code that is not a string literal: the catalogs need to know every code", fset.Position(call.Pos()))
				return true
			}
			code, _ := strconv.Unquote(lit.Value)
			codes = append(codes, code)
			return true
		})
	}
	slices.Sort(codes)
	return slices.Compact(codes)
}

// TestCatalogIDs holds the catalogs to the page: every message ID the
// scripts and index.html use is in the catalogs (consolei18n's tests
// hold the three languages to the same IDs), every ID in the catalogs is
// used, and the api.CODE messages are exactly the API's error codes.
//
// An ID is used where it is written whole, as a quoted literal in a
// script (t('nav.inbox'), or a map of state names to IDs) or in a
// data-i18n attribute; api.CODE messages are looked up by the code an
// error comes with (api.js), so they follow the Go code instead.
func TestCatalogIDs(t *testing.T) {
	en, _ := consolei18n.Get("en")
	spaces := map[string]bool{}
	for id := range en.Messages {
		spaces[strings.Split(id, ".")[0]] = true
	}
	srcs, lits := consoleScripts(t)
	used := map[string]string{} // ID -> where
	for _, l := range lits {
		if idShape.MatchString(l.text) && spaces[strings.Split(l.text, ".")[0]] {
			used[l.text] = l.file
		}
	}
	for f, src := range srcs {
		for _, m := range codeCalls.FindAllStringSubmatch(src, -1) {
			if m[1] == "api." {
				continue // t('api.' + code): see below
			}
			if !idShape.MatchString(m[1]) {
				t.Errorf("%s: t(%q): not a message ID", f, m[1])
			}
			used[m[1]] = f
		}
	}
	html, _ := assets.ReadFile("assets/index.html")
	for _, m := range dataI18n.FindAllStringSubmatch(string(html), -1) {
		used[m[1]] = "index.html"
	}
	for id, where := range used {
		if _, ok := en.Messages[id]; !ok {
			t.Errorf("%s uses message %s, which the catalogs do not have: add it to internal/consolei18n/locales/active.{en,ko,zh}.json", where, id)
		}
	}
	var codes []string
	for _, id := range slices.Sorted(maps.Keys(en.Messages)) {
		if code, ok := strings.CutPrefix(id, "api."); ok {
			codes = append(codes, code)
			continue
		}
		if _, ok := used[id]; !ok {
			t.Errorf("message %s is in the catalogs but no script or index.html uses it: remove it", id)
		}
	}
	if want := apiCodes(t); !slices.Equal(codes, want) {
		t.Errorf("api.* messages are for codes %v; the API answers with %v: every code needs its api.CODE message, and no other", codes, want)
	}
	if !strings.Contains(srcs["assets/api.js"], "t('api.' + code") {
		t.Error("api.js no longer translates errors by their code: the api.* messages are unused")
	}
}

// The heuristic of TestNoEnglishInPage. A literal reads as English prose
// when it has two words of letters in a row (separated by a space, after
// punctuation or not), or is one capitalized word ("Open", "Inbox"), or
// ends with an ellipsis; or when it has a lowercase word and is given
// straight as the text, title, placeholder or label of an element. Not prose: message IDs, and literals that are
// class names (whatever follows class or className on the line, up to a
// comma). What it cannot see: a single lowercase word handed to el() as a
// child; such words are rare and show up in the Korean and Chinese
// screenshots.
var (
	twoWords    = regexp.MustCompile(`[A-Za-z]{2,}[,.:;!?'’]*\s+[A-Za-z]{2,}`)
	capitalized = regexp.MustCompile(`^\s*[A-Z][a-z]{2,}[.:!?…]?\s*$`)
	textContext = regexp.MustCompile(`(\btext\s*:|textContent\s*=|\btitle\s*[:=]|placeholder\s*:|'aria-label'\s*:)$`)
	classValue  = regexp.MustCompile(`\b(class|className)\b\s*[:=][^,]*$`)
	// Literals that look like prose and are not: an HTTP header's name.
	notProse = []string{"Accept"}
)

// TestNoEnglishInPage looks for English left in the page's scripts and
// index.html instead of in the catalogs (see the heuristic above). In
// index.html, every text between tags is empty but the brand and the
// precedence FLASH, and no element has a title, placeholder or label of
// its own: data-i18n and data-i18n-title fill them.
func TestNoEnglishInPage(t *testing.T) {
	en, _ := consolei18n.Get("en")
	_, lits := consoleScripts(t)
	for _, l := range lits {
		s := strings.ReplaceAll(l.text, "${}", " ")
		if _, isID := en.Messages[l.text]; isID || slices.Contains(notProse, s) || classValue.MatchString(l.before) {
			continue
		}
		prose := twoWords.MatchString(s) || capitalized.MatchString(s) || strings.HasSuffix(s, "…")
		if !prose && textContext.MatchString(l.before) && regexp.MustCompile(`\b[a-z]{2,}\b`).MatchString(s) {
			prose = true
		}
		if prose {
			t.Errorf("%s:%d: %q reads as English: put it in the catalogs and show it with t()", l.file, l.line, l.text)
		}
	}

	html, _ := assets.ReadFile("assets/index.html")
	page := regexp.MustCompile(`(?s)<!--.*?-->`).ReplaceAllString(string(html), "")
	for _, m := range regexp.MustCompile(`>([^<]*)<`).FindAllStringSubmatch(page, -1) {
		if s := strings.TrimSpace(m[1]); s != "" && s != "Hotline" && s != "FLASH" {
			t.Errorf("index.html: text %q: give its element a data-i18n ID instead", s)
		}
	}
	for _, m := range regexp.MustCompile(`\s(title|placeholder|aria-label|alt)="[^"]*"`).FindAllString(page, -1) {
		t.Errorf("index.html: %s: use data-i18n-title, filled from the catalogs", strings.TrimSpace(m))
	}
}

// TestScanJS: the tokenizer finds literals of each kind with what stands
// before them, inside template literals too, and skips comments.
func TestScanJS(t *testing.T) {
	src := "// 'not this'\nel('p', { class: 'a b', text: `x ${t('in.side')} y` }); /* \"nor this\" */ f(\"dq\");\n"
	var got []string
	for _, l := range scanJS("x.js", src) {
		got = append(got, l.text+"|"+l.before)
	}
	want := []string{"p|el(", "a b|el('p', { class:", "in.side|el('p', { class: 'a b', text: `x ${t(",
		"x ${} y|el('p', { class: 'a b', text:", "dq|el('p', { class: 'a b', text: `x ${t('in.side')} y` }); /* \"nor this\" */ f("}
	if !slices.Equal(got, want) {
		t.Errorf("scanJS:\n got %q\nwant %q", got, want)
	}
}
