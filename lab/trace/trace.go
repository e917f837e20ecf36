// Package trace follows one request through the API server's JSON log
// lines: every line with its request_id (HTTP, SQL, Redis), in time order,
// with each line's offset from the first.
package trace

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Line is one server log line of a traced request.
type Line struct {
	Time  time.Time
	Level string
	Msg   string
	// Fields holds the line's other fields, as decoded from JSON.
	Fields map[string]any
	// Source names the log the line came from, when several were read.
	Source string
}

// Layer says what layer the line is from: "http", "sql", "redis" or "app".
func (l Line) Layer() string {
	switch {
	case l.Msg == "sql":
		return "sql"
	case strings.HasPrefix(l.Msg, "redis"):
		return "redis"
	case strings.HasPrefix(l.Msg, "request "):
		return "http"
	default:
		return "app"
	}
}

// Read reads JSON log lines and returns those whose request_id is id, in
// time order (lines with equal times keep their order). Lines that are not
// JSON objects are skipped, as a server may print other text. It returns an
// error only when reading fails.
func Read(r io.Reader, source, id string) ([]Line, error) {
	var out []Line
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 4*1024*1024)
	needle := []byte(id)
	for sc.Scan() {
		b := sc.Bytes()
		if !bytes.Contains(b, needle) {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			continue
		}
		if rid, _ := m["request_id"].(string); rid != id {
			continue
		}
		line := Line{Fields: m, Source: source}
		if s, ok := m["time"].(string); ok {
			line.Time, _ = time.Parse(time.RFC3339Nano, s)
		}
		line.Level, _ = m["level"].(string)
		line.Msg, _ = m["msg"].(string)
		for _, k := range []string{"time", "level", "msg", "request_id"} {
			delete(m, k)
		}
		out = append(out, line)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	Sort(out)
	return out, nil
}

// Sort puts lines in time order, keeping the order of equal times.
func Sort(lines []Line) {
	sort.SliceStable(lines, func(i, j int) bool { return lines[i].Time.Before(lines[j].Time) })
}

// duration returns the line's duration_ms as a duration, or 0.
func (l Line) duration() time.Duration {
	ms, _ := l.Fields["duration_ms"].(float64)
	return time.Duration(ms * float64(time.Millisecond))
}

// Write prints lines with their offset from the first line, their
// layer and what they say: the HTTP request and its status, each SQL
// statement with its duration and rows, each Redis command.
func Write(w io.Writer, id string, lines []Line) error {
	if len(lines) == 0 {
		return fmt.Errorf("no log line has request_id %q", id)
	}
	origin := lines[0].Time
	var total time.Duration
	for _, l := range lines {
		if l.Msg == "request finished" {
			total = l.duration()
		}
	}
	fmt.Fprintf(w, "request %s: %d log lines", id, len(lines))
	if total > 0 {
		fmt.Fprintf(w, ", served in %s", fmtMS(total))
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "%11s  %-5s %-5s %s\n", "offset", "level", "layer", "what (SQL and Redis lines are written when the command ends)")
	for _, l := range lines {
		off := l.Time.Sub(origin)
		began := ""
		if d := l.duration(); d > 0 && l.Layer() != "http" {
			began = fmt.Sprintf(" (began +%s)", fmtMS(off-d))
		}
		fmt.Fprintf(w, "%11s  %-5s %-5s %s\n", "+"+fmtMS(off), strings.ToLower(l.Level), l.Layer(), describeLine(l, began))
	}
	return nil
}

func fmtMS(d time.Duration) string {
	return fmt.Sprintf("%.3fms", float64(d.Microseconds())/1000)
}

// describeLine renders the part of a line a reader follows; began, when
// set, follows the duration of a SQL or Redis line.
func describeLine(l Line, began string) string {
	f := l.Fields
	str := func(k string) string {
		switch v := f[k].(type) {
		case string:
			return v
		case float64:
			return strconv.FormatFloat(v, 'f', -1, 64)
		case bool:
			return fmt.Sprint(v)
		case nil:
			return ""
		default:
			b, _ := json.Marshal(v)
			return string(b)
		}
	}
	used := map[string]bool{}
	take := func(k string) string { used[k] = true; return str(k) }
	var b strings.Builder
	switch l.Layer() {
	case "http":
		fmt.Fprintf(&b, "%s %s %s", l.Msg, take("method"), take("url"))
		if s := take("status"); s != "" {
			fmt.Fprintf(&b, " -> %s", s)
		}
		if d := take("duration_ms"); d != "" {
			fmt.Fprintf(&b, " in %sms", d)
		}
	case "sql":
		fmt.Fprintf(&b, "%sms%s  %s", take("duration_ms"), began, take("sql"))
		if r := take("rows"); r != "" {
			fmt.Fprintf(&b, "  (rows %s)", r)
		}
	case "redis":
		b.WriteString(l.Msg)
		if c := take("cmd"); c != "" {
			b.WriteString(" " + c)
		}
		if d := take("duration_ms"); d != "" {
			fmt.Fprintf(&b, " %sms%s", d, began)
		}
	default:
		b.WriteString(l.Msg)
	}
	for _, k := range []string{"method", "url", "route", "remote", "pid", "bytes"} {
		used[k] = true
	}
	var rest []string
	for k := range f {
		if !used[k] {
			rest = append(rest, k+"="+str(k))
		}
	}
	sort.Strings(rest)
	if len(rest) > 0 {
		b.WriteString("  " + strings.Join(rest, " "))
	}
	if l.Source != "" {
		b.WriteString("  [" + l.Source + "]")
	}
	return b.String()
}
