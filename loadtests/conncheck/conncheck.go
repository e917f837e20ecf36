package conncheck

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Defaults used when a Config leaves a field at its zero value.
const (
	DefaultDialTimeout = 5 * time.Second
	DefaultInterval    = time.Second
)

// Config describes one check.
type Config struct {
	// Host is the target's name or IP address. It is resolved once, before the first dial,
	// unless Addr is set.
	Host string
	// Addr is the target's address when the caller has resolved Host already (see Resolve).
	Addr netip.Addr
	// Port is the target's TCP port (1-65535).
	Port int
	// Connections is how many connections to open (at least 1).
	Connections int
	// Sleep is the pause between two dials; zero dials as fast as possible.
	Sleep time.Duration
	// DialTimeout bounds each handshake; zero means DefaultDialTimeout.
	DialTimeout time.Duration
	// Hold is how long the connections are held once every dial has finished, to see whether
	// the peer closes them (and, with HTTPPath, whether it answers). Zero ends the check as soon
	// as the last dial finishes.
	Hold time.Duration
	// Interval is the period of OnStats calls; zero means DefaultInterval.
	Interval time.Duration
	// HTTPPath, when set (it must start with "/"), turns on the application probe: one
	// "GET HTTPPath HTTP/1.1" on each established connection; a connection that receives a
	// response before the check ends counts as served.
	HTTPPath string
	// WarnFD lets the check start even when the connections cannot fit in this process's
	// RLIMIT_NOFILE (the shortfall is logged and shows up as emfile errors); otherwise Run
	// returns an *FDLimitError.
	WarnFD bool
	// OnStats, when set, receives a snapshot at the start and then every Interval. It is called
	// from Run's goroutine and should return quickly.
	OnStats func(Stats)
	// Logger receives warnings and, at debug level, one line per connection event. Nil discards.
	Logger *slog.Logger
}

// Report is the outcome of a check.
type Report struct {
	// Target is Host:Port as given; Addr is the address dialed.
	Target string `json:"target"`
	Addr   string `json:"addr"`
	// Connections is how many connections the check tried to open.
	Connections int `json:"connections"`
	// HTTPPath is the probe's path, empty without the probe.
	HTTPPath string `json:"http_path,omitempty"`
	// Final holds the states when the check ended.
	Final Stats `json:"final"`
	// Connect summarises the handshake times of the connections that were established.
	Connect DurationStats `json:"connect"`
	// TimeToError summarises how long the failed dials took to fail.
	TimeToError DurationStats `json:"time_to_error"`
	// Errors counts failed dials by cause.
	Errors map[Cause]int `json:"errors"`
	// ClosedBy counts established connections the peer closed, by cause (eof, reset).
	ClosedBy map[Cause]int `json:"closed_by"`
	// HTTPStatus counts the probe's responses by status code.
	HTTPStatus map[int]int `json:"http_status,omitempty"`
	// FDLimit is our side's descriptor budget.
	FDLimit FDLimit `json:"fd_limit"`
	// Elapsed is the check's duration.
	Elapsed time.Duration `json:"-"`
	// Interrupted is true when the context ended the check early.
	Interrupted bool `json:"interrupted"`
}

// MarshalJSON writes the report with its duration in milliseconds and the verdict of Passed.
func (r Report) MarshalJSON() ([]byte, error) {
	type plain Report
	return json.Marshal(struct {
		plain
		ElapsedMS float64 `json:"elapsed_ms"`
		Passed    bool    `json:"passed"`
	}{plain(r), float64(r.Elapsed.Microseconds()) / 1000, r.Passed()})
}

