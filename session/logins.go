package session

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/gomodule/redigo/redis"
)

// failureScript counts one failed login under KEYS[1]; the count expires
// ARGV[1] milliseconds after the first failure of its window (a fixed window,
// set atomically with the first count).
const failureScript = `
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return n`

// failuresScript returns {count, milliseconds left} for KEYS[1]: {0, 0}
// when it has no failures.
const failuresScript = `
local n = redis.call('GET', KEYS[1])
if not n then return {0, 0} end
return {tonumber(n), redis.call('PTTL', KEYS[1])}`

// Failures returns how many failed logins key has in its current window and
// how long that window has to run. Every instance sharing the Redis sees the
// same counts. Redis not answering gives an EUNAVAILABLE error.
func (s *Store) Failures(ctx context.Context, key string) (int, time.Duration, error) {
	reply, err := redis.Int64s(s.script(ctx, failuresScript, failureKey(key)))
	if err != nil {
		return 0, 0, err
	}
	if len(reply) != 2 {
		return 0, 0, fmt.Errorf("login failures: got %d values, want 2", len(reply))
	}
	left := time.Duration(reply[1]) * time.Millisecond
	if left < 0 { // no expiry: never set by AddFailure, count it as a fresh window
		left = 0
	}
	return int(reply[0]), left, nil
}

// AddFailure counts one failed login for each key; a key's count is
// forgotten window after its first failure.
func (s *Store) AddFailure(ctx context.Context, window time.Duration, keys ...string) error {
	for _, k := range keys {
		if _, err := s.script(ctx, failureScript, failureKey(k), window.Milliseconds()); err != nil {
			return err
		}
	}
	return nil
}

// ClearFailures forgets key's failed logins (after a successful one).
func (s *Store) ClearFailures(ctx context.Context, key string) error {
	_, err := s.do(ctx, "DEL", failureKey(key))
	if errors.Is(err, redis.ErrNil) {
		err = nil
	}
	return err
}

// failureKey is where key's count lives; key is hashed, so a username of any
// length makes a short Redis key.
func failureKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return "login_failures:" + hex.EncodeToString(sum[:])
}

// script evaluates the Lua source on one key with args through do.
func (s *Store) script(ctx context.Context, source, key string, args ...any) (any, error) {
	return s.do(ctx, "EVAL", append([]any{source, 1, key}, args...)...)
}
