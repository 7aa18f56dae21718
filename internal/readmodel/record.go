package readmodel

// name is a string the tracker keeps once (see names): a party. 0 is the
// empty string.
type name uint16

// names interns the parties of a line's messages: a few strings, checked
// when their entries were accepted. Should a line ever bring more than
// 65,535, the rest are kept as empty rather than grow the table.
type names struct {
	ids  map[string]name
	strs []string
}

func newNames() names { return names{ids: map[string]name{"": 0}, strs: []string{""}} }

func (ns *names) id(s string) name {
	if n, ok := ns.ids[s]; ok {
		return n
	}
	if len(ns.strs) > int(^name(0)) {
		return 0
	}
	n := name(len(ns.strs))
	ns.ids[s] = n
	ns.strs = append(ns.strs, s)
	return n
}

func (ns *names) str(n name) string { return ns.strs[n] }

// find returns the name of s, if it has one, without adding it.
func (ns *names) find(s string) (name, bool) {
	n, ok := ns.ids[s]
	return n, ok
}

// msgKey names a message owed by a party: its author, its index in the
// author's log, and the party.
type msgKey struct {
	author, party name
	idx           uint64
}

// due is the next deadline of one message, in Unix nanoseconds: 24 bytes,
// all the tracker keeps of a message owed. dueHeap keeps the earliest on
// top.
type due struct {
	at            int64
	idx           uint64
	author, party name
}

func (d due) key() msgKey { return msgKey{author: d.author, party: d.party, idx: d.idx} }

type dueHeap []due

func (h dueHeap) Len() int           { return len(h) }
func (h dueHeap) Less(i, j int) bool { return h[i].at < h[j].at }
func (h dueHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *dueHeap) Push(x any)        { *h = append(*h, x.(due)) }
func (h *dueHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
