// Package session keeps logged-in users' sessions in Redis through a redigo
// pool whose every knob is set by its Options (the server maps its
// configuration onto them). Its zero-value trap, an unbounded MaxActive, must
// be asked for by name (Unlimited; REDIS_MAX_ACTIVE=unlimited).
// Every command is logged at debug with the request id of its context.
package session

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"sync/atomic"
	"time"

	"github.com/gomodule/redigo/redis"

	taskoverflow "github.com/taskoverflow-lab/taskoverflow"
)

// tokenBytes is the size of a session token's randomness: 256 bits.
const tokenBytes = 32

// Store keeps sessions in Redis.
type Store struct {
	pool  *redis.Pool
	ttl   time.Duration
	log   *slog.Logger
	dials atomic.Int64
}

// Options are the pool's settings (the server maps REDIS_* configuration
// onto them). MaxActive 0 is redigo's "unlimited": it must be asked for with
// Unlimited, never reached by leaving MaxActive unset.
type Options struct {
	MaxActive   int // 0 only when Unlimited is set
	Unlimited   bool
	MaxIdle     int
	IdleTimeout time.Duration
	Wait        bool // wait for a free connection instead of failing at MaxActive
	// Password, when set, is the AUTH password (REDIS_PASSWORD); it
	// overrides the URL's.
	Password string
	// CAFile names a PEM file of the CAs a rediss:// server is checked
	// against instead of the system's roots.
	CAFile string
}

// Open configures a pool for rawURL with cfg; sessions live ttl from their
// last use. It does not wait for Redis: the first command dials. It returns
// an error for a URL that is not redis:// or rediss://, and for MaxActive 0
// without Unlimited.
func Open(rawURL string, cfg Options, ttl time.Duration, log *slog.Logger) (*Store, error) {
	if u, err := url.Parse(rawURL); err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") {
		return nil, errors.New("REDIS_URL: want redis://host:port/db or rediss://…")
	}
	if cfg.MaxActive < 0 || (cfg.MaxActive == 0 && !cfg.Unlimited) {
		return nil, fmt.Errorf("session: MaxActive %d: want a bound above 0, or Unlimited", cfg.MaxActive)
	}
	maxActive := cfg.MaxActive
	if cfg.Unlimited {
		maxActive = 0 // redigo's unlimited
	}
	rawURL, tlsOpts, err := dialSettings(rawURL, cfg)
	if err != nil {
		return nil, err
	}
	s := &Store{ttl: ttl, log: log}
	s.pool = &redis.Pool{
		MaxActive:   maxActive,
		MaxIdle:     cfg.MaxIdle,
		IdleTimeout: cfg.IdleTimeout,
		Wait:        cfg.Wait,
		DialContext: func(ctx context.Context) (redis.Conn, error) {
			start := time.Now()
			c, err := redis.DialURLContext(ctx, rawURL, append(tlsOpts,
				redis.DialConnectTimeout(2*time.Second),
				redis.DialReadTimeout(2*time.Second),
				redis.DialWriteTimeout(2*time.Second))...)
			s.dials.Add(1)
			s.log.LogAttrs(ctx, slog.LevelDebug, "redis dial",
				slog.Float64("duration_ms", ms(time.Since(start))), slog.Bool("ok", err == nil))
			return c, err
		},
		// A connection idle for long may have been dropped (Redis restarted,
		// a NAT timed out): check it before use.
		TestOnBorrow: func(c redis.Conn, idleSince time.Time) error {
			if time.Since(idleSince) < time.Minute {
				return nil
			}
			_, err := c.Do("PING")
			return err
		},
	}
	return s, nil
}

// Close closes the pool's idle connections; those in use close when released.
func (s *Store) Close() error { return s.pool.Close() }

// Stats returns the pool's statistics.
func (s *Store) Stats() redis.PoolStats { return s.pool.Stats() }

// Dials returns how many connections the pool has dialled since Open.
func (s *Store) Dials() int64 { return s.dials.Load() }

// Ping checks that Redis answers.
func (s *Store) Ping(ctx context.Context) error {
	_, err := s.do(ctx, "PING")
	return err
}

