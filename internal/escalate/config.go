package escalate

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// File is the escalation configuration in a node's data directory. It is
// optional: without it, alerts raise the console alarm and notify nobody.
const File = "escalation.json"

// Config is a validated escalation chain.
type Config struct {
	// Steps are notified in order; each waits before the next.
	Steps []Step
	// Repeat starts the chain over after the last step's wait, until the
	// alert closes or is silenced.
	Repeat  bool
	SMTP    *SMTP // nil when no step sends email
	Webhook Webhook
	// Path is the file the chain was read from; "" for the default chain.
	Path string
}

// Step is one rung of the chain: whom it notifies, and how long it waits
// before the next.
type Step struct {
	Name    string
	Console bool     // raise the alarm in the console
	Email   []string // bare addresses
	Webhook []string // URLs; each receives a signed JSON POST
	Wait    time.Duration
}

// Limits of a chain.
const (
	MaxSteps   = 16
	MinWait    = 10 * time.Second // shorter waits page a chain through in moments
	MaxWait    = 7 * 24 * time.Hour
	maxTargets = 32 // per step and channel
)

// Default is the chain used without escalation.json: the console alarm,
// nothing sent.
func Default() *Config {
	return &Config{Steps: []Step{{Name: "console", Console: true}}}
}

// ErrSecretInConfig means escalation.json holds a password or secret
// itself. Put it in a file of mode 0600 (password_file, secret_file) or,
// for SMTP, an environment variable (password_env).
var ErrSecretInConfig = errors.New("secrets do not go in escalation.json")

// Load reads dir/escalation.json, or returns the default chain if there is
// none. Files it names (passwords, secrets, CA certificates) are read now,
// relative to dir, so a bad file is found at start rather than when an
// alert is due.
func Load(dir string) (*Config, error) {
	path := filepath.Join(dir, File)
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Default(), nil
	}
	if err != nil {
		return nil, err
	}
	c, err := Parse(data, dir)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	c.Path = path
	return c, nil
}

// FieldError is a configuration error and the field it concerns, such as
// steps[1].wait.
type FieldError struct {
	Field string
	Err   error
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Err.Error() }
func (e *FieldError) Unwrap() error { return e.Err }

func fieldErr(field, format string, args ...any) error {
	return &FieldError{Field: field, Err: fmt.Errorf(format, args...)}
}

// The file's format. Durations are strings ("5m"), parsed in validation so
// that a bad one is reported with its field.
type fileConfig struct {
	Steps   []fileStep   `json:"steps"`
	Repeat  bool         `json:"repeat"`
	SMTP    *fileSMTP    `json:"smtp"`
	Webhook *fileWebhook `json:"webhook"`
}

type fileStep struct {
	Name    string   `json:"name"`
	Console bool     `json:"console"`
	Email   []string `json:"email"`
	Webhook []string `json:"webhook"`
	Wait    string   `json:"wait"`
}

type fileSMTP struct {
	Addr         string          `json:"addr"`
	From         string          `json:"from"`
	Username     string          `json:"username"`
	Password     json.RawMessage `json:"password"` // refused: see ErrSecretInConfig
	PasswordFile string          `json:"password_file"`
	PasswordEnv  string          `json:"password_env"`
	TLS          bool            `json:"tls"`
	RequireTLS   bool            `json:"require_tls"`
	CAFile       string          `json:"ca_file"`
	HELO         string          `json:"helo"`
	Timeout      string          `json:"timeout"`
}

type fileWebhook struct {
	Secret     json.RawMessage `json:"secret"` // refused: see ErrSecretInConfig
	SecretFile string          `json:"secret_file"`
	CAFile     string          `json:"ca_file"`
	Timeout    string          `json:"timeout"`
}

// The fields each object may have, for errors that say where an unknown
// one is (encoding/json names the field but not the object).
var knownFields = map[string][]string{
	"":        {"steps", "repeat", "smtp", "webhook"},
	"steps[]": {"name", "console", "email", "webhook", "wait"},
	"smtp":    {"addr", "from", "username", "password", "password_file", "password_env", "tls", "require_tls", "ca_file", "helo", "timeout"},
	"webhook": {"secret", "secret_file", "ca_file", "timeout"},
}

// MaxConfigSize bounds escalation.json.
const MaxConfigSize = 1 << 20

// Parse decodes and validates an escalation chain. Unknown fields are
// errors, and every error names its field. Relative file names are taken
// from dir.
func Parse(data []byte, dir string) (*Config, error) {
	if len(data) > MaxConfigSize {
		return nil, fmt.Errorf("larger than %d bytes", MaxConfigSize)
	}
	var generic any
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&generic); err != nil {
		return nil, jsonErr(data, err)
	}
	if dec.More() {
		return nil, errors.New("not valid JSON: more than one value")
	}
	if err := checkFields(generic); err != nil {
		return nil, err
	}
	var f fileConfig
	dec = json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, jsonErr(data, err)
	}
	return f.validate(dir)
}

// checkFields reports the first unknown field, with its place.
func checkFields(v any) error {
	top, ok := v.(map[string]any)
	if !ok {
		return errors.New("want a JSON object")
	}
	if err := unknownIn("", top, knownFields[""]); err != nil {
		return err
	}
	if steps, ok := top["steps"].([]any); ok {
		for i, s := range steps {
			if m, ok := s.(map[string]any); ok {
				if err := unknownIn(fmt.Sprintf("steps[%d]", i), m, knownFields["steps[]"]); err != nil {
					return err
				}
			}
		}
	}
	for _, k := range []string{"smtp", "webhook"} {
		if m, ok := top[k].(map[string]any); ok {
			if err := unknownIn(k, m, knownFields[k]); err != nil {
				return err
			}
		}
	}
	return nil
}

func unknownIn(where string, m map[string]any, known []string) error {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !slices.Contains(known, k) {
			field := k
			if k == "" || !plain(k) || strings.ContainsAny(k, ".[]") {
				field = strconv.Quote(k)
			}
			if where != "" {
				field = where + "." + k
			}
			return fieldErr(field, "unknown field (known: %s)", strings.Join(known, ", "))
		}
	}
	return nil
}

// jsonErr turns a decoding error into one that says where.
func jsonErr(data []byte, err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		line, col := position(data, syn.Offset)
		return fmt.Errorf("not valid JSON at line %d, column %d: %v", line, col, syn)
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "(top level)"
		}
		return fieldErr(field, "want %s, not a JSON %s", typ.Type, typ.Value)
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return errors.New("not valid JSON: empty or cut short")
	}
	return fmt.Errorf("not valid JSON: %v", err)
}

func position(data []byte, off int64) (line, col int) {
	line, col = 1, 1
	for i := int64(0); i < off && i < int64(len(data)); i++ {
		if data[i] == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return line, col
}
