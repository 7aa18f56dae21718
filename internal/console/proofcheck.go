package console

import (
	"errors"
	"strconv"
	"strings"

	"github.com/hotline-line/hotline/internal/inert"
	"github.com/hotline-line/hotline/internal/transcript"
)

// The proof page shows transcript.Check's result as it is: the verdict on
// each entry and log is the transcript's, never one of the page's own.
type (
	proofEntry = transcript.EntryReport
	proofLog   = transcript.LogAudit
)

// The statuses of an entry and of its body, as transcript.Check gives them.
const (
	proofVerified    = transcript.StatusVerified
	proofUnconfirmed = transcript.StatusUnconfirmed
	proofFailed      = transcript.StatusFailed
	bodyVerified     = transcript.BodyVerified
	bodyMismatch     = transcript.BodyMismatch
)

// inertProblems makes the problems a transcript names safe to show: they
// may quote what the exporter wrote.
func inertProblems(l *proofLog) {
	for i, p := range l.Problems {
		l.Problems[i] = inert.Text(p)
	}
	for i := range l.Entries {
		l.Entries[i].Problem = inert.Text(l.Entries[i].Problem)
	}
}

// failureCode names the kind of a verification error for the page.
func failureCode(err error) string {
	for _, f := range []struct {
		err  error
		code string
	}{
		{transcript.ErrCharter, "charter"}, {transcript.ErrEntry, "entry"}, {transcript.ErrPlacement, "placement"},
		{transcript.ErrBody, "body"}, {transcript.ErrCheckpoint, "checkpoint"}, {transcript.ErrRoot, "root"},
		{transcript.ErrReceipt, "receipt"}, {transcript.ErrRef, "ref"}, {transcript.ErrInclusion, "inclusion"},
	} {
		if errors.Is(err, f.err) {
			return f.code
		}
	}
	return "other"
}

// receiptSize reads the size a checkpoint note claims, without verifying
// it (see trimReceipts).
func receiptSize(raw string) (uint64, bool) {
	lines := strings.SplitN(raw, "\n", 3)
	if len(lines) < 3 {
		return 0, false
	}
	n, err := strconv.ParseUint(lines[1], 10, 64)
	return n, err == nil
}
