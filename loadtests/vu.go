package loadtests

import (
	"context"
	crand "crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/taskoverflow-lab/taskoverflow/loadtests/metrics"
)

// RequestIDHeader is the header every request carries with a fresh id, so
// that any slow or failed request in a report can be found in the server's
// logs.
const RequestIDHeader = "X-Request-ID"

// connBufferSize is the read and write buffer a connection borrows for an
// exchange; bodies larger than it bypass it.
const connBufferSize = 4096

// VU is one virtual user. Each VU has its own HTTP client: its own cookie
// jar (a login sticks to the VU) and its own keep-alive connections. A VU
// runs one iteration at a time, so its methods are not safe for concurrent
// use; scenario code never needs that.
type VU struct {
	// ID is unique within the run, starting at 1.
	ID int
	// Scenario is the name of the scenario the VU runs in.
	Scenario string
	// Endpoint is the base URL requests are relative to, without a trailing
	// slash.
	Endpoint string
	// Iteration counts the iterations this VU started, from 0.
	Iteration int
	// State is free for scenario code, kept across iterations: a username,
	// the ids a user created. It survives until the VU stops.
	State any

	ctx     context.Context
	run     *engine
	client  httpClient
	shard   *metrics.Shard
	rng     *rand.Rand
	started bool
	// tm is the timing of the request under way, in the VU so that it
	// costs no allocation.
	tm timing
	// last is the request name and what it got (a status, or the error),
	// for the checks that follow it in the iteration.
	lastName, lastSeen string
}

func (e *engine) newVU(scenario string) *VU {
	id := int(e.nextVU.Add(1))
	var seed [32]byte
	_, _ = crand.Read(seed[:])
	vu := &VU{
		ID:       id,
		Scenario: scenario,
		Endpoint: e.endpoint,
		run:      e,
		shard:    e.rec.Shard(id),
		rng:      rand.New(rand.NewChaCha8(seed)),
		ctx:      context.Background(),
	}
	vu.client = newHTTPClient(e.client, e.clock, e.buffers)
	return vu
}

// close drops the VU's idle connections.
func (vu *VU) close() {
	vu.client.closeIdle()
}

// Context returns the context of the running iteration: it is done when the
// iteration is interrupted.
func (vu *VU) Context() context.Context { return vu.ctx }

// Rand returns the VU's random source (not for secrets).
func (vu *VU) Rand() *rand.Rand { return vu.rng }

// Check records the outcome of a named check and returns ok, as k6's check.
// A failed check is listed in the summary under the last request the
// iteration made and the status (or error) that request got: "is status
// 200: ✗ 40 (POST /api/v1/todos got 201 ×40)". For a check on something
// else than the last response, use CheckValue.
func (vu *VU) Check(name string, ok bool) bool {
	vu.shard.CheckSeen(name, ok, vu.lastName, vu.lastSeen)
	return ok
}

// CheckValue records the outcome of a named check on a value, such as a
// count, and returns ok; a failure is listed with the value seen.
func (vu *VU) CheckValue(name string, ok bool, seen any) bool {
	vu.shard.CheckSeen(name, ok, "", fmt.Sprint(seen))
	return ok
}

// Report adds v to a finding of the run, such as the number of todos a
// scenario left behind; findings appear in the summary.
func (vu *VU) Report(name string, v int64) { vu.shard.Finding(name, v) }

// Sleep pauses the VU for d, compressed by the run's time scale. It returns
// the iteration context's error when the iteration is interrupted first.
func (vu *VU) Sleep(d time.Duration) error {
	d = vu.run.scaleTime(d)
	if d <= 0 {
		return vu.ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-vu.ctx.Done():
		return vu.ctx.Err()
	}
}

// Request describes one HTTP request.
type Request struct {
	Method string
	// URL is a path joined to the endpoint ("/api/v1/todos") or an absolute
	// http(s) URL.
	URL string
	// Name groups the request in the results; it defaults to the method and
	// the path. Give one to URLs holding ids: "DELETE /api/v1/todos/{id}".
	Name   string
	Header http.Header
	// Body is sent as is. With a nil Body, JSON (when not nil) is marshalled
	// and sent with Content-Type application/json.
	Body []byte
	JSON any
	// Timeout overrides the run's request timeout (60 s by default, as k6).
	Timeout time.Duration
	// Expected lists the statuses that count as success, as k6's
	// expectedStatuses; empty means 200 to 399. A request asking for a 404
	// on purpose lists it, and http_req_failed counts only the others.
	Expected []int
}

// expects tells whether status counts as success for r.
func (r *Request) expects(status int) bool {
	if len(r.Expected) == 0 {
		return status >= 200 && status <= 399
	}
	return slices.Contains(r.Expected, status)
}

