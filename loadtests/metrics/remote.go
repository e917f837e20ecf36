package metrics

import (
	"bytes"
	"context"
	"fmt"
	"io"
	iofs "io/fs"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// TransferTimeout bounds one PUT or GET of a summary at a URL.
const TransferTimeout = 2 * time.Minute

// IsURL reports whether a summary location is an http or https URL rather
// than a file path.
func IsURL(loc string) bool {
	return strings.HasPrefix(loc, "http://") || strings.HasPrefix(loc, "https://")
}

// Redact returns loc fit to print: a URL loses its query (a presigned URL's
// signature and credential), a path is returned as it is.
func Redact(loc string) string {
	if !IsURL(loc) {
		return loc
	}
	u, err := url.Parse(loc)
	if err != nil {
		return "(a URL that does not parse)"
	}
	if u.RawQuery != "" {
		u.RawQuery = "…"
	}
	u.User = nil
	return u.String()
}

// Save writes s as JSON to loc: a file path, or an http(s) URL it PUTs the
// JSON to (an S3 presigned PUT URL, a GCS signed URL, MinIO, any server
// that stores PUTs), so that a shard needs no cloud SDK. It returns an error
// naming the location (its query left out) and, for a URL, the status and
// the start of the body when the answer is not 2xx.
func (s *Summary) Save(ctx context.Context, loc string) error {
	if !IsURL(loc) {
		return s.WriteFile(loc)
	}
	var buf bytes.Buffer
	if err := s.Write(&buf); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, TransferTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, loc, bytes.NewReader(buf.Bytes()))
	if err != nil {
		return fmt.Errorf("put summary to %s: %v", Redact(loc), err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("put summary to %s: %v", Redact(loc), redactErr(err, loc))
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("put summary to %s: %s%s", Redact(loc), resp.Status, bodyStart(resp.Body))
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	return nil
}

// Load reads a summary from loc: a file path, or an http(s) URL it GETs.
// A file that does not exist, or a URL answered 404, returns an error
// wrapping fs.ErrNotExist (a shard that wrote nothing); another non-2xx
// answer an error with the status and the start of the body.
func Load(ctx context.Context, loc string) (*Summary, error) {
	if !IsURL(loc) {
		return ReadFile(loc)
	}
	ctx, cancel := context.WithTimeout(ctx, TransferTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, loc, nil)
	if err != nil {
		return nil, fmt.Errorf("get summary from %s: %v", Redact(loc), err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("get summary from %s: %v", Redact(loc), redactErr(err, loc))
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotFound:
		return nil, fmt.Errorf("get summary from %s: %s: %w", Redact(loc), resp.Status, iofs.ErrNotExist)
	case resp.StatusCode/100 != 2:
		return nil, fmt.Errorf("get summary from %s: %s%s", Redact(loc), resp.Status, bodyStart(resp.Body))
	}
	s, err := Read(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", Redact(loc), err)
	}
	return s, nil
}

// bodyStart returns the start of an error answer's body (S3 says why in a
// short XML document), on one line, or "" when it is empty.
func bodyStart(r io.Reader) string {
	b, _ := io.ReadAll(io.LimitReader(r, 300))
	s := strings.Join(strings.Fields(string(b)), " ")
	if s == "" {
		return ""
	}
	return ": " + s
}

// redactErr keeps a presigned URL's query out of a transport error (a
// *url.Error quotes the whole URL).
func redactErr(err error, loc string) error {
	if ue, ok := err.(*url.Error); ok {
		return fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	return fmt.Errorf("%s", strings.ReplaceAll(err.Error(), loc, Redact(loc)))
}
