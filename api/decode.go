package api

import (
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"

	taskoverflow "github.com/taskoverflow-lab/taskoverflow"
)

// MaxBodyBytes bounds a request body: 1 MiB. Larger bodies get 413.
const MaxBodyBytes = 1 << 20

// object is a decoded JSON object whose fields are read one by one, so that
// every error names the field it is about.
type object map[string]json.RawMessage

// decodeObject reads the body as one JSON object whose keys are all in allowed.
func decodeObject(w http.ResponseWriter, r *http.Request, allowed ...string) (object, error) {
	body := http.MaxBytesReader(w, r.Body, MaxBodyBytes)
	dec := json.NewDecoder(body)
	var obj object
	if err := dec.Decode(&obj); err != nil {
		return nil, decodeError(err)
	}
	if obj == nil {
		return nil, taskoverflow.Errorf(taskoverflow.EINVALID, "the body must be a JSON object")
	}
	if _, err := dec.Token(); err != io.EOF {
		var syntax *json.SyntaxError
		if err != nil && !errors.As(err, &syntax) {
			return nil, decodeError(err) // too large, or the body could not be read
		}
		return nil, taskoverflow.Errorf(taskoverflow.EINVALID, "malformed JSON: unexpected data after the object")
	}
	var unknown []string
	for k := range obj {
		if !slices.Contains(allowed, k) {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return nil, taskoverflow.Errorf(taskoverflow.EINVALID, "unknown field %s; allowed fields: %s",
			quoteList(unknown), strings.Join(allowed, ", "))
	}
	return obj, nil
}

// decodeError turns an error reading or decoding the body into one whose
// message is safe to show: the JSON decoder's own messages are, a
// connection's are not (they name addresses), so those go in Err, which only
// the log shows.
func decodeError(err error) error {
	var tooLarge *http.MaxBytesError
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var netErr net.Error
	switch {
	case errors.As(err, &tooLarge):
		return taskoverflow.Errorf(taskoverflow.ETOOLARGE, "the body is over %d bytes", MaxBodyBytes)
	case errors.Is(err, os.ErrDeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		return &taskoverflow.Error{Code: taskoverflow.ETIMEOUT, Err: err,
			Message: "the body did not arrive within REQUEST_BODY_TIMEOUT; send it at once"}
	case errors.Is(err, io.EOF):
		return taskoverflow.Errorf(taskoverflow.EINVALID, "the body is empty; send a JSON object")
	case errors.As(err, &syntax), errors.Is(err, io.ErrUnexpectedEOF):
		return taskoverflow.Errorf(taskoverflow.EINVALID, "malformed JSON: %v", err)
	case errors.As(err, &typ):
		return taskoverflow.Errorf(taskoverflow.EINVALID, "the body must be a JSON object")
	}
	return &taskoverflow.Error{Code: taskoverflow.EINVALID, Message: "the body could not be read", Err: err}
}

// has reports whether the object holds key.
func (o object) has(key string) bool { _, ok := o[key]; return ok }

// isNull reports whether key is present and null.
func (o object) isNull(key string) bool { return string(o[key]) == "null" }

// str reads key as a string into dst; null is allowed only when nullOK.
func (o object) str(key string, dst *string, nullOK bool) error {
	raw, ok := o[key]
	if !ok {
		return nil
	}
	if string(raw) == "null" {
		if nullOK {
			*dst = ""
			return nil
		}
		return taskoverflow.Errorf(taskoverflow.EINVALID, "%q must be a string, not null", key)
	}
	if err := json.Unmarshal(raw, dst); err != nil {
		return taskoverflow.Errorf(taskoverflow.EINVALID, "%q must be a string", key)
	}
	return taskoverflow.ValidText(strconv.Quote(key), *dst)
}

// boolean reads key as true or false into dst.
func (o object) boolean(key string, dst *bool) error {
	raw, ok := o[key]
	if !ok {
		return nil
	}
	if string(raw) == "null" || json.Unmarshal(raw, dst) != nil {
		return taskoverflow.Errorf(taskoverflow.EINVALID, "%q must be true or false", key)
	}
	return nil
}

// localTime reads key as a date and time, or null, into dst.
func (o object) localTime(key string, dst **taskoverflow.LocalTime) error {
	raw, ok := o[key]
	if !ok || string(raw) == "null" {
		*dst = nil
		return nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return taskoverflow.Errorf(taskoverflow.EINVALID, "%q must be a string such as \"2023-12-04T14:00:00\", or null", key)
	}
	t, err := taskoverflow.ParseLocalTime(s)
	if err != nil {
		return taskoverflow.Errorf(taskoverflow.EINVALID, "%q: %s", key, taskoverflow.ErrorMessage(err))
	}
	*dst = &t
	return nil
}

func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = `"` + n + `"`
	}
	return strings.Join(q, ", ")
}
