// Package control is how the hotline command talks to a node: directly when
// no node is running, or over the running node's Unix socket
// (hotline.sock in the data directory, reachable only by the directory's
// owner). Both paths implement one interface, so every command behaves the
// same whether "hotline serve" is up or not.
package control

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"time"

	"github.com/hotline-line/hotline/internal/agenda"
	"github.com/hotline-line/hotline/internal/charter"
	"github.com/hotline-line/hotline/internal/duty"
	"github.com/hotline-line/hotline/internal/entry"
	"github.com/hotline-line/hotline/internal/escalate"
	"github.com/hotline-line/hotline/internal/node"
	"github.com/hotline-line/hotline/internal/officer"
	"github.com/hotline-line/hotline/internal/twoperson"
)

// API is what the command line can ask of a node.
type API interface {
	DefaultLine(ctx context.Context) (string, error)
	Send(ctx context.Context, req node.SendRequest) (string, error)
	Messages(ctx context.Context, line string, outbox bool, limit int) ([]node.Message, error)
	// Show reads a message and writes nothing; MarkDisplayed records
	// that another party's message was shown to a person.
	Show(ctx context.Context, line, id string) (*node.Message, error)
	MarkDisplayed(ctx context.Context, line, id string) error
	Ack(ctx context.Context, line, id, officer string) (bool, error)
	Status(ctx context.Context, line string) (*node.LineStatus, error)
	Install(ctx context.Context, charter []byte) error
	ExportParcel(ctx context.Context, line, peer string) ([]byte, error)
	ImportParcel(ctx context.Context, data []byte) (string, error)
	LinkTest(ctx context.Context, line string) (*entry.LinkTest, error)
	RollCall(ctx context.Context, line, officer string) (*node.RollCallView, error)
	Alerts(ctx context.Context) (*AlertsView, error)
	Silence(ctx context.Context, id, officer string) error
	// Two-person release (see package twoperson).
	Drafts(ctx context.Context, q officer.DraftQuery) ([]officer.Draft, error)
	Release(ctx context.Context, line string, draft int64, officer string) (*twoperson.Released, error)
	Reject(ctx context.Context, line string, draft int64, officer, reason string) (*officer.Draft, error)
	// Translations and the shared agenda (node/translate.go, node/agenda.go).
	Translate(ctx context.Context, req node.TranslateRequest) (string, error)
	Agenda(ctx context.Context, line string) ([]agenda.Event, error)
	ChangeAgenda(ctx context.Context, req node.AgendaRequest) (*node.AgendaWritten, error)
	// ResolveLine returns the ID of the line named by flag (its name or
	// ID; empty for the only line): see node.PickLine.
	ResolveLine(ctx context.Context, flag string) (string, error)
	LineInfos(ctx context.Context) ([]node.LineInfo, error)
	SetLineState(ctx context.Context, line string, state entry.LineState, reason, by string) (string, error)
	// Charter amendments (node/amend.go; control/amend.go).
	Amend(ctx context.Context, req node.AmendRequest) (string, error)
	Amendments(ctx context.Context, line string) (*node.AmendmentsView, error)
	// Parties joining (node/join.go): the invitation of a party an
	// amendment in force added, and opening a line from one.
	Invite(ctx context.Context, line, party string) (*node.Invite, error)
	Join(ctx context.Context, inv node.Invite) error
	// RotateKeys replaces the party's signing keys on every open line
	// (node/keys.go); it returns the key entries' IDs by line.
	RotateKeys(ctx context.Context, req node.RotateRequest) (map[string]string, error)
}

// AlertsView is the open escalation alerts of a node. Serving says whether
// an escalation engine runs (hotline serve): then each alert shows where
// its chain stands. Without one, Alerts holds the conditions open now,
// each with only its alert filled: no chain runs and nobody is notified.
type AlertsView struct {
	Serving bool                  `json:"serving"`
	Alerts  []escalate.AlertState `json:"alerts"`
}

// ErrNotServing means the escalation engine is not running: it lives in
// hotline serve.
var ErrNotServing = errors.New("the node is not serving: no escalation chain runs")

