package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
)

// waitHealthy polls url until it answers 200 {"status":"ok"}, for at most timeout, pausing
// interval between attempts. It prints each change of answer, and the answer at least every
// 30s, so a long wait shows that it is alive. Its error carries the last answer.
func waitHealthy(ctx context.Context, url string, timeout, interval time.Duration, progress io.Writer) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	client := &http.Client{Timeout: 10 * time.Second}
	start := time.Now()
	var last string
	var lastPrinted time.Time
	fmt.Fprintf(progress, "    waiting up to %v for %s\n", timeout, url)
	for {
		answer, ok := checkHealth(ctx, client, url)
		if ok {
			fmt.Fprintf(progress, "    %s after %v\n", answer, time.Since(start).Round(time.Second))
			return nil
		}
		if ctx.Err() != nil && last != "" {
			answer = last // cut short by the bound: the answer before it says more
		}
		if answer != last || time.Since(lastPrinted) >= 30*time.Second {
			fmt.Fprintf(progress, "    %s (%v)\n", answer, time.Since(start).Round(time.Second))
			last, lastPrinted = answer, time.Now()
		}
		select {
		case <-ctx.Done():
			if ctx.Err() == context.DeadlineExceeded {
				return fmt.Errorf("%s did not answer 200 within %v; last answer: %s", url, timeout, last)
			}
			return ctx.Err()
		case <-time.After(interval):
		}
	}
}

// checkHealth makes one request and describes the answer; ok is true for 200 {"status":"ok"}.
func checkHealth(ctx context.Context, client *http.Client, url string) (answer string, ok bool) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err.Error(), false
	}
	resp, err := client.Do(req)
	if err != nil {
		return err.Error(), false
	}
	defer resp.Body.Close()
	var body struct {
		Status string `json:"status"`
	}
	decodeErr := json.NewDecoder(io.LimitReader(resp.Body, 1<<16)).Decode(&body)
	if resp.StatusCode != http.StatusOK {
		return resp.Status, false
	}
	if decodeErr != nil || body.Status != "ok" {
		return fmt.Sprintf("%s but the body is not {\"status\":\"ok\"}", resp.Status), false
	}
	return resp.Status + ` {"status":"ok"}`, true
}
