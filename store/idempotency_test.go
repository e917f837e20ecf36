package store_test

import (
	"context"
	"sync"
	"testing"
	"time"

	taskoverflow "github.com/taskoverflow-lab/taskoverflow"
)

// Eight requests with one key at once make one todo: the others wait for the
// first transaction and replay its answer.
func TestCreateTodoOnceConcurrentSameKey(t *testing.T) {
	db := openFresh(t)
	ctx := context.Background()
	fp := []byte("fingerprint")
	var wg sync.WaitGroup
	var mu sync.Mutex
	ids := map[int64]int{}
	fresh := 0
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			todo, replayed, err := db.CreateTodoOnce(ctx, "same-key", fp, taskoverflow.Todo{Title: "once"}, time.Hour)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				t.Error(err)
				return
			}
			ids[todo.ID]++
			if !replayed {
				fresh++
			}
		}()
	}
	wg.Wait()
	if len(ids) != 1 || fresh != 1 {
		t.Errorf("got ids %v with %d fresh creates, want one id and one fresh create", ids, fresh)
	}
	todos, err := db.ListTodos(ctx, taskoverflow.TodoFilter{})
	if err != nil || len(todos) != 1 {
		t.Errorf("todos stored: got %d (%v), want 1", len(todos), err)
	}
}

// A key is remembered for its window: past it, the same key creates again.
// Another fingerprint within the window is an ECONFLICT error.
func TestCreateTodoOnceWindow(t *testing.T) {
	db := openFresh(t)
	ctx := context.Background()
	first, _, err := db.CreateTodoOnce(ctx, "k", []byte("a"), taskoverflow.Todo{Title: "first"}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.CreateTodoOnce(ctx, "k", []byte("b"), taskoverflow.Todo{Title: "other"}, time.Hour); taskoverflow.ErrorCode(err) != taskoverflow.ECONFLICT {
		t.Errorf("another fingerprint: got %v, want an ECONFLICT error", err)
	}
	// A window of a microsecond has passed by the next statement.
	again, replayed, err := db.CreateTodoOnce(ctx, "k", []byte("b"), taskoverflow.Todo{Title: "after the window"}, time.Microsecond)
	if err != nil || replayed || again.ID == first.ID {
		t.Errorf("after the window: got %+v replayed %v err %v, want a new todo", again, replayed, err)
	}
}
