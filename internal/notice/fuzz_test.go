package notice

import (
	"encoding/json"
	"testing"
)

// Each parser: whatever it accepts, it writes in a form it accepts again
// and writes the same way. That is what makes a value mean one thing.

func FuzzParsePosition(f *testing.F) {
	for _, s := range []string{"37.5N,126.9E", `37°30'00"N 126°54'00"E`, "-33.86,151.21", "90N,180W", `37°30.5'N 126°E`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePosition(s)
		if err != nil {
			return
		}
		if p.Lat > maxLat || p.Lat < -maxLat || p.Lon > maxLon || p.Lon <= -maxLon {
			t.Fatalf("ParsePosition(%q) = %+v: out of range", s, p)
		}
		q, err := ParsePosition(p.String())
		if err != nil || q != p {
			t.Fatalf("ParsePosition(%q) = %s, read back as %s, %v", s, p, q, err)
		}
	})
}

func FuzzParseArea(f *testing.F) {
	for _, s := range []string{"37.5N,126.9E,50km", "37N,126E;38N,126E;38N,127E", "37.5,126.9,500m"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParseArea(s)
		if err != nil {
			return
		}
		b, err := ParseArea(a.String())
		if err != nil || b.String() != a.String() {
			t.Fatalf("ParseArea(%q) = %s, read back as %s, %v", s, a, b, err)
		}
	})
}

// FuzzFieldParse runs every field of the starter set over one input.
func FuzzFieldParse(f *testing.F) {
	for _, s := range []string{"2017-03-01T00:00Z", "1h30m", "P2DT12H", "120 km", "yes", "예", "-0.0", "ROK, US\n"} {
		f.Add(s)
	}
	set := Starter()
	f.Fuzz(func(t *testing.T, s string) {
		for _, tm := range set {
			for _, fd := range tm.Fields {
				c, err := fd.Parse(s)
				if err != nil {
					continue
				}
				again, err := fd.Parse(c)
				if err != nil || again != c {
					t.Fatalf("%s.%s: Parse(%q) = %q, read back as %q, %v", tm.ID, fd.Name, s, c, again, err)
				}
			}
		}
	})
}

// FuzzParseSet: a template set that parses encodes to JSON that parses to
// the same set, so a charter carrying it has one canonical form.
func FuzzParseSet(f *testing.F) {
	b, _ := json.Marshal(Starter()[:2])
	f.Add(b)
	f.Add([]byte(`[{"id":"x","labels":{"en":"X"},"fields":[{"name":"a","type":"text","labels":{"en":"A"}}]}]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := ParseSet(b)
		if err != nil {
			return
		}
		enc, _ := json.Marshal(s)
		s2, err := ParseSet(enc)
		if err != nil {
			t.Fatalf("a parsed set does not parse once encoded: %v", err)
		}
		if enc2, _ := json.Marshal(s2); string(enc2) != string(enc) {
			t.Fatalf("encodings differ:\n%s\n%s", enc, enc2)
		}
	})
}
