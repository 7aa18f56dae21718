package notice

import (
	"testing"
	"time"
)

func TestParsePosition(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"37.5N,126.9E", "37.5N,126.9E"},
		{"37.5N 126.9E", "37.5N,126.9E"},
		{" 37.5 N , 126.9 E ", "37.5N,126.9E"},
		{"37.5n,126.9e", "37.5N,126.9E"},
		{`37°30'00"N 126°54'00"E`, "37.5N,126.9E"},
		{`37°30′00″N 126°54′00″E`, "37.5N,126.9E"},
		{`37°30'00''N,126°54'00''E`, "37.5N,126.9E"},
		{`37°30'N 126°54'E`, "37.5N,126.9E"},
		{`37°30.5'N 126°E`, "37.508333N,126E"},
		{`33°51'35.9"S 151°12'40"E`, "33.859972S,151.211111E"},
		{"37.5,126.9", "37.5N,126.9E"},
		{"-33.86, 151.21", "33.86S,151.21E"},
		{"0,0", "0N,0E"},
		{"90N,180W", "90N,180E"},
		{"37.1234567N,126.9E", "37.123457N,126.9E"},
		{"007.50N,126.900E", "7.5N,126.9E"},
	} {
		p, err := ParsePosition(tt.in)
		if err != nil {
			t.Errorf("ParsePosition(%q): %v", tt.in, err)
			continue
		}
		if p.String() != tt.want {
			t.Errorf("ParsePosition(%q) = %s, want %s", tt.in, p, tt.want)
		}
	}
	for _, in := range []string{
		"", "37.5N", "37.5N,", "91N,126E", "37N,181E", "-37.5N,126E", "37.5E,126.9N",
		"37.5,181", "91,0", "37.5", "north,east", `37°60'N 126°E`, `37°30'60"N 126°E`,
		`37.5°30'N 126°E`, `37°30.5'10"N 126°E`, "37..5N,126E", "37.N,126E", "1e3N,126E",
		"37.5N,126.9E,50km", "37.1234567891N,126E", "37.5N,126.9", "NaN,0", "37.5N;126.9E",
	} {
		if p, err := ParsePosition(in); err == nil {
			t.Errorf("ParsePosition(%q) = %s, want an error", in, p)
		}
	}
}

func TestParseArea(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"37.5N,126.9E,50km", "37.5N,126.9E,50km"},
		{"37.5N,126.9E, 50 km", "37.5N,126.9E,50km"},
		{`37°30'00"N 126°54'00"E,12.50nm`, "37.5N,126.9E,12.5nm"},
		{"37.5,126.9,500m", "37.5N,126.9E,500m"},
		{"37N,126E;38N,126E;38N,127E", "37N,126E;38N,126E;38N,127E"},
		{"37N,126E;38N,126E;38N,127E;37N,126E", "37N,126E;38N,126E;38N,127E"},
		{"37N 126E; 38N 126E; 38N 127E;", "37N,126E;38N,126E;38N,127E"},
	} {
		a, err := ParseArea(tt.in)
		if err != nil {
			t.Errorf("ParseArea(%q): %v", tt.in, err)
			continue
		}
		if a.String() != tt.want {
			t.Errorf("ParseArea(%q) = %s, want %s", tt.in, a, tt.want)
		}
	}
	for _, in := range []string{
		"", "37.5N,126.9E", "37.5N,126.9E,50", "37.5N,126.9E,50mi", "37.5N,126.9E,0km", "37.5N,126.9E,-5km",
		"37.5N,126.9E,20000km", "91N,126.9E,5km", "37N,126E;38N,126E", "37N,126E;37N,126E;38N,127E",
		"37N,126E;38N,126E;;38N,127E", "37N,126E;38N,126E;38N,127E;37N,126E;37N,126E", ";;;",
	} {
		if a, err := ParseArea(in); err == nil {
			t.Errorf("ParseArea(%q) = %s, want an error", in, a)
		}
	}
}

