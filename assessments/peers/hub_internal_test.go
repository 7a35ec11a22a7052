package peers

import "testing"

// Only a status list's own path is fetched from a peer for a card's
// status, whatever the card names.
func TestStatusPath(t *testing.T) {
	for path, want := range map[string]bool{
		"/status/1": true, "/status/42": true,
		"/status/": false, "/status/1/../../admin": false, "/status/1?x=1": false, "/status/x": false,
		"/api/v1/users": false, "/status/1234567890": false,
	} {
		if got := statusPath(path); got != want {
			t.Errorf("statusPath(%q) = %v", path, got)
		}
	}
}