// Local serves the API from an open node. Engine is the node's escalation
// engine when it is served (nil otherwise). Desk releases the node's
// drafts; nil when the caller did not open officers.db.
type Local struct {
	N      *node.Node
	Engine *escalate.Engine
	Desk   *twoperson.Desk
}

func (l Local) DefaultLine(context.Context) (string, error) { return l.N.DefaultLine() }
func (l Local) Send(ctx context.Context, r node.SendRequest) (string, error) {
	return l.N.Send(ctx, r)
}
func (l Local) Messages(_ context.Context, line string, outbox bool, limit int) ([]node.Message, error) {
	return l.N.Messages(line, outbox, limit)
}

// Show returns a message. It writes nothing: the caller records a display
// with MarkDisplayed once it has shown the message.
func (l Local) Show(_ context.Context, line, id string) (*node.Message, error) {
	return l.N.Message(line, id)
}

// MarkDisplayed records that a message from another party was shown to a
// person; only the first display is written.
func (l Local) MarkDisplayed(ctx context.Context, line, id string) error {
	return l.N.MarkDisplayed(ctx, line, id)
}
func (l Local) Ack(ctx context.Context, line, id, officer string) (bool, error) {
	return l.N.Ack(ctx, line, id, officer)
}
func (l Local) Status(_ context.Context, line string) (*node.LineStatus, error) {
	return l.N.Status(line)
}
func (l Local) Install(ctx context.Context, raw []byte) error {
	c, err := charter.Parse(raw)
	if err != nil {
		return err
	}
	return l.N.Install(ctx, c)
}

func (l Local) ExportParcel(_ context.Context, line, peer string) ([]byte, error) {
	data, _, err := l.N.ExportParcel(line, peer)
	return data, err
}

// ImportParcel takes in a parcel and says what it held.
func (l Local) ImportParcel(ctx context.Context, data []byte) (string, error) {
	b, err := l.N.ImportParcel(ctx, data)
	if err != nil {
		return "", err
	}
	n := 0
	for _, s := range b.Segments {
		n += len(s.Entries)
	}
	return fmt.Sprintf("from %s: %d entries in %d segments, %d receipts", b.From, n, len(b.Segments), len(b.Cosigs)), nil
}

// LinkTest tests every route now.
func (l Local) LinkTest(ctx context.Context, line string) (*entry.LinkTest, error) {
	return l.N.RunLinkTests(ctx, line)
}

// RollCall answers the roll-call under way as officer.
func (l Local) RollCall(ctx context.Context, line, officer string) (*node.RollCallView, error) {
	return l.N.AnswerRollCall(ctx, line, officer)
}

// Alerts returns the engine's open alerts, most urgent first, or without
// an engine the conditions the node proves open now.
func (l Local) Alerts(ctx context.Context) (*AlertsView, error) {
	v := &AlertsView{Serving: l.Engine != nil, Alerts: []escalate.AlertState{}}
	if l.Engine != nil {
		v.Alerts = append(v.Alerts, l.Engine.Active()...)
		return v, nil
	}
	alerts, err := duty.Alerts(ctx, l.N, time.Now())
	if err != nil {
		return nil, err
	}
	for _, a := range alerts {
		v.Alerts = append(v.Alerts, escalate.AlertState{Alert: a})
	}
	return v, nil
}

// Silence stops the chain of an alert in the running engine.
func (l Local) Silence(_ context.Context, id, officer string) error {
	if l.Engine == nil {
		return ErrNotServing
	}
	return l.Engine.Silence(id, officer)
}

// ErrNoDesk means the node was opened without its officers database, so
// no draft can be listed, released or rejected.
var ErrNoDesk = errors.New("drafts are not open in this process")

func (l Local) desk() (*twoperson.Desk, error) {
	if l.Desk == nil {
		return nil, ErrNoDesk
	}
	return l.Desk, nil
}

// Drafts lists drafts, newest first.
func (l Local) Drafts(ctx context.Context, q officer.DraftQuery) ([]officer.Draft, error) {
	d, err := l.desk()
	if err != nil {
		return nil, err
	}
	return d.Drafts(ctx, q)
}

// Release releases a draft as officer.
func (l Local) Release(ctx context.Context, line string, draft int64, by string) (*twoperson.Released, error) {
	d, err := l.desk()
	if err != nil {
		return nil, err
	}
	return d.Release(ctx, line, draft, by)
}