// UnmarshalJSON reads a report MarshalJSON wrote; the verdict is Passed's
// again, not the one written.
func (r *Report) UnmarshalJSON(b []byte) error {
	type plain Report
	var v struct {
		plain
		ElapsedMS float64 `json:"elapsed_ms"`
		Passed    bool    `json:"passed"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*r = Report(v.plain)
	r.Elapsed = time.Duration(v.ElapsedMS * float64(time.Millisecond)).Round(time.Microsecond)
	r.Final.Elapsed, r.Final.Probing = r.Elapsed, r.HTTPPath != ""
	return nil
}

// Passed reports whether every connection was established and still open at the end and, with
// the HTTP probe, every one of them was served.
func (r Report) Passed() bool {
	if r.Interrupted || r.Final.Established != r.Connections {
		return false
	}
	return r.HTTPPath == "" || r.Final.Served >= r.Connections
}

// Resolve looks host up once and returns the address a check dials: host itself when it is an
// IP address, otherwise the first IPv4 address it resolves to, or the first IPv6 one. It returns
// an error when the name does not resolve. Names under the reserved top-level domain
// "invalid" never resolve (RFC 6761) and are answered without asking a resolver.
func Resolve(ctx context.Context, host string) (netip.Addr, error) {
	if host == "" {
		return netip.Addr{}, errors.New("empty host")
	}
	if a, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
		return a.Unmap(), nil
	}
	if name := strings.ToLower(strings.TrimSuffix(host, ".")); name == "invalid" || strings.HasSuffix(name, ".invalid") {
		return netip.Addr{}, fmt.Errorf("resolve %q: no such host (the .invalid domain never resolves)", host)
	}
	addrs, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("resolve %q: %w", host, err)
	}
	if len(addrs) == 0 {
		return netip.Addr{}, fmt.Errorf("resolve %q: no addresses", host)
	}
	for _, a := range addrs {
		if a.Unmap().Is4() {
			return a.Unmap(), nil
		}
	}
	return addrs[0], nil
}

// validate checks c and returns it with defaults filled in, or an error naming the bad field.
func (c Config) validate() (Config, error) {
	switch {
	case c.Host == "" && !c.Addr.IsValid():
		return c, errors.New("no host")
	case c.Port < 1 || c.Port > 65535:
		return c, fmt.Errorf("port %d out of range 1-65535", c.Port)
	case c.Connections < 1:
		return c, fmt.Errorf("connections must be at least 1, got %d", c.Connections)
	case c.Sleep < 0:
		return c, fmt.Errorf("sleep must not be negative, got %v", c.Sleep)
	case c.DialTimeout < 0:
		return c, fmt.Errorf("dial timeout must not be negative, got %v", c.DialTimeout)
	case c.Hold < 0:
		return c, fmt.Errorf("hold must not be negative, got %v", c.Hold)
	case c.Interval < 0:
		return c, fmt.Errorf("interval must not be negative, got %v", c.Interval)
	case c.HTTPPath != "" && (!strings.HasPrefix(c.HTTPPath, "/") || strings.ContainsAny(c.HTTPPath, " \r\n\t")):
		return c, fmt.Errorf("HTTP path %q must start with / and hold no spaces", c.HTTPPath)
	}
	if c.DialTimeout == 0 {
		c.DialTimeout = DefaultDialTimeout
	}
	if c.Interval == 0 {
		c.Interval = DefaultInterval
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Host == "" {
		c.Host = c.Addr.String()
	}
	c.Host = strings.TrimSuffix(strings.TrimPrefix(c.Host, "["), "]")
	return c, nil
}

// Run performs the check described by cfg and returns its report. It returns an error only when
// the check cannot start: an invalid Config, a host that does not resolve, or (without WarnFD)
// connections that cannot fit in this process's file descriptor limit. Connections that fail are
// results, counted in the Report. Cancelling ctx stops the check early; the report then has
// Interrupted set.
func Run(ctx context.Context, cfg Config) (Report, error) {
	cfg, err := cfg.validate()
	if err != nil {
		return Report{}, err
	}
	addr := cfg.Addr
	if !addr.IsValid() {
		if addr, err = Resolve(ctx, cfg.Host); err != nil {
			return Report{}, err
		}
	}
	limit, err := prepareFDs(cfg.Connections)
	if err != nil {
		return Report{}, err
	}
	if !limit.Fits() {
		if !cfg.WarnFD {
			return Report{}, &FDLimitError{Connections: cfg.Connections, Limit: limit}
		}
		cfg.Logger.Warn("connections may not fit in our file descriptor limit; expect emfile errors",
			"connections", cfg.Connections, "soft", limit.Soft, "hard", limit.Hard, "open", limit.Open)
	}

	c := &check{
		cfg:     cfg,
		addr:    netip.AddrPortFrom(addr, uint16(cfg.Port)).String(),
		tracker: newTracker(cfg.Connections, cfg.HTTPPath != ""),
	}
	if cfg.HTTPPath != "" {
		c.request = []byte("GET " + cfg.HTTPPath + " HTTP/1.1\r\n" +
			"Host: " + net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port)) + "\r\n" +
			"User-Agent: taskoverflow-loadtest-conns\r\nAccept: */*\r\n\r\n")
	}
	report := Report{
		Target:      net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port)),
		Addr:        c.addr,
		Connections: cfg.Connections,
		HTTPPath:    cfg.HTTPPath,
		FDLimit:     limit,
	}
	report.Interrupted, report.Elapsed = c.run(ctx)
	c.tracker.freeze(&report)
	c.wg.Wait()
	return report, nil
}

// check is one Run in progress.
type check struct {
	cfg     Config
	addr    string
	request []byte
	tracker *tracker
	wg      sync.WaitGroup
}

// run dials, holds and then closes every connection. It returns whether ctx ended it and how
// long it took; the tracker is frozen before the connections are closed.
func (c *check) run(ctx context.Context) (interrupted bool, elapsed time.Duration) {
	start := time.Now()
	conns, closeAll := context.WithCancel(context.WithoutCancel(ctx))
	defer closeAll()

	c.emit(start) // before the first dial: every connection not initiated
	c.wg.Go(func() { c.dialAll(ctx, conns) })

	ticker := time.NewTicker(c.cfg.Interval)
	defer ticker.Stop()
	poll := time.NewTicker(5 * time.Millisecond)
	defer poll.Stop()

	var holdEnd <-chan time.Time
	for {
		select {
		case <-ctx.Done():
			c.freezeAndClose(closeAll)
			return true, time.Since(start)
		case <-holdEnd:
			c.freezeAndClose(closeAll)
			return false, time.Since(start)
		case <-ticker.C:
			c.emit(start)
		case <-poll.C:
			s := c.tracker.snapshot()
			if s.final() {
				c.freezeAndClose(closeAll)
				return false, time.Since(start)
			}
			if holdEnd == nil && s.settled() {
				holdEnd = time.After(c.cfg.Hold)
			}
		}
	}
}

// freezeAndClose stops counting, then closes every connection and aborts pending dials.
func (c *check) freezeAndClose(closeAll context.CancelFunc) {
	c.tracker.stop()
	closeAll()
}

func (c *check) emit(start time.Time) {
	if c.cfg.OnStats == nil {
		return
	}
	s := c.tracker.snapshot()
	s.Elapsed = time.Since(start)
	c.cfg.OnStats(s)
}

// dialAll starts one goroutine per connection, pausing cfg.Sleep between them. It stops early
// when ctx (the caller's) or conns (the check's end) is done.
func (c *check) dialAll(ctx, conns context.Context) {
	for i := range c.cfg.Connections {
		if i > 0 && c.cfg.Sleep > 0 {
			t := time.NewTimer(c.cfg.Sleep)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				return
			case <-conns.Done():
				t.Stop()
				return
			}
		}
		if ctx.Err() != nil || conns.Err() != nil {
			return
		}
		c.tracker.dialing()
		c.wg.Go(func() { c.connect(conns, i+1) })
	}
}

// connect dials one connection, probes it when asked, and waits until the peer closes it or the
// check ends.
func (c *check) connect(ctx context.Context, id int) {
	log := c.cfg.Logger
	d := net.Dialer{Timeout: c.cfg.DialTimeout}
	start := time.Now()
	conn, err := d.DialContext(ctx, "tcp", c.addr)
	took := time.Since(start)
	if err != nil {
		cause := Classify(err)
		c.tracker.failed(took, cause)
		log.Debug("dial failed", "conn", id, "cause", cause, "after", took, "err", err)
		return
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	c.tracker.established(took)
	log.Debug("established", "conn", id, "after", took)

	var r io.Reader = conn
	if c.request != nil {
		br := bufio.NewReaderSize(conn, 1024)
		r = br
		status, err := c.probe(conn, br)
		switch {
		case err == nil:
			c.tracker.markServed(status)
			log.Debug("served", "conn", id, "status", status)
		case isClose(err):
			c.closed(ctx, id, err)
			return
		default:
			// Not an HTTP answer: the connection stays open but unserved.
			log.Debug("no HTTP response", "conn", id, "err", err)
		}
	}
	c.closed(ctx, id, drain(r))
}

// drain reads and drops whatever the peer sends until the connection ends, and returns why it
// ended (io.EOF for a clean close). It uses a small buffer: thousands of connections sit here.
func drain(r io.Reader) error {
	var buf [256]byte
	for {
		if _, err := r.Read(buf[:]); err != nil {
			return err
		}
	}
}

// probe sends the HTTP request and reads the response head, returning its status code.
func (c *check) probe(conn net.Conn, br *bufio.Reader) (int, error) {
	if _, err := conn.Write(c.request); err != nil {
		return 0, err
	}
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		return 0, err
	}
	return resp.StatusCode, nil
}

// isClose reports whether err means the connection is gone (rather than, say, a reply that is
// not HTTP).
func isClose(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) || Classify(err) != CauseOther
}

func (c *check) closed(ctx context.Context, id int, err error) {
	if ctx.Err() != nil {
		return // our own close at the end of the check
	}
	cause := Classify(err)
	c.tracker.closed(cause)
	c.cfg.Logger.Debug("closed by peer", "conn", id, "cause", cause, "err", err)
}
