package cli

import (
	"flag"
	"io"
	"slices"
	"testing"
)

func TestParseInterleaved(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantPos  []string
		wantN    int
		wantCode int // FlagExit of the error, or -1 for no error
	}{
		{"flags first", []string{"-n", "3", "a", "b"}, []string{"a", "b"}, 3, -1},
		{"flags between and after", []string{"a", "-n", "4", "b", "-v"}, []string{"a", "b"}, 4, -1},
		{"after --", []string{"a", "--", "-n"}, []string{"a", "-n"}, 0, -1},
		{"help", []string{"a", "-h"}, nil, 0, ExitOK},
		{"unknown flag", []string{"-x"}, nil, 0, ExitUsage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := flag.NewFlagSet("t", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			n := fs.Int("n", 0, "")
			fs.Bool("v", false, "")
			pos, err := ParseInterleaved(fs, tt.args)
			if tt.wantCode >= 0 {
				if err == nil || FlagExit(err) != tt.wantCode {
					t.Fatalf("got %v (exit %d), want exit %d", err, FlagExit(err), tt.wantCode)
				}
				return
			}
			if err != nil || !slices.Equal(pos, tt.wantPos) || *n != tt.wantN {
				t.Errorf("got %v, n=%d, %v; want %v, n=%d", pos, *n, err, tt.wantPos, tt.wantN)
			}
		})
	}
}
