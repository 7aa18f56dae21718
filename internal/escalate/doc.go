// Package escalate alerts a party's own people, in a configured order, about
// what the line owes: messages waiting for our acknowledgement or reply, and
// deadlines the other side let pass.
//
// # The chain
//
// A chain ([Config], read from escalation.json in the data directory) is a
// list of named steps — duty officer, deputy, chief — each with its
// channels: the console alarm, email through an SMTP server, and webhooks
// (a JSON POST signed with HMAC-SHA256). A new alert is notified at the
// first step at once; when the step's wait ends, the next step is notified;
// with repeat, the chain starts over after the last step. When the
// condition closes, every target that took a notice gets a "resolved" one.
//
// # The engine
//
// An [Engine] polls a [Source] (the duty package computes it from a node)
// every few seconds, at the next deadline the source names
// ([Options.Next]), and at once when [Engine.Wake] says the node committed
// something that may open or close an alert (a FLASH arriving, an
// acknowledgement; everyday traffic does not wake it). The source's reads
// end with the context Run was given. It
// keeps its state in a small SQLite file ([StateFile]) so a restart neither
// pages everyone again nor forgets a silence. A notice that fails is logged
// and retried with backoff until the chain moves on. Alerts about what a
// peer or the network failed to do can be silenced by an officer
// ([Engine.Silence]); alerts about what our own people owe close only when
// they act.
//
// # What a notice carries
//
// Metadata only: the party, the message ID, precedence, the proven rungs
// of the receipt ladder and the deadlines. Never a message's text — the
// line is end-to-end encrypted and mail and web systems are outside it.
// Text that comes from another organization (party names, officers, line
// titles) is made inert and kept on one line before it reaches a header, a
// mail body or a log.
package escalate
