package session_test

import (
	"context"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gomodule/redigo/redis"

	taskoverflow "github.com/taskoverflow-lab/taskoverflow"
	"github.com/taskoverflow-lab/taskoverflow/internal/backingtest"
	"github.com/taskoverflow-lab/taskoverflow/logging"
	"github.com/taskoverflow-lab/taskoverflow/session"
)

func TestMain(m *testing.M) { os.Exit(backingtest.RunTests(m)) }

func open(t *testing.T, pool session.Options, ttl time.Duration) *session.Store {
	t.Helper()
	s, err := session.Open(backingtest.ForTest(t).RedisURL, pool, ttl, logging.Discard())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

var tuned = session.Options{MaxActive: 4, MaxIdle: 4, IdleTimeout: time.Minute, Wait: true}

func TestSessionLifecycle(t *testing.T) {
	ctx := context.Background()
	s := open(t, tuned, time.Hour)
	token, err := s.Create(ctx, taskoverflow.Session{UserID: 7, Username: "planner"})
	if err != nil {
		t.Fatal(err)
	}
	if !session.WellFormed(token) || len(token) != 43 {
		t.Fatalf("token %q: want 43 base64url characters (256 bits)", token)
	}
	got, err := s.Get(ctx, token)
	if err != nil || got.UserID != 7 || got.Username != "planner" {
		t.Fatalf("Get: got %+v, %v", got, err)
	}
	if err := s.Delete(ctx, token); err != nil {
		t.Fatal(err)
	}
	for _, tok := range []string{token, "not-a-token", strings.Repeat("A", 43)} {
		if _, err := s.Get(ctx, tok); taskoverflow.ErrorCode(err) != taskoverflow.EUNAUTHORIZED {
			t.Errorf("Get(%q): got %v, want unauthorized", tok, err)
		}
	}
}

// Redis holds a hash of the token, never the token, and every Get slides the TTL.
func TestSlidingTTLAndHashedKey(t *testing.T) {
	ctx := context.Background()
	s := open(t, tuned, 100*time.Second)
	token, err := s.Create(ctx, taskoverflow.Session{UserID: 1, Username: "studier"})
	if err != nil {
		t.Fatal(err)
	}
	c, err := redis.DialURL(backingtest.ForTest(t).RedisURL)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	keys, err := redis.Strings(c.Do("KEYS", "session:*"))
	if err != nil {
		t.Fatal(err)
	}
	var key string
	for _, k := range keys {
		if strings.Contains(k, token) {
			t.Fatalf("key %q holds the token", k)
		}
		if ttl, _ := redis.Int(c.Do("TTL", k)); ttl > 0 && ttl <= 100 {
			key = k
		}
	}
	if key == "" {
		t.Fatal("no session key with the configured TTL")
	}
	if _, err := c.Do("EXPIRE", key, 5); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, token); err != nil {
		t.Fatal(err)
	}
	if ttl, _ := redis.Int(c.Do("TTL", key)); ttl < 90 {
		t.Errorf("TTL after Get: got %d s, want it slid back to about 100 s", ttl)
	}
}

// A bounded pool never holds more than MaxActive connections, however many
// callers: they wait their turn. REDIS_MAX_ACTIVE=unlimited with a small
// REDIS_MAX_IDLE, the pool of seed 000, dials for concurrent callers and
// closes most connections again rather than keeping them.
func TestPoolBoundedOrNot(t *testing.T) {
	tests := []struct {
		name     string
		pool     session.Options
		maxDials int64 // at most
		minDials int64 // at least
	}{
		{"bounded", session.Options{MaxActive: 3, MaxIdle: 3, IdleTimeout: time.Minute, Wait: true}, 3, 1},
		{"unlimited, small idle", session.Options{Unlimited: true, MaxIdle: 1, IdleTimeout: time.Minute}, 1000, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			s := open(t, tt.pool, time.Hour)
			token, err := s.Create(ctx, taskoverflow.Session{UserID: 1})
			if err != nil {
				t.Fatal(err)
			}
			var wg sync.WaitGroup
			for i := 0; i < 40; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for j := 0; j < 25; j++ {
						if _, err := s.Get(ctx, token); err != nil {
							t.Error(err)
							return
						}
					}
				}()
			}
			wg.Wait()
			if got := s.Dials(); got > tt.maxDials || got < tt.minDials {
				t.Errorf("dials for 1000 calls from 40 goroutines: got %d, want %d to %d", got, tt.minDials, tt.maxDials)
			}
			if st := s.Stats(); !tt.pool.Unlimited && st.ActiveCount > tt.pool.MaxActive {
				t.Errorf("active: got %d, want at most %d", st.ActiveCount, tt.pool.MaxActive)
			}
			t.Logf("%d dials for 1000 calls", s.Dials())
		})
	}
}

func TestOpenRejectsBadURL(t *testing.T) {
	for _, u := range []string{"localhost:6379", "http://cache:6379", "://"} {
		if _, err := session.Open(u, tuned, time.Hour, logging.Discard()); err == nil || !strings.Contains(err.Error(), "REDIS_URL") {
			t.Errorf("Open(%q): got %v, want an error naming REDIS_URL", u, err)
		}
	}
}
