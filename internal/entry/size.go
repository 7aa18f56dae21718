package entry

import "fmt"

// TooLong is the error for a text of n bytes, over MaxTextSize: both
// sizes in the units a person reads ("message text is 2.0 MiB, limit 64
// KiB"), the exact count beside them.
func TooLong(what string, n int64) error {
	return fmt.Errorf("%s is %s (%d bytes), limit %s: shorten it, or split it into several messages", what, Size(n), n, Size(MaxTextSize))
}

// Size is n bytes in the largest binary unit that keeps it at 1 or more:
// "512 bytes", "64 KiB", "2.0 MiB".
func Size(n int64) string {
	switch {
	case n < 1<<10:
		return fmt.Sprintf("%d bytes", n)
	case n < 1<<20:
		return trim(float64(n)/(1<<10)) + " KiB"
	}
	return trim(float64(n)/(1<<20)) + " MiB"
}

// trim writes whole numbers without a decimal (64 KiB) and others with
// one (1.5 KiB).
func trim(f float64) string {
	if f == float64(int64(f)) && f < 1024 {
		return fmt.Sprintf("%d", int64(f))
	}
	return fmt.Sprintf("%.1f", f)
}
