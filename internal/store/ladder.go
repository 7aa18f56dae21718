package store

import (
	"context"
	"encoding/json"
)

// stmtReceiptsCovering reads, for each cosigner in ?3 (a JSON array), the
// cosignatures of author's log that can be the first to cover an entry
// ?4 to ?5: those larger than ?4, up to the first larger than ?5. On the
// cosigs key, however many receipts came later.
const stmtReceiptsCovering = `SELECT c.cosigner, c.size, c.time FROM json_each(?3) j
	CROSS JOIN cosigs c ON c.line = ?1 AND c.author = ?2 AND c.cosigner = j.value AND c.size > ?4
	AND c.size <= COALESCE((SELECT MIN(d.size) FROM cosigs d WHERE d.line = ?1 AND d.author = ?2
		AND d.cosigner = j.value AND d.size > ?5), ?5 + 1)
	ORDER BY c.cosigner, c.size`

// ReceiptsCovering returns the cosignatures by each of cosigners that hold
// the first receipt of one of entries lo to hi of author's log on line,
// smallest first per cosigner, without their notes: the delivery rungs of
// a page of messages in one query. An entry's receipt is the smallest
// returned size above its index.
func (s *Store) ReceiptsCovering(ctx context.Context, line, author string, cosigners []string, lo, hi uint64) ([]Cosig, error) {
	list, _ := json.Marshal(cosigners)
	return s.receipts(ctx, stmtReceiptsCovering, line, author, string(list), lo, hi)
}

// stmtSentCovering reads the sends to each peer in ?2 (a JSON array) that
// carried one of entries ?3 to ?4 of this node's log, on sent_range.
const stmtSentCovering = `SELECT s.rowid, s.peer, s.lo, s.hi, s.time FROM json_each(?2) j
	CROSS JOIN sent s ON s.line = ?1 AND s.peer = j.value AND s.hi >= ?3 AND s.lo <= ?4
	ORDER BY s.rowid`

// SentCovering returns the sends to peers that carried one of entries lo
// to hi of this node's log on line: the sent rungs of a page of messages
// in one query. An entry was first sent at the earliest of those covering
// it.
func (s *Store) SentCovering(ctx context.Context, line string, peers []string, lo, hi uint64) ([]Sent, error) {
	list, _ := json.Marshal(peers)
	return s.sends(ctx, stmtSentCovering, line, string(list), lo, hi)
}
