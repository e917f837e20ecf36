package main

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/taskoverflow-lab/taskoverflow/loadtests/metrics"
)

// objectStore is a loopback stand-in for S3 behind presigned URLs: PUT
// stores the body at the path, GET returns it or 404. A path under /deny/
// answers 403 with an S3-like body, as an expired signature does.
type objectStore struct {
	mu      sync.Mutex
	objects map[string][]byte
}

func (o *objectStore) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if strings.HasPrefix(r.URL.Path, "/deny/") {
		http.Error(w, "<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>", http.StatusForbidden)
		return
	}
	switch r.Method {
	case http.MethodPut:
		b, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		o.objects[r.URL.Path] = b
	case http.MethodGet:
		b, ok := o.objects[r.URL.Path]
		if !ok {
			http.Error(w, "<Error><Code>NoSuchKey</Code></Error>", http.StatusNotFound)
			return
		}
		w.Write(b)
	default:
		http.Error(w, "method", http.StatusMethodNotAllowed)
	}
}

// TestShardsPutTheirSummariesToAnObjectStore: three shard processes PUT
// their summaries to URLs (as to S3 presigned PUT URLs), merge GETs them
// back and judges the whole run; a shard that stored nothing makes it
// incomplete, and a refused PUT or GET is an error naming the status.
func TestShardsPutTheirSummariesToAnObjectStore(t *testing.T) {
	loadtest, plan := buildBinaries(t)
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) }))
	defer api.Close()
	store := &objectStore{objects: map[string][]byte{}}
	bucket := httptest.NewServer(store)
	defer bucket.Close()

	startAt := time.Now().Add(2 * time.Second).UTC().Format(time.RFC3339)
	urls := make([]string, 3)
	results := make([]procResult, 3)
	var wg sync.WaitGroup
	for i := range 3 {
		// The query stands for a presigned URL's signature: never printed.
		urls[i] = fmt.Sprintf("%s/runs/r2/shard-%d.json?X-Amz-Signature=secret%d", bucket.URL, i, i)
		wg.Go(func() {
			results[i] = runProc(t, plan, "--endpoint", api.URL, "--quiet", "--shard", fmt.Sprintf("%d/3", i),
				"--start-at", startAt, "--run-id", "r2", "--threshold", "iterations>=301", "--out", urls[i])
		})
	}
	wg.Wait()
	for i, r := range results {
		if r.code != 0 {
			t.Fatalf("shard %d: exit %d, want 0\n%s", i, r.code, r.stderr)
		}
	}
	store.mu.Lock()
	for i := range 3 {
		b := store.objects[fmt.Sprintf("/runs/r2/shard-%d.json", i)]
		s, err := metrics.Read(strings.NewReader(string(b)))
		if err != nil || s.Shard == nil || s.Shard.RunID != "r2" {
			t.Fatalf("shard %d's object: %v (shard %+v)", i, err, s)
		}
	}
	store.mu.Unlock()

	r := runProc(t, loadtest, "merge", urls[0], urls[1], urls[2])
	if r.code != 0 || !strings.Contains(r.stderr, `run "r2" complete`) {
		t.Fatalf("merge of the URLs: exit %d, want 0 saying the run is complete\n%s", r.code, r.stderr)
	}
	if !strings.Contains(r.stdout, "iterations") || !strings.Contains(r.stdout, "301") {
		t.Errorf("merged summary does not show the 301 iterations:\n%s", r.stdout)
	}
	// The merged summary is PUT too, and reads back with the whole run.
	mergedURL := bucket.URL + "/runs/r2/merged.json?sig=x"
	if r := runProc(t, loadtest, "merge", urls[0], urls[1], urls[2], "--threshold", "iterations>301", "--out", mergedURL); r.code != exitThreshold {
		t.Errorf("merge with iterations>301: exit %d, want %d\n%s", r.code, exitThreshold, r.stderr)
	}
	m, err := metrics.Load(t.Context(), mergedURL)
	if err != nil || m.Iterations.Complete != 301 || m.Total().Count != 301 {
		t.Fatalf("merged summary read back: %v, want 301 iterations and requests (got %+v)", err, m)
	}

	for _, tc := range []struct {
		name string
		args []string
		code int
		say  string
	}{
		{"a shard that stored nothing", []string{"merge", urls[0], urls[1], bucket.URL + "/runs/r2/shard-9.json?X-Amz-Signature=secret9"}, exitIncomplete, "no summary at " + bucket.URL + "/runs/r2/shard-9.json?…"},
		{"a GET refused", []string{"merge", urls[0], urls[1], bucket.URL + "/deny/shard-2.json"}, exitUsage, "403 Forbidden: <Error><Code>AccessDenied</Code>"},
		{"a PUT refused", []string{"merge", urls[0], urls[1], urls[2], "--out", bucket.URL + "/deny/merged.json"}, exitFailure, "put summary to " + bucket.URL + "/deny/merged.json: 403 Forbidden"},
	} {
		r := runProc(t, loadtest, tc.args...)
		if r.code != tc.code || !strings.Contains(r.stderr, tc.say) {
			t.Errorf("%s: exit %d, want %d saying %q\n%s", tc.name, r.code, tc.code, tc.say, r.stderr)
		}
		if strings.Contains(r.stderr+r.stdout, "secret") {
			t.Errorf("%s: a URL's signature is printed:\n%s", tc.name, r.stderr)
		}
	}

	// A shard whose PUT is refused says so and fails: its summary is lost.
	r = runProc(t, plan, "--endpoint", api.URL, "--quiet", "--shard", "0/3", "--run-id", "r3", "--out", bucket.URL+"/deny/shard-0.json?X-Amz-Signature=secret")
	if r.code == 0 || !strings.Contains(r.stderr, "403 Forbidden") || strings.Contains(r.stderr, "secret") {
		t.Errorf("shard with a refused PUT: exit %d, want non-zero naming 403 without the signature\n%s", r.code, r.stderr)
	}
}
