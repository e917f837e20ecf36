package logging

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
)

// decode returns the JSON lines written to b.
func decode(t *testing.T, b *bytes.Buffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(b.String()), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("not a JSON line: %q: %v", line, err)
		}
		out = append(out, m)
	}
	return out
}

// A record logged with a request's context carries the request's id,
// method and URL; one logged without does not.
func TestRequestFieldsStampEveryRecord(t *testing.T) {
	var b bytes.Buffer
	log := New(&b, "json", slog.LevelDebug, false)
	ctx := WithRequest(context.Background(), Request{ID: "r-1", Method: "GET", URL: "/api/v1/todos"})
	log.DebugContext(ctx, "sql", "rows", 3)
	log.With("component", "store").InfoContext(ctx, "redis")
	log.Info("started")
	lines := decode(t, &b)
	if len(lines) != 3 {
		t.Fatalf("got %d lines, want 3", len(lines))
	}
	for i, want := range []string{"sql", "redis"} {
		l := lines[i]
		if l["msg"] != want || l["request_id"] != "r-1" || l["method"] != "GET" || l["url"] != "/api/v1/todos" {
			t.Errorf("line %d: got %v, want %s with the request's id, method and URL", i+1, l, want)
		}
	}
	if lines[1]["component"] != "store" {
		t.Errorf("With's attributes lost: %v", lines[1])
	}
	if _, ok := lines[2]["request_id"]; ok {
		t.Errorf("a record without a request's context got a request_id: %v", lines[2])
	}
}

func TestRequestFrom(t *testing.T) {
	if _, ok := RequestFrom(context.Background()); ok || RequestIDFrom(context.Background()) != "" {
		t.Error("a bare context: got a request, want none")
	}
	ctx := WithRequest(context.Background(), Request{ID: "abc"})
	if got := RequestIDFrom(ctx); got != "abc" {
		t.Errorf("got %q, want abc", got)
	}
}

// The level drops what is below it.
func TestLevel(t *testing.T) {
	var b bytes.Buffer
	log := New(&b, "json", slog.LevelInfo, false)
	log.Debug("hidden")
	log.Warn("shown")
	lines := decode(t, &b)
	if len(lines) != 1 || lines[0]["msg"] != "shown" || lines[0]["level"] != "WARN" {
		t.Errorf("got %v, want only the warning", lines)
	}
}

// The format: JSON for json, and for auto when the output is not a
// terminal; text, without colour codes off a terminal, for text.
func TestFormats(t *testing.T) {
	tests := []struct {
		format   string
		terminal bool
		json     bool
	}{
		{"json", false, true},
		{"json", true, true},
		{"auto", false, true},
		{"auto", true, false},
		{"text", false, false},
	}
	for _, tt := range tests {
		var b bytes.Buffer
		New(&b, tt.format, slog.LevelInfo, tt.terminal).InfoContext(WithRequest(context.Background(), Request{ID: "r-9"}), "hello", "n", 1)
		out := b.String()
		isJSON := json.Valid(bytes.TrimSpace(b.Bytes()))
		if isJSON != tt.json {
			t.Errorf("%s, terminal %v: got %q, want JSON %v", tt.format, tt.terminal, out, tt.json)
		}
		if !strings.Contains(out, "r-9") || !strings.Contains(out, "hello") {
			t.Errorf("%s, terminal %v: got %q, want the message and its request id", tt.format, tt.terminal, out)
		}
		if !tt.terminal && strings.Contains(out, "\x1b[") {
			t.Errorf("%s off a terminal: got colour codes in %q", tt.format, out)
		}
	}
}

func TestDiscard(t *testing.T) {
	log := Discard()
	if log.Enabled(context.Background(), slog.LevelError) {
		t.Error("Discard is enabled, want it to drop everything")
	}
	log.Error("nothing") // must not panic
}
