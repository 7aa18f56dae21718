package escalate

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"
)

// Webhook holds what every webhook of the chain shares.
type Webhook struct {
	// SecretFile holds the key that signs each POST: the header
	// X-Hotline-Signature is "sha256=" and the hex HMAC-SHA256 of the body.
	SecretFile string
	CAFile     string // a private CA to trust instead of the system's
	Timeout    time.Duration

	secret *signingKey
	client *http.Client
}

// SignatureHeader carries the HMAC-SHA256 of a webhook's body.
const SignatureHeader = "X-Hotline-Signature"

// Sign returns the value of SignatureHeader for body under key.
func Sign(key, body []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Verify reports whether sig (a SignatureHeader value) signs body under
// key, in constant time. Receivers of our webhooks can use it.
func Verify(key, body []byte, sig string) bool {
	return hmac.Equal([]byte(Sign(key, body)), []byte(sig))
}

func newHTTPClient(roots *x509.CertPool, timeout time.Duration) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}
	return &http.Client{
		Transport: tr,
		Timeout:   timeout,
		// A redirect would send the notice somewhere the chain does not
		// name: take it as a failure.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// post sends one signed notice.
func (w *Webhook) post(ctx context.Context, target, event string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "hotline-escalation")
	req.Header.Set("X-Hotline-Event", event)
	if w.secret != nil {
		req.Header.Set(SignatureHeader, Sign(w.secret.key, body))
	}
	resp, err := w.client.Do(req)
	if err != nil {
		// url.Error repeats the URL, which the caller already names.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("answered %s", resp.Status)
	}
	return nil
}