// Option adjusts a Request made through Get, Post, Put or Delete.
type Option func(*Request)

// Name sets the name a request is grouped under.
func Name(name string) Option { return func(r *Request) { r.Name = name } }

// Expect sets the statuses that count as success for the request, instead
// of 200 to 399 (k6's expectedStatuses): Expect(404) for a request that asks
// for a missing todo on purpose.
func Expect(statuses ...int) Option {
	return func(r *Request) { r.Expected = append(r.Expected, statuses...) }
}

// Header adds a request header.
func Header(key, value string) Option {
	return func(r *Request) {
		if r.Header == nil {
			r.Header = http.Header{}
		}
		r.Header.Add(key, value)
	}
}

// Response is what a request returned.
type Response struct {
	// Status is the HTTP status, 0 when no response arrived (see Err).
	Status int
	Header http.Header
	// Body holds the whole body, or its first bytes when the run bounds
	// them (Options.MaxBody), or nothing (Options.DiscardBodies).
	Body []byte
	// Size is the length of the whole body as received.
	Size int64
	// Truncated tells that Body holds less than the whole body.
	Truncated bool
	// Err is set when no complete response arrived: a timeout, a refused
	// or reset connection, or the iteration was interrupted.
	Err error
	// RequestID is the X-Request-ID the request was sent with.
	RequestID string
	// Duration is sending + waiting + receiving (until the error if any).
	Duration time.Duration
}

// JSON decodes the body into v. It returns an error naming the status when
// the body is not the JSON wanted.
func (r *Response) JSON(v any) error {
	if r.Err != nil {
		return r.Err
	}
	if err := json.Unmarshal(r.Body, v); err != nil {
		return fmt.Errorf("status %d: body is not the JSON wanted: %w", r.Status, err)
	}
	return nil
}

// Get sends a GET request.
func (vu *VU) Get(url string, opts ...Option) *Response {
	return vu.send(http.MethodGet, url, nil, opts)
}

// Post sends a POST request; body is sent as JSON unless it is a []byte or
// a string.
func (vu *VU) Post(url string, body any, opts ...Option) *Response {
	return vu.send(http.MethodPost, url, body, opts)
}

// Put sends a PUT request; body as for Post.
func (vu *VU) Put(url string, body any, opts ...Option) *Response {
	return vu.send(http.MethodPut, url, body, opts)
}

// Delete sends a DELETE request.
func (vu *VU) Delete(url string, opts ...Option) *Response {
	return vu.send(http.MethodDelete, url, nil, opts)
}

func (vu *VU) send(method, url string, body any, opts []Option) *Response {
	req := Request{Method: method, URL: url}
	switch b := body.(type) {
	case nil:
	case []byte:
		req.Body = b
	case string:
		req.Body = []byte(b)
	default:
		req.JSON = b
	}
	for _, o := range opts {
		o(&req)
	}
	return vu.Do(req)
}

