package console

import (
	"net/http"
	"strings"
	"testing"

	"github.com/hotline-line/hotline/internal/officer"
)

// TestLoginPageNamesParty: before anyone logs in, the console says whose
// it is (the party's slug and its organization's name, from its card)
// and the titles of its lines, in the party's default language, and
// nothing more.
func TestLoginPageNamesParty(t *testing.T) {
	f := newFixture(t, nil)
	code, v := f.do(t, f.request(t, "GET", "/api/party", nil, "", nil))
	if code != http.StatusOK {
		t.Fatalf("GET /api/party: %d %v", code, v)
	}
	if v["party"] != "beijing" || v["name"] != f.beijing.Cfg.Name || v["lang"] != "zh" {
		t.Errorf("party = %v, want beijing, %q, in zh (its first language)", v, f.beijing.Cfg.Name)
	}
	lines, _ := v["lines"].([]any)
	if len(lines) != 1 || lines[0].(map[string]any)["title"] == "" {
		t.Errorf("lines = %v, want the one line's title", v["lines"])
	}
	for k := range v {
		if k != "party" && k != "name" && k != "lang" && k != "langs" && k != "lines" {
			t.Errorf("the public heading says %s: only the party, its name, languages and line titles", k)
		}
	}
	for k := range lines[0].(map[string]any) {
		if k != "title" && k != "name" {
			t.Errorf("the public heading names a line's %s: only its name and title", k)
		}
	}
}

// TestCatalogRoute: the catalog is the party's default before login, the
// officer's own after it, and any language the console speaks on request.
func TestCatalogRoute(t *testing.T) {
	f := newFixture(t, nil)
	catalog := func(l *login, query string) map[string]any {
		t.Helper()
		code, v := f.do(t, f.request(t, "GET", "/api/catalog"+query, l, "", nil))
		if code != http.StatusOK {
			t.Fatalf("GET /api/catalog%s: %d %v", query, code, v)
		}
		return v
	}
	title := func(v map[string]any) string { return v["messages"].(map[string]any)["login.title"].(string) }
	if v := catalog(nil, ""); v["lang"] != "zh" || title(v) != "热线控制台" {
		t.Errorf("before login: %v %q, want Beijing's zh", v["lang"], title(v))
	}
	if v := catalog(nil, "?lang=ko-KR"); v["lang"] != "ko" {
		t.Errorf("?lang=ko-KR: %v, want ko", v["lang"])
	}
	if v := catalog(nil, "?lang=xx"); v["lang"] != "zh" {
		t.Errorf("?lang=xx: %v, want the party's default", v["lang"])
	}

	l := f.session(t, "Wang Lei", officer.Watch)
	if code, v := f.do(t, f.request(t, "GET", "/api/me", &l, "", nil)); code != 200 || v["lang"] != "zh" || v["own_lang"] != "" {
		t.Errorf("me before a choice: %d %v, want lang zh, own_lang empty", code, v)
	}
	code, v := f.do(t, f.request(t, "POST", "/api/me/lang", &l, l.csrf, map[string]string{"lang": "en"}))
	if code != 200 || v["lang"] != "en" {
		t.Fatalf("POST /api/me/lang en: %d %v", code, v["lang"])
	}
	if v := catalog(&l, ""); v["lang"] != "en" || title(v) != "Hotline console" {
		t.Errorf("after choosing en: %v %q", v["lang"], title(v))
	}
	if code, v := f.do(t, f.request(t, "GET", "/api/me", &l, "", nil)); code != 200 || v["lang"] != "en" || v["own_lang"] != "en" {
		t.Errorf("me after choosing en: %d %v", code, v)
	}
	code, v = f.do(t, f.request(t, "POST", "/api/me/lang", &l, l.csrf, map[string]string{"lang": "fr"}))
	if code != http.StatusBadRequest || v["code"] != "bad_lang" || !strings.Contains(v["error"].(string), "en, ko and zh") {
		t.Errorf("POST /api/me/lang fr: %d %v, want 400 bad_lang", code, v)
	}
	// Back to the party's default.
	if code, v = f.do(t, f.request(t, "POST", "/api/me/lang", &l, l.csrf, map[string]string{"lang": ""})); code != 200 || v["lang"] != "zh" {
		t.Errorf("POST /api/me/lang \"\": %d %v, want the party's zh", code, v["lang"])
	}
}
