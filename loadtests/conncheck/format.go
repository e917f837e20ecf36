package conncheck

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
)

// WriteText writes the final statistics block, tcpgoon's shape with a few more lines:
//
//	--- 127.0.0.1:6400 tcp test statistics ---
//	Total: 10, Dialing: 0, Established: 10, Closed: 0, Error: 0, NotInitiated: 0
//	Connect time stats for 10 established connections min/avg/max/dev = 91µs/144µs/260µs/48µs
//
// followed, when they apply, by the time-to-error stats, errors and peer closes by cause, the
// probe's served count and statuses, and an interruption note. It returns the first write error.
func (r Report) WriteText(w io.Writer) error {
	_, err := io.WriteString(w, r.Text())
	return err
}

// Text returns the block WriteText writes.
func (r Report) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "--- %s tcp test statistics ---\n", r.Target)
	fmt.Fprintln(&b, r.Final)
	if r.Connect.Count > 0 {
		fmt.Fprintf(&b, "Connect time stats for %d established connections %v\n", r.Connect.Count, r.Connect)
	}
	if r.TimeToError.Count > 0 {
		fmt.Fprintf(&b, "Time to error stats for %d failed connections %v\n", r.TimeToError.Count, r.TimeToError)
	}
	if len(r.Errors) > 0 {
		fmt.Fprintf(&b, "Errors by cause: %s\n", joinCounts(r.Errors))
		if r.Errors[CauseEMFILE] > 0 || r.Errors[CauseNoPort] > 0 {
			b.WriteString("Some errors are on our side (emfile: our descriptor limit; no-local-port: our ephemeral ports), not the target's\n")
		}
	}
	if len(r.ClosedBy) > 0 {
		fmt.Fprintf(&b, "Closed by peer: %s\n", joinCounts(r.ClosedBy))
	}
	if r.HTTPPath != "" {
		fmt.Fprintf(&b, "Served: %d of %d connections answered GET %s", r.Final.Served, r.Connections, r.HTTPPath)
		if len(r.HTTPStatus) > 0 {
			var parts []string
			for _, code := range slices.Sorted(maps.Keys(r.HTTPStatus)) {
				parts = append(parts, fmt.Sprintf("%d x%d", code, r.HTTPStatus[code]))
			}
			fmt.Fprintf(&b, " (%s)", strings.Join(parts, ", "))
		}
		b.WriteString("\n")
	}
	if r.FDLimit.NotApplied != "" {
		fmt.Fprintf(&b, "File descriptor limit not applied: %s\n", r.FDLimit.NotApplied)
	}
	if r.Interrupted {
		b.WriteString("Interrupted before the end of the check\n")
	}
	return b.String()
}
