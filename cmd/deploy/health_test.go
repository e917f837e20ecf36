package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-exec/tfexec"
)

func TestCheckHealth(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		wantOK bool
		want   string // part of the answer
	}{
		{"healthy", 200, `{"status":"ok"}`, true, `200 OK {"status":"ok"}`},
		// A 200 from something else on that address is not the app.
		{"other body", 200, `<html>welcome</html>`, false, "body is not"},
		{"other status", 200, `{"status":"starting"}`, false, "body is not"},
		{"unavailable", 503, `{"error":"x"}`, false, "503 Service Unavailable"},
		{"not found", 404, ``, false, "404 Not Found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tt.status)
				fmt.Fprint(w, tt.body)
			}))
			defer srv.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			answer, ok := checkHealth(ctx, srv.Client(), srv.URL)
			if ok != tt.wantOK || !strings.Contains(answer, tt.want) {
				t.Errorf("got %q, %v; want %q, %v", answer, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestWaitHealthyUnreachable(t *testing.T) {
	var progress strings.Builder
	url := closedPort(t)
	err := waitHealthy(context.Background(), url, 200*time.Millisecond, 20*time.Millisecond, &progress)
	if err == nil || !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("got %v, want a timeout naming the refused connection", err)
	}
	// One line for the start and one for the refusal: the unchanged answer is not repeated.
	if got := strings.Count(progress.String(), "\n"); got != 2 {
		t.Errorf("progress lines: got %d, want 2:\n%s", got, progress.String())
	}
}

func TestOutputText(t *testing.T) {
	tests := []struct {
		name string
		meta tfexec.OutputMeta
		want string
	}{
		{"string bare", tfexec.OutputMeta{Value: json.RawMessage(`"http://lb"`)}, "http://lb"},
		{"number as JSON", tfexec.OutputMeta{Value: json.RawMessage(`4`)}, "4"},
		{"list as JSON", tfexec.OutputMeta{Value: json.RawMessage(`["a","b"]`)}, `["a","b"]`},
		// A sensitive output is never printed.
		{"sensitive", tfexec.OutputMeta{Sensitive: true, Value: json.RawMessage(`"hunter2"`)}, "(sensitive, not shown)"},
	}
	for _, tt := range tests {
		if got := outputText(tt.meta); got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestECRRegion(t *testing.T) {
	tests := []struct{ url, want string }{
		{"123456789012.dkr.ecr.us-east-1.amazonaws.com/taskoverflow", "us-east-1"},
		{"123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/app", "cn-north-1"},
		// Not ECR: no region to log in to.
		{"ghcr.io/taskoverflow/app", ""},
		{"", ""},
	}
	for _, tt := range tests {
		if got := ecrRegion(tt.url); got != tt.want {
			t.Errorf("ecrRegion(%q): got %q, want %q", tt.url, got, tt.want)
		}
	}
}
