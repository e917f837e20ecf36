package cli

import (
	"os"
	"testing"
)

// A pseudo-terminal is a terminal; it draws in place unless TERM is dumb or unset.
func TestIsTerminalPTY(t *testing.T) {
	ptmx, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
	if err != nil {
		t.Fatalf("open /dev/ptmx: %v", err)
	}
	defer ptmx.Close()
	if !IsTerminal(ptmx) {
		t.Error("IsTerminal(/dev/ptmx): got false, want true")
	}
	for term, want := range map[string]bool{"xterm-256color": true, "dumb": false, "": false} {
		if got := DrawsInPlace(ptmx, func(string) string { return term }); got != want {
			t.Errorf("DrawsInPlace with TERM=%q: got %v, want %v", term, got, want)
		}
	}
}
