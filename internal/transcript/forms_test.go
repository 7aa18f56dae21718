package transcript_test

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/hotline-line/hotline/internal/transcript"
)

// The report of a transcript shows a notice's fields, labelled from the
// charter's template; a field changed after the fact fails verification,
// naming the entry.
func TestReportShowsNoticeFields(t *testing.T) {
	b, err := os.ReadFile("testdata/vectors/transcript-ok.json")
	if err != nil {
		t.Fatal(err)
	}
	rep, err := transcript.Verify(b)
	if err != nil {
		t.Fatal(err)
	}
	var text, js bytes.Buffer
	rep.WriteText(&text)
	if err := rep.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"notice exercise-notice: Notice of a military exercise",
		"Exercise name (name): Foal-Eagle",
		"Area (area): 37.5N,126.9E,50km",
		"Start (UTC) (start): 2017-03-01T00:00:00Z",
		"Live fire (live-fire): Yes",
	} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("the report does not say %q:\n%s", want, text.String())
		}
	}
	if !strings.Contains(js.String(), `"live-fire": "yes"`) {
		t.Errorf("the JSON report lacks the canonical field values:\n%s", js.String())
	}

	b, err = os.ReadFile("testdata/vectors/body-notice-field.json")
	if err != nil {
		t.Fatal(err)
	}
	_, err = transcript.Verify(b)
	if !errors.Is(err, transcript.ErrBody) || !strings.Contains(err.Error(), "seoul-3") {
		t.Fatalf("a changed field: %v, want ErrBody naming seoul-3", err)
	}
	t.Logf("refused: %v", err)
}
