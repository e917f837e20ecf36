package api

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"time"

	taskoverflow "github.com/taskoverflow-lab/taskoverflow"
)

// idempotencyHeader names the key a client sends so that retrying a POST
// /todos whose answer it did not get (a timeout, a 503, a dropped connection)
// creates the todo at most once.
const idempotencyHeader = "Idempotency-Key"

// maxIdempotencyKey bounds the key's length, in bytes.
const maxIdempotencyKey = 255

// IdempotentTodoStore is a TodoStore that can remember the first answer to
// an Idempotency-Key durably, with the todo it created.
type IdempotentTodoStore interface {
	// CreateTodoOnce creates t under key in one transaction, or returns the
	// todo created for key within window with replayed set. A key used with
	// another fingerprint gives an ECONFLICT error.
	CreateTodoOnce(ctx context.Context, key string, fingerprint []byte, t taskoverflow.Todo, window time.Duration) (todo taskoverflow.Todo, replayed bool, err error)
}

// createTodoOnce checks the key the request sent and creates t under it.
func (h *handler) createTodoOnce(ctx context.Context, keys []string, t taskoverflow.Todo) (taskoverflow.Todo, bool, error) {
	if len(keys) != 1 || !validIdempotencyKey(keys[0]) {
		return t, false, taskoverflow.Errorf(taskoverflow.EINVALID, "%s must be one header of 1 to %d visible ASCII characters", idempotencyHeader, maxIdempotencyKey)
	}
	s, ok := h.Todos.(IdempotentTodoStore)
	if !ok {
		return t, false, taskoverflow.Errorf(taskoverflow.EINVALID, "%s is not supported by this server's store", idempotencyHeader)
	}
	// The fingerprint is of the todo as decoded, so spacing or field order
	// do not make a retry "another body".
	b, err := json.Marshal(t)
	if err != nil {
		return t, false, err
	}
	sum := sha256.Sum256(b)
	return s.CreateTodoOnce(ctx, keys[0], sum[:], t, h.opts.IdempotencyWindow)
}

func validIdempotencyKey(k string) bool {
	if k == "" || len(k) > maxIdempotencyKey {
		return false
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x21 || k[i] > 0x7e {
			return false
		}
	}
	return true
}