// Reject rejects a draft as officer, with a reason.
func (l Local) Reject(ctx context.Context, line string, draft int64, by, reason string) (*officer.Draft, error) {
	d, err := l.desk()
	if err != nil {
		return nil, err
	}
	return d.Reject(ctx, line, draft, by, reason)
}

// Translate writes an attributed translation of a message.
func (l Local) Translate(ctx context.Context, r node.TranslateRequest) (string, error) {
	return l.N.Translate(ctx, r)
}

// Agenda lists the line's shared agenda.
func (l Local) Agenda(_ context.Context, line string) ([]agenda.Event, error) {
	return l.N.Agenda(line)
}

// ChangeAgenda proposes an event or changes one.
func (l Local) ChangeAgenda(ctx context.Context, r node.AgendaRequest) (*node.AgendaWritten, error) {
	return l.N.ChangeAgenda(ctx, r)
}

func (l Local) ResolveLine(_ context.Context, flag string) (string, error) {
	return l.N.ResolveLine(flag)
}
func (l Local) LineInfos(context.Context) ([]node.LineInfo, error) { return l.N.LineInfos() }
func (l Local) SetLineState(ctx context.Context, line string, state entry.LineState, reason, by string) (string, error) {
	return l.N.SetLineState(ctx, line, state, reason, by)
}

func (l Local) RotateKeys(ctx context.Context, req node.RotateRequest) (map[string]string, error) {
	return l.N.Rotate(ctx, req)
}

// Serve answers API calls on ln (the node's socket) until the returned
// server is closed. Only the directory's owner can connect, but a stuck
// client must not hold its connection for ever either.
func Serve(ln net.Listener, api API) *http.Server {
	srv := &http.Server{
		Handler:           Handler(api),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       time.Minute, // a call of at most 256 MiB, from this machine
		IdleTimeout:       2 * time.Minute,
	}
	go srv.Serve(ln)
	return srv
}

// call is the one request shape on the socket.
type call struct {
	Method  string              `json:"method"`
	Line    string              `json:"line,omitempty"`
	ID      string              `json:"id,omitempty"`
	Officer string              `json:"officer,omitempty"`
	Outbox  bool                `json:"outbox,omitempty"`
	Limit   int                 `json:"limit,omitempty"`
	Send    *node.SendRequest   `json:"send,omitempty"`
	Charter []byte              `json:"charter,omitempty"`
	Peer    string              `json:"peer,omitempty"`
	Data    []byte              `json:"data,omitempty"`
	Draft   int64               `json:"draft,omitempty"`
	Reason  string              `json:"reason,omitempty"`
	Drafts  *officer.DraftQuery `json:"drafts,omitempty"`
	State   entry.LineState     `json:"state,omitempty"`

	Translate *node.TranslateRequest `json:"translate,omitempty"`
	Agenda    *node.AgendaRequest    `json:"agenda,omitempty"`
	Amend     *node.AmendRequest     `json:"amend,omitempty"`
	Rotate    *node.RotateRequest    `json:"rotate,omitempty"`
	Invite    *node.Invite           `json:"invite,omitempty"`
}

type result struct {
	Error string          `json:"error,omitempty"`
	Value json.RawMessage `json:"value,omitempty"`
}

// Handler serves API calls: POST /call with a JSON call.
func Handler(api API) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /call", func(w http.ResponseWriter, r *http.Request) {
		var c call
		if err := json.NewDecoder(io.LimitReader(r.Body, 256<<20)).Decode(&c); err != nil {
			writeResult(w, nil, fmt.Errorf("bad call: %w", err))
			return
		}
		v, err := dispatch(r.Context(), api, &c)
		writeResult(w, v, err)
	})
	return mux
}

