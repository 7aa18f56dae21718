// Package consolei18n holds the web console's message catalogs, in
// English, Korean and Chinese, and picks the language an officer reads.
//
// # Catalogs
//
// One go-i18n message file per language, locales/active.LANG.json,
// embedded in the binary. A message ID names where the string is used
// (login.title, nav.inbox); a message is a Go template whose only actions
// are variables ({{.Name}}), so that the page can fill them in the same
// way; a message that counts has "one" and "other" forms, chosen by the
// page with the CLDR plural rules of its language (Korean and Chinese have
// only "other"). Message IDs api.CODE translate the console API's error
// codes, so an officer reads an error in its own language.
//
// Every language has the same IDs with the same variables: the tests hold
// the files to that, and to the IDs the page's scripts use.
//
// # Choosing a language
//
// An officer reads the console in its own language when it has chosen one
// (officer.Store.SetLang), else in the party's default: the first of the
// party's languages the console speaks ([Default]), else English.
package consolei18n

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
	"sync"

	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
)

//go:embed locales/active.*.json
var files embed.FS

// Fallback is the language of the console when nothing else matches.
const Fallback = "en"

// Message is one message of a catalog as the page takes it: a string, or
// the plural forms of a message that counts ("one", "other").
type Message any

// Catalog is the messages of one language.
type Catalog struct {
	Lang     string             `json:"lang"`
	Messages map[string]Message `json:"messages"`
}

// catalogSet is the parsed message files.
type catalogSet struct {
	bundle   *i18n.Bundle
	catalogs map[string]*Catalog
	langs    []string // the base tags of the catalogs, sorted
	matcher  language.Matcher
}

// loaded parses the embedded message files the first time something asks
// for a catalog or a language, not when the program starts: every hotline
// command links this package, and parsing them at start took about a
// quarter of the CPU of a command that never serves the console (each
// "hotline send" or "status" process).
var loaded = sync.OnceValue(func() *catalogSet {
	cs, err := load()
	if err != nil {
		panic("consolei18n: " + err.Error())
	}
	return cs
})

// load parses the embedded message files.
func load() (*catalogSet, error) {
	cs := &catalogSet{bundle: i18n.NewBundle(language.English), catalogs: map[string]*Catalog{}}
	names, err := fs.Glob(files, "locales/active.*.json")
	if err != nil {
		return nil, err
	}
	for _, name := range names {
		buf, err := files.ReadFile(name)
		if err != nil {
			return nil, err
		}
		mf, err := cs.bundle.ParseMessageFileBytes(buf, path.Base(name))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		c := &Catalog{Lang: mf.Tag.String(), Messages: map[string]Message{}}
		for _, m := range mf.Messages {
			c.Messages[m.ID] = page(m)
		}
		cs.catalogs[c.Lang] = c
		cs.langs = append(cs.langs, c.Lang)
	}
	slices.Sort(cs.langs)
	// The fallback first: the matcher answers with it when nothing fits.
	tags := []language.Tag{language.English}
	for _, l := range cs.langs {
		if l != Fallback {
			tags = append(tags, language.Make(l))
		}
	}
	cs.matcher = language.NewMatcher(tags)
	return cs, nil
}

// page is a message in the shape the page takes: its one form as a
// string, or its plural forms.
func page(m *i18n.Message) Message {
	if m.One == "" && m.Zero == "" && m.Two == "" && m.Few == "" && m.Many == "" {
		return m.Other
	}
	forms := map[string]string{"other": m.Other}
	for k, v := range map[string]string{"zero": m.Zero, "one": m.One, "two": m.Two, "few": m.Few, "many": m.Many} {
		if v != "" {
			forms[k] = v
		}
	}
	return forms
}

// Langs lists the languages the console speaks, as base tags (en, ko, zh).
func Langs() []string { return slices.Clone(loaded().langs) }

// Match returns the console's language for a language tag (zh-Hans-CN
// reads zh, ko-KR reads ko), and false when the console does not speak it.
func Match(tag string) (string, bool) {
	t, err := language.Parse(strings.TrimSpace(tag))
	if err != nil {
		return "", false
	}
	_, i, conf := loaded().matcher.Match(t)
	if conf < language.High {
		// Low would give English for anything at all.
		return "", false
	}
	return supported(i), true
}

// supported is the i-th language given to the matcher.
func supported(i int) string {
	if i == 0 {
		return Fallback
	}
	n := 0
	for _, l := range loaded().langs {
		if l == Fallback {
			continue
		}
		n++
		if n == i {
			return l
		}
	}
	return Fallback
}

// Default is the party's default language for the console: the first of
// its languages (in the order of its card) that the console speaks, else
// English.
func Default(partyLangs []string) string {
	for _, l := range partyLangs {
		if m, ok := Match(l); ok {
			return m
		}
	}
	return Fallback
}

// For is the language an officer reads: its own choice, when the console
// speaks it, else the party's default.
func For(officerLang string, partyLangs []string) string {
	if m, ok := Match(officerLang); ok {
		return m
	}
	return Default(partyLangs)
}

// Get returns the catalog of lang, one of [Langs].
func Get(lang string) (*Catalog, bool) {
	c, ok := loaded().catalogs[lang]
	return c, ok
}
