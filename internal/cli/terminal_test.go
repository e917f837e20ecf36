package cli

import (
	"bytes"
	"os"
	"testing"
)

// /dev/null is a character device but no terminal; a buffer has no descriptor.
func TestIsTerminal(t *testing.T) {
	null, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	for name, f := range map[string]any{"/dev/null": null, "pipe": w, "buffer": &bytes.Buffer{}, "nil": nil} {
		if IsTerminal(f) {
			t.Errorf("IsTerminal(%s): got true, want false", name)
		}
		if DrawsInPlace(f, func(string) string { return "xterm" }) {
			t.Errorf("DrawsInPlace(%s): got true, want false", name)
		}
	}
}