func dispatch(ctx context.Context, api API, c *call) (any, error) {
	switch c.Method {
	case "default-line":
		return api.DefaultLine(ctx)
	case "send":
		if c.Send == nil {
			return nil, errors.New("send: no message")
		}
		return api.Send(ctx, *c.Send)
	case "messages":
		return api.Messages(ctx, c.Line, c.Outbox, c.Limit)
	case "show":
		return api.Show(ctx, c.Line, c.ID)
	case "displayed":
		return nil, api.MarkDisplayed(ctx, c.Line, c.ID)
	case "ack":
		return api.Ack(ctx, c.Line, c.ID, c.Officer)
	case "status":
		return api.Status(ctx, c.Line)
	case "install":
		return nil, api.Install(ctx, c.Charter)
	case "export-parcel":
		return api.ExportParcel(ctx, c.Line, c.Peer)
	case "import-parcel":
		return api.ImportParcel(ctx, c.Data)
	case "linktest":
		return api.LinkTest(ctx, c.Line)
	case "rollcall":
		return api.RollCall(ctx, c.Line, c.Officer)
	case "alerts":
		return api.Alerts(ctx)
	case "silence":
		return nil, api.Silence(ctx, c.ID, c.Officer)
	case "drafts":
		if c.Drafts == nil {
			return nil, errors.New("drafts: no query")
		}
		return api.Drafts(ctx, *c.Drafts)
	case "release":
		return api.Release(ctx, c.Line, c.Draft, c.Officer)
	case "reject":
		return api.Reject(ctx, c.Line, c.Draft, c.Officer, c.Reason)
	case "translate":
		if c.Translate == nil {
			return nil, errors.New("translate: no translation")
		}
		return api.Translate(ctx, *c.Translate)
	case "agenda":
		return api.Agenda(ctx, c.Line)
	case "change-agenda":
		if c.Agenda == nil {
			return nil, errors.New("change-agenda: no step")
		}
		return api.ChangeAgenda(ctx, *c.Agenda)
	case "resolve-line":
		return api.ResolveLine(ctx, c.Line)
	case "lines":
		return api.LineInfos(ctx)
	case "line-state":
		return api.SetLineState(ctx, c.Line, c.State, c.Reason, c.Officer)
	case "rotate-keys":
		if c.Rotate == nil {
			return nil, errors.New("rotate-keys: no request")
		}
		return api.RotateKeys(ctx, *c.Rotate)
	}
	return dispatchAmend(ctx, api, c)
}

func writeResult(w http.ResponseWriter, v any, err error) {
	var res result
	if err != nil {
		res.Error = err.Error()
	} else if v != nil {
		res.Value, _ = json.Marshal(v)
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(res)
}

// ErrTransport means the call or its reply was lost on the socket (the
// node stopped or died): whether the node acted is unknown. A send is safe
// to retry with its idempotency key.
var ErrTransport = errors.New("connection to the node lost")

// Client calls a running node over its socket.
type Client struct{ hc *http.Client }

// Dial connects to the node running in dir, or fails if none is.
func Dial(dir string) (*Client, error) {
	sock := filepath.Join(dir, node.SocketFile)
	conn, err := net.DialTimeout("unix", sock, time.Second)
	if err != nil {
		return nil, err
	}
	conn.Close()
	return &Client{hc: &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", sock)
		},
	}}}, nil
}

func (c *Client) do(ctx context.Context, in *call, out any) error {
	body, _ := json.Marshal(in)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://hotline/call", bytes.NewReader(body))
	if err != nil {
		return err
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return fmt.Errorf("talk to the running node: %w: %w", ErrTransport, err)
	}
	defer resp.Body.Close()
	var res result
	if err := json.NewDecoder(resp.Body).Decode(&res); err != nil {
		return fmt.Errorf("reply from the running node: %w: %w", ErrTransport, err)
	}
	if res.Error != "" {
		return errors.New(res.Error)
	}
	if out != nil && res.Value != nil {
		return json.Unmarshal(res.Value, out)
	}
	return nil
}