// Do sends one request, records its result and returns the response. A
// request cut off because the iteration was interrupted is not recorded.
func (vu *VU) Do(r Request) *Response {
	resp := &Response{RequestID: vu.newRequestID()}
	// Until an answer comes, a check after this request saw it not sent.
	vu.lastName, vu.lastSeen = r.Name, "no request sent"
	if vu.lastName == "" {
		vu.lastName = strings.TrimSpace(r.Method + " " + r.URL)
	}
	target := r.URL
	if !strings.HasPrefix(target, "http://") && !strings.HasPrefix(target, "https://") {
		if !strings.HasPrefix(target, "/") {
			target = "/" + target
		}
		target = vu.Endpoint + target
	}
	if r.Method == "" {
		r.Method = http.MethodGet
	}
	body := r.Body
	if body == nil && r.JSON != nil {
		b, err := json.Marshal(r.JSON)
		if err != nil {
			resp.Err = fmt.Errorf("marshal request body: %w", err)
			return resp
		}
		body = b
	}
	timeout := r.Timeout
	if timeout <= 0 {
		timeout = vu.run.requestTimeout
	}
	hreq, err := http.NewRequestWithContext(vu.ctx, r.Method, target, nil)
	if err != nil {
		resp.Err = fmt.Errorf("bad request %s %s: %w", r.Method, target, err)
		vu.shard.Error(vu.Scenario, "request", resp.Err.Error())
		return resp
	}
	for k, vs := range r.Header {
		hreq.Header[k] = vs
	}
	hreq.Header.Set(RequestIDHeader, resp.RequestID)
	hreq.Header.Set("User-Agent", "taskoverflow-loadtest/1")
	if body != nil && r.JSON != nil && hreq.Header.Get("Content-Type") == "" {
		hreq.Header.Set("Content-Type", "application/json")
	}
	name := r.Name
	if name == "" {
		name = r.Method + " " + hreq.URL.Path
	}

	sent0, recv0 := vu.client.counted()
	start := time.Now()
	vu.tm = timing{start: vu.run.clock()}
	tm := &vu.tm
	got, err := vu.client.do(vu.ctx, start.Add(timeout), hreq, body, tm)
	if err == nil {
		resp.Status = got.resp.StatusCode
		resp.Header = got.resp.Header
		resp.Body, resp.Size, resp.Truncated = got.body, got.size, got.truncated
	}
	sent1, recv1 := vu.client.counted()
	if tm.end == 0 {
		tm.end = vu.run.clock()
	}
	resp.Err = err

	res := metrics.Result{
		Name: name, Method: r.Method, URL: hreq.URL.String(), Status: resp.Status,
		Start: start, RequestID: resp.RequestID,
		Sent: sent1 - sent0, Received: recv1 - recv0,
	}
	tm.phases(&res)
	resp.Duration = res.Duration
	if err != nil {
		if vu.ctx.Err() != nil {
			// Interrupted by the end of the scenario, not a failure of the
			// system under test.
			vu.lastName, vu.lastSeen = name, "interrupted"
			return resp
		}
		res.Status = 0
		res.Kind, res.Message = classify(err)
		resp.Status = 0
		vu.lastName, vu.lastSeen = name, res.Message
	} else {
		if !r.expects(resp.Status) {
			res.Kind = fmt.Sprintf("status %d", resp.Status)
			res.Message = statusMessage(resp.Status, resp.Body)
		}
		vu.lastName, vu.lastSeen = name, strconv.Itoa(resp.Status)
	}
	vu.shard.Request(&res)
	if len(vu.run.feeds) > 0 {
		vu.run.emit(vu, &res)
	}
	return resp
}

// newRequestID returns a random UUID (version 4) from the VU's own source:
// unique enough to find a request in the logs, and no lock or system call
// on the hot path.
func (vu *VU) newRequestID() string {
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:8], vu.rng.Uint64())
	binary.LittleEndian.PutUint64(b[8:], vu.rng.Uint64())
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	const hex = "0123456789abcdef"
	var s [36]byte
	j := 0
	for i, c := range b {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			s[j] = '-'
			j++
		}
		s[j], s[j+1] = hex[c>>4], hex[c&0xf]
		j += 2
	}
	return string(s[:])
}

// classify maps a transport error to a failure kind and a message fit for
// grouping (without the URL, which differs between requests).
func classify(err error) (kind, message string) {
	var ne net.Error
	var dns *net.DNSError
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded),
		errors.As(err, &ne) && ne.Timeout():
		return "timeout", "request timeout"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "refused", "connection refused"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return "reset", "connection reset by peer"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "eof", "server closed the connection"
	case errors.Is(err, syscall.EMFILE), errors.Is(err, syscall.ENFILE):
		return "emfile", "too many open files on the load generator"
	case errors.As(err, &dns):
		return "dns", "cannot resolve host: " + dns.Err
	}
	// Leave out what differs between requests (URLs, ports) so that
	// failures of one cause fall into one group.
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Err != nil {
		return "other", oe.Op + ": " + oe.Err.Error()
	}
	return "other", err.Error()
}

// statusMessage describes a failed status with the error the body carries,
// if it is the API's JSON error.
func statusMessage(status int, body []byte) string {
	msg := fmt.Sprintf("%d %s", status, http.StatusText(status))
	var e struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(body, &e) == nil && e.Error != "" {
		if len(e.Error) > 120 {
			e.Error = e.Error[:120] + "…"
		}
		msg += ": " + e.Error
	}
	return msg
}

// phases fills a result's timings: duration is sending + waiting +
// receiving (from the connection on), as k6's http_req_duration; a request
// that never got a connection lasts until its error.
func (t *timing) phases(r *metrics.Result) {
	from := t.start
	if t.gotConn > 0 {
		from = t.gotConn
	}
	r.Duration = time.Duration(t.end - from)
	if t.connStart > 0 && t.connDone >= t.connStart {
		r.Connecting = time.Duration(t.connDone - t.connStart)
	}
	if t.wrote > 0 && t.firstByte >= t.wrote {
		r.Waiting = time.Duration(t.firstByte - t.wrote)
	}
	if t.firstByte > 0 && t.end >= t.firstByte {
		r.Receiving = time.Duration(t.end - t.firstByte)
	}
}
