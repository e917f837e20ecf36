package session_test

import (
	"strings"
	"testing"
	"time"

	"github.com/taskoverflow-lab/taskoverflow/logging"
	"github.com/taskoverflow-lab/taskoverflow/session"
)

// Options' zero MaxActive is not redigo's "unlimited" by accident: Open
// refuses it unless Unlimited says so.
func TestOpenRefusesUnboundedByAccident(t *testing.T) {
	const url = "redis://127.0.0.1:1/0" // Open does not dial
	for _, opts := range []session.Options{{}, {MaxActive: -1, Unlimited: true}} {
		if _, err := session.Open(url, opts, time.Hour, logging.Discard()); err == nil || !strings.Contains(err.Error(), "MaxActive") {
			t.Errorf("Open(%+v): got %v, want an error naming MaxActive", opts, err)
		}
	}
	for _, opts := range []session.Options{{MaxActive: 1}, {Unlimited: true}} {
		s, err := session.Open(url, opts, time.Hour, logging.Discard())
		if err != nil {
			t.Errorf("Open(%+v): %v", opts, err)
			continue
		}
		s.Close()
	}
}
