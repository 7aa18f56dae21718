package officer

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/hotline-line/hotline/internal/testclock"
)

func TestDrafts(t *testing.T) {
	ctx := context.Background()
	s := open(t, testclock.New(time.Date(2026, 5, 1, 3, 0, 0, 0, time.UTC)))
	for name, role := range map[string]Role{"Kim": Drafter, "Park": Releaser, "Lee": Admin} {
		if err := s.Add(ctx, name, role, "a long enough password"); err != nil {
			t.Fatal(err)
		}
	}
	d, err := s.AddDraft(ctx, Draft{Line: "L", Precedence: "FLASH", Lang: "ko", Text: "launch detected", Drafter: "Kim"})
	if err != nil || d.ID == 0 || d.State != DraftPending || d.Drafter != "Kim" || d.Created.IsZero() {
		t.Fatalf("AddDraft = %+v, %v", d, err)
	}
	if _, err := s.AddDraft(ctx, Draft{Line: "L", Precedence: "FLASH", Lang: "ko", Text: "x", Drafter: "Nobody"}); !errors.Is(err, ErrNoOfficer) {
		t.Errorf("draft by an unknown officer: %v", err)
	}
	if _, err := s.Draft(ctx, "other line", d.ID); !errors.Is(err, ErrNoDraft) {
		t.Errorf("draft of another line: %v", err)
	}

	// Its drafter cannot release it.
	if _, err := s.ClaimRelease(ctx, "L", d.ID, "Kim"); !errors.Is(err, ErrOwnDraft) {
		t.Fatalf("drafter's own release: %v", err)
	}
	// Of many releasers clicking at once, exactly one claims it.
	var wg sync.WaitGroup
	wins := make(chan string, 20)
	for i := range 20 {
		wg.Go(func() {
			who := []string{"Park", "Lee"}[i%2]
			if _, err := s.ClaimRelease(ctx, "L", d.ID, who); err == nil {
				wins <- who
			} else if !errors.Is(err, ErrDecided) {
				t.Errorf("claim: %v", err)
			}
		})
	}
	wg.Wait()
	close(wins)
	var winners []string
	for w := range wins {
		winners = append(winners, w)
	}
	if len(winners) != 1 {
		t.Fatalf("%d claims succeeded (%v), want exactly 1", len(winners), winners)
	}
	if _, err := s.Reject(ctx, "L", d.ID, "Park", "no"); !errors.Is(err, ErrDecided) {
		t.Fatalf("rejecting a draft being released: %v", err)
	}
	// A failed send puts it back; a second claim and a finish release it.
	if err := s.AbandonRelease(ctx, d.ID); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Draft(ctx, "L", d.ID); got.State != DraftPending || got.DecidedBy != "" {
		t.Fatalf("after abandon: %+v", got)
	}
	if _, err := s.ClaimRelease(ctx, "L", d.ID, "Park"); err != nil {
		t.Fatal(err)
	}
	if err := s.FinishRelease(ctx, d.ID, "seoul-7"); err != nil {
		t.Fatal(err)
	}
	if err := s.FinishRelease(ctx, d.ID, "seoul-8"); !errors.Is(err, ErrDecided) {
		t.Fatalf("finishing twice: %v", err)
	}
	got, _ := s.Draft(ctx, "L", d.ID)
	if got.State != DraftReleased || got.DecidedBy != "Park" || got.Message != "seoul-7" || got.DecidedAt.IsZero() {
		t.Fatalf("released draft: %+v", got)
	}
	if _, err := s.ClaimRelease(ctx, "L", d.ID, "Lee"); !errors.Is(err, ErrDecided) {
		t.Fatalf("releasing a released draft: %v", err)
	}

	// Rejection needs a reason; the drafter may withdraw (reject) its own.
	d2, _ := s.AddDraft(ctx, Draft{Line: "L", Precedence: "IMMEDIATE", Lang: "ko", Text: "second", Drafter: "Lee"})
	if _, err := s.Reject(ctx, "L", d2.ID, "Park", ""); err == nil {
		t.Fatal("rejected without a reason")
	}
	if r, err := s.Reject(ctx, "L", d2.ID, "Lee", "sent by phone instead"); err != nil || r.State != DraftRejected || r.Reason != "sent by phone instead" {
		t.Fatalf("Reject = %+v, %v", r, err)
	}

	// Listing: by state, by drafter, newest first.
	d3, _ := s.AddDraft(ctx, Draft{Line: "L", Precedence: "FLASH", Lang: "ko", Text: "third", Drafter: "Kim"})
	pending, err := s.Drafts(ctx, DraftQuery{Line: "L", State: DraftPending})
	if err != nil || len(pending) != 1 || pending[0].ID != d3.ID {
		t.Fatalf("pending = %+v, %v", pending, err)
	}
	kims, _ := s.Drafts(ctx, DraftQuery{Line: "L", Drafter: "Kim"})
	if len(kims) != 2 || kims[0].ID != d3.ID || kims[1].ID != d.ID {
		t.Fatalf("Kim's drafts = %+v", kims)
	}
	if none, _ := s.Drafts(ctx, DraftQuery{Line: "M"}); len(none) != 0 {
		t.Fatalf("drafts of another line: %+v", none)
	}

	// A claim left behind (a crash between claim and finish) is listed.
	if _, err := s.ClaimRelease(ctx, "L", d3.ID, "Park"); err != nil {
		t.Fatal(err)
	}
	if left, err := s.Releasing(ctx); err != nil || len(left) != 1 || left[0].ID != d3.ID {
		t.Fatalf("Releasing = %+v, %v", left, err)
	}
}
