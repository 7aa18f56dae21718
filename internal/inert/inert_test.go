package inert

import "testing"

func TestText(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"plain 안녕 你好\nnext\tline", "plain 안녕 你好\nnext\tline"},
		{"\x1b[31mred\x1b[0m", "<U+001B>[31mred<U+001B>[0m"},
		{"abc\u202Etxt.exe", "abc<U+202E>txt.exe"},
		{"zero\u200Bwidth", "zero<U+200B>width"},
		{"bell\a", "bell<U+0007>"},
		{"c1\u009b2J", "c1<U+009B>2J"},
		{"bom\uFEFF", "bom<U+FEFF>"},
	} {
		if got := Text(c.in); got != c.want {
			t.Errorf("Text(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func FuzzText(f *testing.F) {
	f.Add("\x1b]0;title\a")
	f.Add("\u202Eabc")
	f.Fuzz(func(t *testing.T, s string) {
		for _, r := range Text(s) {
			if Hidden(r) {
				t.Fatalf("Text(%q) still holds %U", s, r)
			}
		}
	})
}
