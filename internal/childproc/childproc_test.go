package childproc

import (
	"net"
	"strconv"
	"sync"
	"testing"
)

func TestLastLines(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"a\nb\nc\n", 2, "b\nc"}, // the tail, without the final newline
		{"a\nb", 5, "a\nb"},      // fewer lines than asked
		{"", 3, ""},              // nothing written
		{"a\n\n\nb\n\n", 1, "b"}, // trailing blank lines dropped
	}
	for _, tt := range tests {
		if got := LastLines([]byte(tt.in), tt.n); got != tt.want {
			t.Errorf("LastLines(%q, %d): got %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
}

// Writers on several goroutines lose nothing (run under -race).
func TestOutputConcurrentWrites(t *testing.T) {
	var o Output
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				o.Write([]byte("x\n"))
				_ = o.Bytes()
			}
		})
	}
	wg.Wait()
	if got := len(o.Bytes()); got != 8*100*2 {
		t.Errorf("got %d bytes, want %d", got, 8*100*2)
	}
}

func TestFreePortCanBeBound(t *testing.T) {
	port, err := FreePort()
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		t.Fatalf("port %d: %v", port, err)
	}
	l.Close()
}
