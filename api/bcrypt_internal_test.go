package api

import (
	"net/http/httptest"
	"testing"
	"testing/synctest"
	"time"

	taskoverflow "github.com/taskoverflow-lab/taskoverflow"
	"github.com/taskoverflow-lab/taskoverflow/config"
)

// With every bcrypt slot taken, a login waits exactly BCRYPT_WAIT and gives
// up with an EOVERLOADED error and Retry-After, without hashing; a slot freed
// within the wait is taken at once.
func TestBcryptSlotWaitIsBounded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := &handler{opts: Options{Login: config.Login{BcryptWait: time.Second}}, bcryptSlots: make(chan struct{}, 1)}
		h.bcryptSlots <- struct{}{} // the one slot is busy

		w := httptest.NewRecorder()
		ran := false
		start := time.Now()
		err := h.withBcrypt(w, httptest.NewRequest("POST", "/api/v1/login", nil), func() error { ran = true; return nil })
		if code := taskoverflow.ErrorCode(err); code != taskoverflow.EOVERLOADED || ran || w.Header().Get("Retry-After") != "1" {
			t.Errorf("all slots busy: got %v (ran %v, Retry-After %q), want EOVERLOADED without running, Retry-After 1", err, ran, w.Header().Get("Retry-After"))
		}
		if waited := time.Since(start); waited != time.Second {
			t.Errorf("waited %v, want exactly BCRYPT_WAIT (1s)", waited)
		}

		go func() {
			time.Sleep(300 * time.Millisecond)
			<-h.bcryptSlots // the busy one finishes
		}()
		start = time.Now()
		err = h.withBcrypt(httptest.NewRecorder(), httptest.NewRequest("POST", "/api/v1/login", nil), func() error { ran = true; return nil })
		if err != nil || !ran {
			t.Errorf("slot freed within the wait: got %v (ran %v), want it run", err, ran)
		}
		if waited := time.Since(start); waited != 300*time.Millisecond {
			t.Errorf("waited %v, want 300ms, when the slot freed", waited)
		}
		if n := len(h.bcryptSlots); n != 0 {
			t.Errorf("slots held after the work: %d, want 0", n)
		}
	})
}
