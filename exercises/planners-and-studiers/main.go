// Command planners-and-studiers is the week-8 practical's k6 script, as a
// Go plan: studiers list their todos every two minutes while planners
// create a todo and delete it again. It is the handout's script, bugs
// included; the exercise is to find them and fix them here.
//
// Run it against make run, at a tenth of the handout's time and three
// tenths of its users, as the lab does:
//
//	go run ./exercises/planners-and-studiers --endpoint http://127.0.0.1:6400 --time-scale 0.1 --vus-scale 0.3 --timeout 6s
//
// and have the lab judge it (the workbook: lab workbook planners-and-studiers):
//
//	go run ./cmd/lab verify planners-and-studiers --plan exercises/planners-and-studiers --quick
//
// Change the users' code (studier, planner); leave the scenarios as they
// are: lab verify checks that their executors, stages and VUs are the
// handout's.
package main

import (
	"fmt"
	"time"

	"github.com/taskoverflow-lab/taskoverflow/loadtests"
)

func main() { loadtests.Main(plannersAndStudiers()) }

// todo is the JSON the planners send, as the handout's payload.
type todo struct {
	Title       string `json:"title"`
	Completed   bool   `json:"completed"`
	Description string `json:"description"`
	DeadlineAt  string `json:"deadline_at"`
}

const title = "CSSE6400 Clout Assignment"

// studier: what tasks do I have left to work on?
func studier(vu *loadtests.VU) error {
	r := vu.Get("/api/v1/todos")
	vu.Check("is status 200", r.Status == 200)
	// Alright, I'll go work on my next task for around 2 minutes.
	return vu.Sleep(120 * time.Second)
}

// planner: I need to work on the CSSE6400 Cloud Assignment!
func planner(vu *loadtests.VU) error {
	r := vu.Post("/api/v1/todos", todo{Title: title, DeadlineAt: "2023-12-04T14:00:00"})
	// Look here: which status does the API answer a POST that creates with?
	// (docs/api.md, or the status of the POST in the run's summary)
	vu.Check("is status 200", r.Status == 200)

	// Oh no! Not the Clout assignment, the Cloud assignment!
	// Look here: where is the new todo's id? The handout read request.id,
	// a property of the response object; the id is in the response's JSON
	// body (r.JSON decodes it).
	id := property(r, "id")
	if err := vu.Sleep(10 * time.Second); err != nil {
		return err
	}
	r = vu.Delete("/api/v1/todos/"+id, loadtests.Name("DELETE /api/v1/todos/{id}"))
	vu.Check("is status 200", r.Status == 200)
	// I'll come back to it later :(
	return vu.Sleep(10 * time.Second)
}

// property reads a property of the response object as JavaScript's
// request.id does in the handout's k6 script: a response has a status,
// headers and a body, no id, and a property it does not have reads as
// "undefined".
func property(r *loadtests.Response, name string) string {
	if v := r.Header.Get(name); v != "" {
		return v
	}
	return "undefined"
}

// plannersAndStudiers is the handout's options: the studiers ramp up to
// 2500 and back down over six minutes, while 20 planners share 400
// iterations. Leave the scenarios as they are.
func plannersAndStudiers() loadtests.Plan {
	since := time.Now().UTC().Truncate(time.Second).Add(-2 * time.Second)
	return loadtests.Plan{
		Name: "planners-and-studiers",
		Scenarios: []loadtests.Scenario{
			{
				Name: "studier",
				Executor: loadtests.RampingVUs{StartVUs: 1, Stages: []loadtests.Stage{
					{Duration: 2 * time.Minute, Target: 1000},
					{Duration: 2 * time.Minute, Target: 2500},
					{Duration: 2 * time.Minute, Target: 0},
				}},
				User: loadtests.Func("studying student", studier),
			},
			{
				Name:     "planner",
				Executor: loadtests.SharedIterations{VUs: 20, Iterations: 400},
				User:     loadtests.Func("indecisive planner", planner),
			},
		},
		// After the run: how many of the planners' todos are still there?
		// The practical calls it an "unusual state".
		Teardown: func(vu *loadtests.VU) error {
			n, err := leftBehind(vu, since)
			if err != nil {
				return err
			}
			vu.Report("todos left behind", int64(n))
			vu.CheckValue("no todos left behind", n == 0, fmt.Sprintf("%d left", n))
			return nil
		},
	}
}

// leftBehind counts the planners' todos created since the run started.
func leftBehind(vu *loadtests.VU, since time.Time) (int, error) {
	r := vu.Get("/api/v1/todos", loadtests.Name("GET /api/v1/todos (teardown)"))
	if r.Status != 200 {
		return 0, fmt.Errorf("list todos after the run: status %d %v", r.Status, r.Err)
	}
	var todos []struct {
		Title     string `json:"title"`
		CreatedAt string `json:"created_at"`
	}
	if err := r.JSON(&todos); err != nil {
		return 0, fmt.Errorf("list todos after the run: %w", err)
	}
	n := 0
	for _, t := range todos {
		created, err := time.Parse(time.RFC3339Nano, t.CreatedAt)
		if err != nil {
			created, err = time.ParseInLocation("2006-01-02T15:04:05.999999999", t.CreatedAt, time.UTC)
		}
		if t.Title == title && (err != nil || !created.Before(since)) {
			n++
		}
	}
	return n, nil
}
