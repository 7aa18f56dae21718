package entry_test

import (
	"strings"
	"testing"

	"github.com/hotline-line/hotline/internal/entry"
)

func TestMessageForm(t *testing.T) {
	// A body from before forms existed still decodes, without one.
	m, err := entry.DecodeMessage([]byte(`{"lang":"ko","text":"안녕하십니까"}`))
	if err != nil || m.Form != nil {
		t.Fatalf("old body: %+v, %v", m, err)
	}
	// A notice needs no prose.
	m, err = entry.DecodeMessage([]byte(`{"lang":"ko","text":"","form":{"template":"exercise-notice","fields":{"live-fire":"yes","name":"Foal-Eagle"}}}`))
	if err != nil || m.Form == nil || m.Form.Fields["name"] != "Foal-Eagle" {
		t.Fatalf("form body: %+v, %v", m, err)
	}
	for _, body := range []string{
		`{"lang":"ko","text":"","form":null}`,
		`{"lang":"ko","text":"","form":{"template":"Exercise Notice","fields":{"a":"b"}}}`,
		`{"lang":"ko","text":"","form":{"template":"x","fields":{}}}`,
		`{"lang":"ko","text":"","form":{"template":"x"}}`,
		`{"lang":"ko","text":"","form":{"template":"x","fields":{"A":"b"}}}`,
		`{"lang":"ko","text":"","form":{"template":"x","fields":{"a":""}}}`,
		`{"lang":"ko","text":"","form":{"template":"x","fields":{"a":"` + strings.Repeat("v", entry.MaxFormValue+1) + `"}}}`,
		`{"lang":"ko","text":"","form":{"template":"x","fields":{"a":"b"},"labels":{"a":"B"}}}`,
	} {
		if m, err := entry.DecodeMessage([]byte(body)); err == nil {
			t.Errorf("DecodeMessage(%.80s) accepted %+v", body, m)
		}
	}
}
