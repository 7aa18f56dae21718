package seal_test

import (
	"crypto/hpke"
	"testing"
	"time"

	"github.com/hotline-line/hotline/internal/seal"
)

// The per-message cost of sealing a 200-byte body to one recipient and of
// opening it, in version 1 (an HPKE encapsulation per message) and in
// version 2 (one per epoch of 1000 messages; an open finds the epoch's
// secret remembered), and the envelope's mean size with one recipient.
// Run: go test -run XXX -bench . ./internal/seal
var benchBody = make([]byte, 200)

func BenchmarkSealV1(b *testing.B) {
	k := keys(b, "beijing")
	to := map[string]hpke.PublicKey{"beijing": pub(b, k)}
	info := seal.Info(line, "seoul")
	for b.Loop() {
		if _, err := seal.Seal(to, info, salt(1), benchBody); err != nil {
			b.Fatal(err)
		}
	}
	e, _ := seal.Seal(to, info, salt(1), benchBody)
	b.ReportMetric(float64(len(e.Marshal())), "envelope-B")
}

func BenchmarkOpenV1(b *testing.B) {
	k := keys(b, "beijing")
	e, commit := sealed(b, seal.Info(line, "seoul"), salt(1), benchBody, k)
	info := seal.Info(line, "seoul")
	for b.Loop() {
		if _, _, err := e.OpenFor("beijing", k.HPKEPrivateKey(), info, commit); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSealV2(b *testing.B) {
	k := keys(b, "beijing")
	l := newAuthorLog(b, seal.Policy{Messages: 1000, Time: time.Hour}, k)
	at := l.slot(t0)
	at.Held = func(uint64) []byte { return at.LeafHash } // every carrier stays in the log
	for b.Loop() {
		if _, err := l.s.Seal(l.to, l.policy, at, salt(1), benchBody); err != nil {
			b.Fatal(err)
		}
		at.Index++ // an epoch of 1000 messages, then a new one
	}
	// The mean size over one whole epoch.
	s, size := seal.Sender{Line: line, Author: "seoul"}, 0
	for i := range l.policy.Messages {
		at.Index = uint64(i + 1)
		e, _ := s.Seal(l.to, l.policy, at, salt(1), benchBody)
		size += len(e.Marshal())
	}
	b.ReportMetric(float64(size)/float64(l.policy.Messages), "envelope-B")
}

func BenchmarkOpenV2(b *testing.B) {
	k := keys(b, "beijing")
	l := newAuthorLog(b, seal.Policy{Messages: 1000, Time: time.Hour}, k)
	l.send(t0, "opens the epoch")
	l.send(t0, string(benchBody))
	env, _ := seal.Parse(l.envs[2])
	at := l.place(2)
	var cache seal.Epochs
	for b.Loop() {
		if _, _, err := env.OpenAt("beijing", k.HPKEPrivateKey(), &cache, at); err != nil {
			b.Fatal(err)
		}
	}
}
