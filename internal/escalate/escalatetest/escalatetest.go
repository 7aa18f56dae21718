// Package escalatetest runs real receivers of escalation notices for tests:
// an SMTP server (STARTTLS and AUTH PLAIN, with its own CA) that keeps what
// it is sent and a webhook receiver that checks signatures.
package escalatetest
