package main

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/taskoverflow-lab/taskoverflow/internal/backing"
	"github.com/taskoverflow-lab/taskoverflow/internal/backingtest"
)

// Failed logins are limited per username and per client address, in Redis:
// a second instance on the same Redis refuses what the first counted, with
// 429 and Retry-After, even the right password while the username is locked.
func TestFailedLoginsAreRateLimited(t *testing.T) {
	own := ownServices(t) // a Redis of its own: the address counter is 127.0.0.1's
	limits := map[string]string{"LOGIN_FAILURES_PER_USER": "3", "LOGIN_FAILURES_PER_ADDR": "5", "LOGIN_FAILURE_WINDOW": "1m"}
	a := startAPI(t, own, limits)
	b := startAPI(t, own, limits)
	c := &http.Client{Timeout: 10 * time.Second}
	for _, u := range []string{"studier", "planner"} {
		if r := call(t, c, "POST", a.URL+"/api/v1/users", `{"username":"`+u+`","password":"correct horse"}`); r.status != 201 {
			t.Fatalf("register %s: got %d %s", u, r.status, r.raw)
		}
	}
	login := func(base, user, password string) (reply, string) {
		req, _ := http.NewRequest("POST", base+"/api/v1/login", strings.NewReader(`{"username":"`+user+`","password":"`+password+`"}`))
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return reply{status: resp.StatusCode}, resp.Header.Get("Retry-After")
	}
	steps := []struct {
		name, base, user, password string
		status                     int
	}{
		{"first wrong password", a.URL, "studier", "wrong horse", 401},
		{"second, on the other instance", b.URL, "studier", "wrong horse", 401},
		{"third", a.URL, "studier", "wrong horse", 401},
		{"fourth: the username is locked", b.URL, "studier", "wrong horse", 429},
		{"even with the right password", a.URL, "studier", "correct horse", 429},
		{"another username still logs in", b.URL, "planner", "correct horse", 200},
		{"another username's wrong password: the address's 4th", a.URL, "planner", "wrong horse", 401},
		{"an unknown name: the address's 5th", b.URL, "nobody", "wrong horse", 401},
		{"the address is locked", a.URL, "planner", "correct horse", 429},
	}
	for _, s := range steps {
		r, retryAfter := login(s.base, s.user, s.password)
		if r.status != s.status {
			t.Errorf("%s: got %d, want %d", s.name, r.status, s.status)
		}
		if s.status == 429 {
			if n, err := strconv.Atoi(retryAfter); err != nil || n < 1 || n > 60 {
				t.Errorf("%s: Retry-After %q, want 1 to 60 s", s.name, retryAfter)
			}
		}
	}
}

// bcrypt reads 72 bytes of a password: login refuses longer ones, as
// registration does, rather than letting the 72-byte prefix log in.
func TestLoginRefusesPasswordsOver72Bytes(t *testing.T) {
	env := backingtest.ForTest(t)
	p := startAPI(t, &backing.Env{DatabaseURL: backingtest.FreshDatabase(t, env), RedisURL: env.RedisURL}, nil)
	c := &http.Client{Timeout: 10 * time.Second}
	pw := strings.Repeat("p", 72)
	if r := call(t, c, "POST", p.URL+"/api/v1/users", `{"username":"longpass","password":"`+pw+`"}`); r.status != 201 {
		t.Fatalf("register: got %d %s", r.status, r.raw)
	}
	if r := call(t, c, "POST", p.URL+"/api/v1/login", `{"username":"longpass","password":"`+pw+`XYZ"}`); r.status != 400 || !strings.Contains(r.raw, "72 bytes") {
		t.Errorf("login with 75 bytes: got %d %s, want 400 naming the 72-byte limit", r.status, r.raw)
	}
	if r := call(t, c, "POST", p.URL+"/api/v1/login", `{"username":"longpass","password":"`+pw+`"}`); r.status != 200 {
		t.Errorf("login with the 72 bytes: got %d %s, want 200", r.status, r.raw)
	}
}

// At most BCRYPT_CONCURRENCY hashes run at once: with one slot, a short wait
// and a slow cost, concurrent registrations beyond the slot answer 503 with
// Retry-After instead of all sharing the CPU.
func TestBcryptWorkIsBounded(t *testing.T) {
	env := backingtest.ForTest(t)
	p := startAPI(t, &backing.Env{DatabaseURL: backingtest.FreshDatabase(t, env), RedisURL: env.RedisURL},
		map[string]string{"BCRYPT_COST": "12", "BCRYPT_CONCURRENCY": "1", "BCRYPT_WAIT": "1ms", "REQUEST_TIMEOUT": "20s"})
	var wg sync.WaitGroup
	var mu sync.Mutex
	statuses := map[int]int{}
	retryAfter := map[string]bool{}
	for i := 0; i < 6; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			c := &http.Client{Timeout: 30 * time.Second}
			resp, err := c.Post(p.URL+"/api/v1/users", "application/json", strings.NewReader(fmt.Sprintf(`{"username":"user%d","password":"correct horse"}`, i)))
			if err != nil {
				t.Error(err)
				return
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			mu.Lock()
			defer mu.Unlock()
			statuses[resp.StatusCode]++
			if resp.StatusCode == 503 {
				retryAfter[resp.Header.Get("Retry-After")] = true
				if !strings.Contains(string(b), "too many logins and registrations at once") {
					t.Errorf("503 %s: want it to say bcrypt slots are full", b)
				}
			}
		}(i)
	}
	wg.Wait()
	if statuses[201] < 1 || statuses[503] < 1 || statuses[201]+statuses[503] != 6 {
		t.Errorf("6 registrations at once, one bcrypt slot: got %v, want some 201 and the rest 503", statuses)
	}
	if statuses[503] > 0 && !retryAfter["1"] {
		t.Errorf("503 without Retry-After: %v", retryAfter)
	}
}
