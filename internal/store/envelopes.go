package store

// migrateEnvelopes moves each entry's envelope (the sealed body, about
// 1.7 KB of a 2.2 KB row) to a table of its own.
//
// entries is a WITHOUT ROWID table: SQLite keeps at most about 1,000 bytes
// of such a row on its b-tree page and the rest on overflow pages, and the
// envelope came before kind, time, ref and the other columns every key
// lookup reads. So the escalation engine's reads, the ladders and each
// EntryTime or HasMark of the writer read an overflow page per row (about
// 13 reads per message in a profile of PendingMarks). Without it a row
// is about 500 bytes and stays on its page; its small columns come first
// and the leaf and the body last, so a long body overflows without
// costing the lookups either. The envelope is read only with the whole
// entry (segments for a peer, views), by the rowid of envelopes, a table
// whose rows of 1.7 KB fit on a page.
//
// Existing rows keep their order: envelope i of the old table, by key, is
// row i of envelopes.
const migrateEnvelopes = `
	CREATE TABLE envelopes (id INTEGER PRIMARY KEY, envelope BLOB NOT NULL);
	CREATE TABLE entries_apart (
		line TEXT NOT NULL,
		author TEXT NOT NULL,
		idx INTEGER NOT NULL,
		kind TEXT NOT NULL,
		time INTEGER NOT NULL,       -- author's clock, ms
		precedence TEXT NOT NULL DEFAULT '',
		ref TEXT NOT NULL DEFAULT '',      -- reply_to of a message; message of a mark
		officer TEXT NOT NULL DEFAULT '',
		received INTEGER NOT NULL,   -- this node's clock, ms
		body_error TEXT NOT NULL DEFAULT '',
		env INTEGER NOT NULL,        -- envelopes.id
		salt BLOB,                   -- set when this node can read the body
		leaf BLOB NOT NULL,
		body BLOB,
		PRIMARY KEY (line, author, idx)
	) WITHOUT ROWID;
	INSERT INTO envelopes (id, envelope)
		SELECT row_number() OVER (ORDER BY line, author, idx), envelope FROM entries ORDER BY line, author, idx;
	INSERT INTO entries_apart (line, author, idx, kind, time, precedence, ref, officer, received, body_error, env, salt, leaf, body)
		SELECT line, author, idx, kind, time, precedence, ref, officer, received, body_error,
			row_number() OVER (ORDER BY line, author, idx), salt, leaf, body FROM entries ORDER BY line, author, idx;
	DROP TABLE entries;
	ALTER TABLE entries_apart RENAME TO entries;
	CREATE INDEX entries_ref ON entries (line, ref) WHERE ref != '';
	CREATE INDEX entries_kind ON entries (line, kind, received);
	CREATE INDEX entries_rollcall ON entries (line, author, time) WHERE kind = 'rollcall';`

// vacuumMostlyFree rewrites a file that is more than half free pages, as
// migrateEnvelopes leaves it: the old table's pages are free, interleaved
// with the new ones. VACUUM writes the file once, in order (25 s for a log
// of 121,000 entries on a loaded machine); freeing the pages one by one
// (incremental_vacuum, what Reclaim does) took 2 min 10 s, and Reclaim
// runs on the writer.
func (s *Store) vacuumMostlyFree() error {
	pages, free, size, err := s.pages()
	if err != nil {
		return err
	}
	if free*2 < pages || free*size < reclaimAt {
		return nil
	}
	if _, err := s.w.Exec(`VACUUM`); err != nil {
		return err
	}
	return s.compact("TRUNCATE")
}
