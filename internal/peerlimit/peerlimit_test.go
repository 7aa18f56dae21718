package peerlimit_test

import (
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/hotline-line/hotline/internal/nodetest"
	"github.com/hotline-line/hotline/internal/peerlimit"
)

// TestCount: without TLS a listener bounds only the count; connections
// over it are closed at once, and a closed one frees its slot.
func TestCount(t *testing.T) {
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := peerlimit.Listen(inner, nil, peerlimit.Config{MaxConns: 2})
	defer l.Close()
	srv := &http.Server{Handler: http.NotFoundHandler(), ConnState: l.ConnState, ReadHeaderTimeout: time.Second}
	go srv.Serve(l)
	defer srv.Close()
	dial := func() net.Conn {
		c, err := net.Dial("tcp", inner.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	a, _ := dial(), dial()
	nodetest.Wait(t, 5*time.Second, "two connections counted", func() bool { return l.Stats().Open == 2 })
	over := dial()
	over.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := over.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("a third connection was not closed at once: %v", err)
	}
	a.Close()
	nodetest.Wait(t, 5*time.Second, "the closed connection freed", func() bool { return l.Stats().Open == 1 })
	if st := l.Stats(); st.Refused != 1 {
		t.Fatalf("stats: %+v", st)
	}
}

func TestRequests(t *testing.T) {
	r := peerlimit.NewRequests(2)
	d1, ok1 := r.Begin("a")
	_, ok2 := r.Begin("a")
	_, ok3 := r.Begin("a")
	_, okb := r.Begin("b")
	if !ok1 || !ok2 || ok3 || !okb {
		t.Fatalf("begin: %v %v %v %v", ok1, ok2, ok3, okb)
	}
	d1()
	d1() // a second call changes nothing
	if _, ok := r.Begin("a"); !ok {
		t.Fatal("a slot freed by done was not given again")
	}
	if _, ok := r.Begin("a"); ok {
		t.Fatal("done twice freed two slots")
	}
}
