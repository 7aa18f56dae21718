package main

import (
	"io"
	"os"
	"strings"
	"testing"
)

// TestSendSaysTheRealSize: a text on standard input beyond the limit is
// refused with its real size, not the limit plus one.
func TestSendSaysTheRealSize(t *testing.T) {
	seoul, _ := pairCLI(t)
	f, err := os.CreateTemp(t.TempDir(), "text")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(strings.Repeat("x", 1<<20)); err != nil {
		t.Fatal(err)
	}
	f.Seek(0, io.SeekStart)
	old := os.Stdin
	os.Stdin = f
	defer func() { os.Stdin = old; f.Close() }()
	code, _, stderr := hotlineOut(t, "send", "--dir", seoul, "-")
	if code == 0 || !strings.Contains(stderr, "message text is 1 MiB (1048576 bytes), limit 64 KiB") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
}