func TestParseQuantity(t *testing.T) {
	units := []string{"km", "nm"}
	for _, tt := range []struct {
		in    string
		units []string
		want  string
	}{
		{"120 km", units, "120 km"},
		{"120km", units, "120 km"},
		{"+007.50 nm", units, "7.5 nm"},
		{"-0.0 km", units, "0 km"},
		{"-12.25km", units, "-12.25 km"},
		{"3000", nil, "3000"},
		{".5", nil, ""},
	} {
		q, err := ParseQuantity(tt.in, tt.units)
		if tt.want == "" {
			if err == nil {
				t.Errorf("ParseQuantity(%q) = %s, want an error", tt.in, q)
			}
			continue
		}
		if err != nil || q.String() != tt.want {
			t.Errorf("ParseQuantity(%q) = %s, %v; want %s", tt.in, q, err, tt.want)
		}
	}
	for _, tt := range []struct {
		in    string
		units []string
	}{
		{"", nil}, {"km", units}, {"120", units}, {"120 mi", units}, {"120 KM", units}, {"120 km", nil},
		{"1.2.3", nil}, {"1-2", nil}, {"--1", nil}, {"1.", nil}, {"1e5", nil}, {"1234567890123456", nil},
	} {
		if q, err := ParseQuantity(tt.in, tt.units); err == nil {
			t.Errorf("ParseQuantity(%q, %v) = %s, want an error", tt.in, tt.units, q)
		}
	}
}

func TestParseDateTime(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"2017-03-01T00:00Z", "2017-03-01T00:00:00Z"},
		{"2017-03-01T00:00:30Z", "2017-03-01T00:00:30Z"},
		{"2017-03-01T09:00+09:00", "2017-03-01T00:00:00Z"},
		{"2017-03-01 08:00+08:00", "2017-03-01T00:00:00Z"},
	} {
		d, err := ParseDateTime(tt.in)
		if err != nil || d.Format(DateTimeLayout) != tt.want {
			t.Errorf("ParseDateTime(%q) = %v, %v; want %s", tt.in, d, err, tt.want)
		}
	}
	for _, in := range []string{"", "2017-03-01", "2017-03-01T00:00", "2017-02-30T00:00Z", "2017-03-01T24:00Z",
		"2017-03-01T00:00:00.5Z", "01/03/2017 00:00", "2017-03-01T00:00z9", "yesterday"} {
		if d, err := ParseDateTime(in); err == nil {
			t.Errorf("ParseDateTime(%q) = %v, want an error", in, d)
		}
	}
}

func TestParseDuration(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want time.Duration
		out  string
	}{
		{"90m", 90 * time.Minute, "1h30m"},
		{"1h30m", 90 * time.Minute, "1h30m"},
		{"2d12h", 60 * time.Hour, "2d12h"},
		{"PT90M", 90 * time.Minute, "1h30m"},
		{"P2DT12H", 60 * time.Hour, "2d12h"},
		{"P3D", 72 * time.Hour, "3d"},
		{"45s", 45 * time.Second, "45s"},
	} {
		d, err := ParseDuration(tt.in)
		if err != nil || d != tt.want || FormatDuration(d) != tt.out {
			t.Errorf("ParseDuration(%q) = %v (%s), %v; want %v (%s)", tt.in, d, FormatDuration(d), err, tt.want, tt.out)
		}
	}
	for _, in := range []string{"", "0s", "0d0h", "1.5h", "30m1h", "1h1h", "1H", "P", "PT", "P1M", "PT1D", "P1Y",
		"10y", "h", "-1h", "9999999d", "3661d", "1h 30m"} {
		if d, err := ParseDuration(in); err == nil {
			t.Errorf("ParseDuration(%q) = %v, want an error", in, d)
		}
	}
}

func TestCanonicalText(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"  ROK, US  ", "ROK, US"},
		{"한미 연합 전력\n해군", "한미 연합 전력\n해군"},
	} {
		if got, err := canonicalText(tt.in, 100); err != nil || got != tt.want {
			t.Errorf("canonicalText(%q) = %q, %v", tt.in, got, err)
		}
	}
	for _, in := range []string{"a\x1b[2Jb", "a\rb", "a\u202eb", "\xff", "way too long for ten"} {
		if got, err := canonicalText(in, 10); err == nil {
			t.Errorf("canonicalText(%q) = %q, want an error", in, got)
		}
	}
}
