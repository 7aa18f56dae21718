package entry

import "strings"

// SameOfficer reports whether two officers' names, as signed into a
// message (Officer and ReleasedBy), are one name written twice: up to
// case and surrounding spaces. Under two-person release "Kim" cannot
// release what "kim " drafted. The node's send, the drafts store and the
// release service all judge by this one rule.
func SameOfficer(a, b string) bool {
	return strings.EqualFold(strings.TrimSpace(a), strings.TrimSpace(b))
}
