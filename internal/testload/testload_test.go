package testload

import (
	"testing"
	"time"
)

func TestFromLoad(t *testing.T) {
	for _, tc := range []struct {
		loadavg string
		cores   int
		want    float64
	}{
		{"0.50 0.40 0.30 1/100 42\n", 2, 1},
		{"6.00 1.00 1.00 9/136 7805\n", 2, 3},
		{"300.00 250.00 60.00 9/136 7805\n", 2, MaxFactor},
		{"", 2, 1},
		{"nonsense", 2, 1},
		{"8.0 1 1", 0, 1},
	} {
		if got := fromLoad(tc.loadavg, tc.cores); got != tc.want {
			t.Errorf("fromLoad(%q, %d) = %v, want %v", tc.loadavg, tc.cores, got, tc.want)
		}
	}
}

func TestEnvOverrides(t *testing.T) {
	t.Setenv(Env, "4")
	if got := Scale(30 * time.Second); got != 2*time.Minute {
		t.Errorf("Scale(30s) with %s=4 = %v, want 2m", Env, got)
	}
	for _, bad := range []string{"0.5", "fast", "-2", "1e9"} {
		if _, err := parseFactor(bad); err == nil {
			t.Errorf("%s=%q accepted", Env, bad)
		}
	}
	t.Setenv(Env, "slow")
	defer func() {
		if recover() == nil {
			t.Error("Factor with an unreadable factor did not panic")
		}
	}()
	Factor()
}

func TestNeverShrinks(t *testing.T) {
	if got := Scale(time.Second); got < time.Second {
		t.Errorf("Scale(1s) = %v: a wait is never shortened", got)
	}
}