// Create stores sess under a new random token and returns the token.
func (s *Store) Create(ctx context.Context, sess taskoverflow.Session) (string, error) {
	var b [tokenBytes]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	token := base64.RawURLEncoding.EncodeToString(b[:])
	data, err := json.Marshal(sess)
	if err != nil {
		return "", err
	}
	if _, err := s.do(ctx, "SET", key(token), data, "EX", int64(s.ttl/time.Second)); err != nil {
		return "", err
	}
	return token, nil
}

// Get loads the session of token and extends its lifetime (a sliding TTL). A
// token that is malformed, unknown or expired gives an EUNAUTHORIZED error;
// Redis not answering an EUNAVAILABLE one.
func (s *Store) Get(ctx context.Context, token string) (taskoverflow.Session, error) {
	var sess taskoverflow.Session
	if !WellFormed(token) {
		return sess, taskoverflow.Errorf(taskoverflow.EUNAUTHORIZED, "not logged in")
	}
	data, err := redis.Bytes(s.do(ctx, "GETEX", key(token), "EX", int64(s.ttl/time.Second)))
	if errors.Is(err, redis.ErrNil) {
		return sess, taskoverflow.Errorf(taskoverflow.EUNAUTHORIZED, "session expired or logged out")
	}
	if err != nil {
		return sess, err
	}
	if err := json.Unmarshal(data, &sess); err != nil {
		return sess, fmt.Errorf("session data: %w", err)
	}
	return sess, nil
}

// Delete removes the session of token, if any.
func (s *Store) Delete(ctx context.Context, token string) error {
	if !WellFormed(token) {
		return nil
	}
	_, err := s.do(ctx, "DEL", key(token))
	return err
}

// WellFormed reports whether token could be one Create made.
func WellFormed(token string) bool {
	b, err := base64.RawURLEncoding.DecodeString(token)
	return err == nil && len(b) == tokenBytes
}

// key is where a token's session lives. Redis holds only a hash of the token,
// so a copy of its data opens no session.
func key(token string) string {
	sum := sha256.Sum256([]byte(token))
	return "session:" + hex.EncodeToString(sum[:])
}

// do runs one command on a pooled connection, logging it. A connection that
// fails (not a Redis error reply) is retried once on a fresh one: the pool may
// hold connections a restarted Redis has dropped. Failures to reach Redis are
// EUNAVAILABLE errors.
func (s *Store) do(ctx context.Context, cmd string, args ...any) (any, error) {
	var reply any
	var err error
	for attempt := 0; attempt < 2; attempt++ {
		reply, err = s.doOnce(ctx, cmd, args...)
		var replyErr redis.Error
		if err == nil || errors.As(err, &replyErr) || errors.Is(err, redis.ErrNil) || ctx.Err() != nil {
			break
		}
	}
	var replyErr redis.Error
	if err != nil && !errors.As(err, &replyErr) {
		return nil, &taskoverflow.Error{Code: taskoverflow.EUNAVAILABLE, Message: "sessions are unavailable (Redis does not answer); try again", Err: err}
	}
	return reply, err
}

func (s *Store) doOnce(ctx context.Context, cmd string, args ...any) (any, error) {
	start := time.Now()
	c, err := s.pool.GetContext(ctx)
	wait := time.Since(start)
	if err == nil {
		var reply any
		reply, err = redis.DoContext(c, ctx, cmd, args...)
		if err == nil && reply == nil {
			err = redis.ErrNil
		}
		c.Close()
		if err == nil || errors.Is(err, redis.ErrNil) {
			s.logCmd(ctx, cmd, start, wait, err)
			return reply, err
		}
	}
	s.logCmd(ctx, cmd, start, wait, err)
	return nil, err
}

func (s *Store) logCmd(ctx context.Context, cmd string, start time.Time, wait time.Duration, err error) {
	level := slog.LevelDebug
	if err != nil && !errors.Is(err, redis.ErrNil) {
		level = slog.LevelWarn
	}
	if !s.log.Enabled(ctx, level) {
		return
	}
	attrs := []slog.Attr{
		slog.String("cmd", cmd),
		slog.Float64("duration_ms", ms(time.Since(start))),
		slog.Float64("pool_wait_ms", ms(wait)),
	}
	if err != nil && !errors.Is(err, redis.ErrNil) {
		attrs = append(attrs, slog.String("err", err.Error()))
	}
	s.log.LogAttrs(ctx, level, "redis", attrs...)
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
