package relay

import "net/http"

// SetWaitHook makes s call f each time a fetch starts waiting for a put.
func SetWaitHook(s *Server, f func(line, recipient string)) { s.onWait.Store(&f) }

// HTTPClient is the pinned HTTP client of c.
func HTTPClient(c *Client) *http.Client { return c.current() }

// DecodePut decodes the reply to a put.
var DecodePut = decodePut
