package cli

import (
	"flag"
	"io"
	"slices"
	"strings"
	"testing"
	"time"
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

func TestNewFlagSetUsage(t *testing.T) {
	var out strings.Builder
	fs := NewFlagSet("lab trace", "lab trace REQUEST_ID", &out)
	fs.String("logs", "", "log file")
	_, err := ParseInterleaved(fs, []string{"-h"})
	if FlagExit(err) != ExitOK {
		t.Fatalf("-h: got %v, want exit 0", err)
	}
	if got := out.String(); !strings.HasPrefix(got, "usage: lab trace REQUEST_ID\n\nflags:\n") || !strings.Contains(got, "-logs") {
		t.Errorf("usage: got %q", got)
	}
}

// A duration flag given a bare number says to add a unit, in one line,
// without the whole usage.
func TestNewFlagSetDurationWithoutUnit(t *testing.T) {
	for _, args := range [][]string{{"--service-time", "100"}, {"-service-time=100"}} {
		var out strings.Builder
		fs := NewFlagSet("lab capacity", "lab capacity [flags]", &out)
		fs.Duration("service-time", 0, "time one request keeps a worker busy")
		err := fs.Parse(args)
		if code := FlagExit(err); code != ExitUsage {
			t.Errorf("%v: exit %d, want %d", args, code, ExitUsage)
		}
		if want := "lab capacity: --service-time 100: add a unit, such as 100ms or 100s\n"; out.String() != want {
			t.Errorf("%v: got %q, want %q", args, out.String(), want)
		}
	}
	// Other mistakes still print the usage.
	var out strings.Builder
	fs := NewFlagSet("lab capacity", "lab capacity [flags]", &out)
	fs.Duration("service-time", 0, "time one request keeps a worker busy")
	fs.Parse([]string{"--service-time", "soon"})
	if !strings.Contains(out.String(), `invalid value "soon"`) || !strings.Contains(out.String(), "usage: lab capacity") {
		t.Errorf("--service-time soon: got %q, want the flag package's error and the usage", out.String())
	}
}

func TestFormats(t *testing.T) {
	tests := []struct{ got, want string }{
		{FormatNumber(28.25), "28.25"},
		{FormatNumber(100), "100"},
		{FormatNumber(0.4234), "0.423"},
		{FormatNumber(1234.56), "1234.6"},
		{FormatDuration(5549 * time.Millisecond), "5.5s"},
		{FormatDuration(90400 * time.Millisecond), "1m30s"},
		{FormatDuration(1234567 * time.Microsecond), "1.2s"},
		{FormatDuration(12345 * time.Microsecond), "12ms"},
		{FormatClock(429 * time.Second), "07m09.0s"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}
