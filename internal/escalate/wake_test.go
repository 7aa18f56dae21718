package escalate

import (
	"context"
	"database/sql"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// fakeSource is a source whose alerts the test sets, which records when
// each evaluation began and takes cost (on the bubble's clock) to answer.
type fakeSource struct {
	mu     sync.Mutex
	alerts []Alert
	began  []time.Time
	cost   time.Duration
}

func (s *fakeSource) set(a ...Alert) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.alerts = a
}

func (s *fakeSource) evaluations() []time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.began)
}

func (s *fakeSource) source(context.Context, time.Time) ([]Alert, error) {
	s.mu.Lock()
	s.began = append(s.began, time.Now())
	a := slices.Clone(s.alerts)
	s.mu.Unlock()
	time.Sleep(s.cost)
	return a, nil
}

// runBubble runs an engine on src with the console alarm alone, inside the
// test's synctest bubble, and waits for the evaluation Run makes as it
// starts. The engine stops when the test ends.
func runBubble(t *testing.T, src *fakeSource) *Engine {
	t.Helper()
	e, err := New(&Config{Steps: []Step{{Name: "duty", Console: true}}}, src.source, Options{Every: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		e.Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
		e.Close()
	})
	synctest.Wait()
	return e
}

// TestWakeOpensAlarmAtOnce: an urgent arrival opens its alarm when it is
// woken, however soon after the last evaluation, without waiting out a
// gap (the engine used to evaluate at most every 250 ms).
func TestWakeOpensAlarmAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := &fakeSource{}
		e := runBubble(t, src)
		start := time.Now()
		var want []Alert
		for _, id := range []string{"beijing-1", "beijing-2", "beijing-3"} {
			want = append(want, owedAlert(id))
			src.set(want...)
			e.Wake()
			synctest.Wait()
			if got := len(e.Active()); got != len(want) {
				t.Fatalf("after the wake for %s: %d alarms open, want %d", id, got, len(want))
			}
		}
		if d := time.Since(start); d != 0 {
			t.Fatalf("the alarms took %v to open", d)
		}
	})
}

// TestWakeFloodBounded: woken again and again, the engine spends at most
// one part in wakeShare of its time evaluating: after an evaluation that
// took 10 ms, the next wake waits 40 ms.
func TestWakeFloodBounded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := &fakeSource{cost: 10 * time.Millisecond}
		e := runBubble(t, src)
		time.Sleep(src.cost) // the first evaluation ends
		synctest.Wait()
		e.Wake()
		time.Sleep(39 * time.Millisecond)
		synctest.Wait()
		if n := len(src.evaluations()); n != 1 {
			t.Fatalf("%d evaluations 39 ms after the first ended, want 1", n)
		}
		time.Sleep(time.Millisecond)
		synctest.Wait()
		ev := src.evaluations()
		if len(ev) != 2 || ev[1].Sub(ev[0]) != 50*time.Millisecond {
			t.Fatalf("evaluations began at %v, want two 50 ms apart", ev)
		}
	})
}

// TestAlarmShowsBeforeSave: an alarm shows (Changed, Active) as soon as it
// opens, while its state is still on its way to the disk; the state
// reaches the disk all the same. Another connection holds the state
// database's write lock meanwhile: had the engine held the alarm back
// until the save, the save would have outwaited the busy timeout and
// failed, and the alert would be missing from the file.
func TestAlarmShowsBeforeSave(t *testing.T) {
	dir := t.TempDir()
	src := &fakeSource{}
	e, err := New(&Config{Steps: []Step{{Name: "duty", Console: true}}}, src.source, Options{StateDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	db, err := sql.Open("sqlite", filepath.Join(dir, StateFile))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	lock, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lock.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}

	src.set(owedAlert("beijing-1"))
	changed := e.Changed()
	ticked := make(chan error, 1)
	go func() { ticked <- e.Tick(ctx) }()
	select {
	case <-changed:
	case err := <-ticked:
		t.Fatalf("the evaluation ended (%v) before the alarm showed", err)
	}
	if act := e.Active(); len(act) != 1 {
		t.Fatalf("%d alarms open, want 1", len(act))
	}
	select {
	case err := <-ticked:
		t.Fatalf("the evaluation ended (%v) while the state database was locked", err)
	default:
	}
	if _, err := lock.ExecContext(ctx, "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	lock.Close()
	if err := <-ticked; err != nil {
		t.Fatal(err)
	}
	states, err := loadStates(db)
	if err != nil || len(states) != 1 {
		t.Fatalf("the state database holds %d alerts (%v), want 1", len(states), err)
	}
}
