package middleware

import (
	"io"
	"net/http"
	"sync"
	"time"
)

// BodyTimeout bounds the time to receive a request's body to d from the
// moment its headers were read, through http.ResponseController read
// deadlines: a read past it fails with os.ErrDeadlineExceeded (the handler
// answers 408), so a slowly sent body holds an in-flight slot for at most d.
// Once the body has been read to its end the deadline is lifted, so that the
// server's watch for a client hanging up is not cut short while the handler
// works. Requests without a body, writers without deadlines (tests'
// recorders) and d <= 0 are left alone: the server's ReadTimeout still holds.
func BodyTimeout(d time.Duration) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		if d <= 0 {
			return next
		}
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Body == nil || r.Body == http.NoBody {
				next.ServeHTTP(w, r)
				return
			}
			rc := http.NewResponseController(w)
			if err := rc.SetReadDeadline(time.Now().Add(d)); err == nil {
				r.Body = &deadlineBody{ReadCloser: r.Body, lift: func() { rc.SetReadDeadline(time.Time{}) }}
			}
			next.ServeHTTP(w, r)
		})
	}
}

// deadlineBody lifts the read deadline when the body has been read whole.
type deadlineBody struct {
	io.ReadCloser
	once sync.Once
	lift func()
}

func (b *deadlineBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF {
		b.once.Do(b.lift)
	}
	return n, err
}
