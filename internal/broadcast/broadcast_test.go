package broadcast

import "testing"

// TestFireWakesEveryWaiterOnce: a Fire closes the channel every waiter
// took before it, and only those: a channel taken after it stays open
// until the next Fire.
func TestFireWakesEveryWaiterOnce(t *testing.T) {
	var s Signal
	s.Fire() // nobody waits: nothing to close
	a, b := s.Wait(), s.Wait()
	s.Fire()
	for i, ch := range []<-chan struct{}{a, b} {
		select {
		case <-ch:
		default:
			t.Fatalf("waiter %d not woken", i)
		}
	}
	c := s.Wait()
	select {
	case <-c:
		t.Fatal("a channel taken after the Fire is already closed")
	default:
	}
	s.Fire()
	<-c
}