func (c *Client) DefaultLine(ctx context.Context) (s string, err error) {
	err = c.do(ctx, &call{Method: "default-line"}, &s)
	return
}
func (c *Client) Send(ctx context.Context, r node.SendRequest) (id string, err error) {
	err = c.do(ctx, &call{Method: "send", Send: &r}, &id)
	return
}
func (c *Client) Messages(ctx context.Context, line string, outbox bool, limit int) (m []node.Message, err error) {
	err = c.do(ctx, &call{Method: "messages", Line: line, Outbox: outbox, Limit: limit}, &m)
	return
}
func (c *Client) Show(ctx context.Context, line, id string) (m *node.Message, err error) {
	err = c.do(ctx, &call{Method: "show", Line: line, ID: id}, &m)
	return
}
func (c *Client) MarkDisplayed(ctx context.Context, line, id string) error {
	return c.do(ctx, &call{Method: "displayed", Line: line, ID: id}, nil)
}
func (c *Client) Ack(ctx context.Context, line, id, officer string) (ok bool, err error) {
	err = c.do(ctx, &call{Method: "ack", Line: line, ID: id, Officer: officer}, &ok)
	return
}
func (c *Client) Status(ctx context.Context, line string) (s *node.LineStatus, err error) {
	err = c.do(ctx, &call{Method: "status", Line: line}, &s)
	return
}
func (c *Client) Install(ctx context.Context, raw []byte) error {
	return c.do(ctx, &call{Method: "install", Charter: raw}, nil)
}

func (c *Client) ExportParcel(ctx context.Context, line, peer string) (data []byte, err error) {
	err = c.do(ctx, &call{Method: "export-parcel", Line: line, Peer: peer}, &data)
	return
}
func (c *Client) ImportParcel(ctx context.Context, data []byte) (s string, err error) {
	err = c.do(ctx, &call{Method: "import-parcel", Data: data}, &s)
	return
}
func (c *Client) LinkTest(ctx context.Context, line string) (t *entry.LinkTest, err error) {
	err = c.do(ctx, &call{Method: "linktest", Line: line}, &t)
	return
}
func (c *Client) RollCall(ctx context.Context, line, officer string) (v *node.RollCallView, err error) {
	err = c.do(ctx, &call{Method: "rollcall", Line: line, Officer: officer}, &v)
	return
}
func (c *Client) Alerts(ctx context.Context) (v *AlertsView, err error) {
	err = c.do(ctx, &call{Method: "alerts"}, &v)
	return
}
func (c *Client) Silence(ctx context.Context, id, officer string) error {
	return c.do(ctx, &call{Method: "silence", ID: id, Officer: officer}, nil)
}
func (c *Client) Drafts(ctx context.Context, q officer.DraftQuery) (d []officer.Draft, err error) {
	err = c.do(ctx, &call{Method: "drafts", Drafts: &q}, &d)
	return
}
func (c *Client) Release(ctx context.Context, line string, draft int64, by string) (r *twoperson.Released, err error) {
	err = c.do(ctx, &call{Method: "release", Line: line, Draft: draft, Officer: by}, &r)
	return
}
func (c *Client) Reject(ctx context.Context, line string, draft int64, by, reason string) (d *officer.Draft, err error) {
	err = c.do(ctx, &call{Method: "reject", Line: line, Draft: draft, Officer: by, Reason: reason}, &d)
	return
}
func (c *Client) Translate(ctx context.Context, r node.TranslateRequest) (id string, err error) {
	err = c.do(ctx, &call{Method: "translate", Translate: &r}, &id)
	return
}
func (c *Client) Agenda(ctx context.Context, line string) (evs []agenda.Event, err error) {
	err = c.do(ctx, &call{Method: "agenda", Line: line}, &evs)
	return
}
func (c *Client) ChangeAgenda(ctx context.Context, r node.AgendaRequest) (w *node.AgendaWritten, err error) {
	err = c.do(ctx, &call{Method: "change-agenda", Agenda: &r}, &w)
	return
}
func (c *Client) ResolveLine(ctx context.Context, flag string) (id string, err error) {
	err = c.do(ctx, &call{Method: "resolve-line", Line: flag}, &id)
	return
}
func (c *Client) LineInfos(ctx context.Context) (v []node.LineInfo, err error) {
	err = c.do(ctx, &call{Method: "lines"}, &v)
	return
}
func (c *Client) SetLineState(ctx context.Context, line string, state entry.LineState, reason, by string) (id string, err error) {
	err = c.do(ctx, &call{Method: "line-state", Line: line, State: state, Reason: reason, Officer: by}, &id)
	return
}
func (c *Client) RotateKeys(ctx context.Context, r node.RotateRequest) (ids map[string]string, err error) {
	err = c.do(ctx, &call{Method: "rotate-keys", Rotate: &r}, &ids)
	return
}
