package middleware

import (
	"crypto/rand"
	"fmt"
	"net/http"

	"github.com/taskoverflow-lab/taskoverflow/logging"
)

// RequestIDHeader carries the correlation id, in and out.
const RequestIDHeader = "X-Request-ID"

// RequestID gives each request an id: a well-formed incoming X-Request-ID is
// honoured, else a new random UUID is made. The id is echoed in the response
// header and put, with the method and URL (clipped to MaxLoggedMethod and
// MaxLoggedURL bytes), in the request's context, where every log line logged
// with that context picks it up.
func RequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get(RequestIDHeader)
		if !wellFormedID(id) {
			id = newID()
		}
		w.Header().Set(RequestIDHeader, id)
		ctx := logging.WithRequest(r.Context(), logging.Request{
			ID: id, Method: Clip(r.Method, MaxLoggedMethod), URL: Clip(r.URL.RequestURI(), MaxLoggedURL),
		})
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// wellFormedID accepts 1 to 128 characters of letters, digits and . _ : -,
// which covers UUIDs, ULIDs and load balancers' trace ids, and keeps log
// lines and headers safe.
func wellFormedID(id string) bool {
	if len(id) == 0 || len(id) > 128 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == ':' || c == '-') {
			return false
		}
	}
	return true
}

// newID returns a random (version 4) UUID.
func newID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
