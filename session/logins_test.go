package session_test

import (
	"context"
	"testing"
	"time"
)

// Failed logins count per key in Redis, expire with their window, and clear.
func TestLoginFailures(t *testing.T) {
	ctx := context.Background()
	s := open(t, tuned, time.Hour)
	a, b := "user:"+t.Name(), "addr:"+t.Name()
	for i := 0; i < 3; i++ {
		if err := s.AddFailure(ctx, time.Minute, a, b); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.AddFailure(ctx, time.Minute, b); err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]int{a: 3, b: 4, "user:nobody-" + t.Name(): 0} {
		n, left, err := s.Failures(ctx, key)
		if err != nil || n != want || (want > 0 && (left <= 0 || left > time.Minute)) || (want == 0 && left != 0) {
			t.Errorf("Failures(%s): got %d, %v left, %v; want %d within the minute's window", key, n, left, err, want)
		}
	}
	if err := s.ClearFailures(ctx, a); err != nil {
		t.Fatal(err)
	}
	if n, _, err := s.Failures(ctx, a); err != nil || n != 0 {
		t.Errorf("after ClearFailures: got %d, %v; want 0", n, err)
	}
	t.Cleanup(func() { s.ClearFailures(ctx, b) })
}
