package scenarios

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/taskoverflow-lab/taskoverflow/loadtests"
)

// The practical's planner creates this todo (with its typo) and deletes it.
const plannerTitle = "CSSE6400 Clout Assignment"

// LeftBehind is the finding that counts the planners' todos still there
// after the run: the "unusual state" the practical asks students to explain.
const LeftBehind = "todos left behind"

// The handout's studiers: at most StudiersPeak at once, each listing the
// todos and then working for StudierThink.
const (
	StudiersPeak = 2500
	StudierThink = 120 * time.Second
)

// plannerTodo is the practical's payload, fields in its order.
type plannerTodo struct {
	Title       string `json:"title"`
	Completed   bool   `json:"completed"`
	Description string `json:"description"`
	DeadlineAt  string `json:"deadline_at"`
}

var plannersAndStudiers = Bundled{
	Name: "planners-and-studiers",
	Story: "the week-8 practical: studiers ramp 1->1000->2500->0 listing todos every 2 min " +
		"while 20 planners create and delete a todo 400 times; counts the todos left behind",
	Variants: []string{"fixed", "practical"},
	build:    buildPlannersAndStudiers,
}

// buildPlannersAndStudiers reproduces the handout's k6 script and options.
// The "practical" variant keeps the script's two bugs: the DELETE reads the
// id from the response object instead of its JSON body (so it goes to
// /api/v1/todos/undefined) and the POST is checked for 200 instead of 201.
func buildPlannersAndStudiers(p Params) loadtests.Plan {
	practical := p.Variant == "practical"
	// created_at has whole seconds; allow for a little clock skew with a
	// remote endpoint.
	since := time.Now().UTC().Truncate(time.Second).Add(-2 * time.Second)

	studier := loadtests.Func("studying student", func(vu *loadtests.VU) error {
		// What tasks do I have left to work on?
		r := vu.Get("/api/v1/todos")
		vu.Check("is status 200", r.Status == http.StatusOK)
		// Alright, I'll go work on my next task for around 2 minutes.
		return vu.Sleep(StudierThink)
	})

	planner := loadtests.Func("indecisive planner", func(vu *loadtests.VU) error {
		// I need to work on the CSSE6400 Cloud Assignment!
		r := vu.Post("/api/v1/todos", plannerTodo{Title: plannerTitle, DeadlineAt: "2023-12-04T14:00:00"})
		if practical {
			vu.Check("is status 200", r.Status == http.StatusOK)
		} else {
			vu.Check("is status 201", r.Status == http.StatusCreated)
		}
		// Oh no! Not the Clout assignment, the Cloud assignment!
		id := "undefined" // what the handout's request.id is
		if !practical {
			var created struct {
				ID int64 `json:"id"`
			}
			if err := r.JSON(&created); err != nil || created.ID == 0 {
				// The fixed script's request.json().id would throw here.
				return fmt.Errorf("POST /api/v1/todos gave no id (status %d)", r.Status)
			}
			id = strconv.FormatInt(created.ID, 10)
		}
		if err := vu.Sleep(10 * time.Second); err != nil {
			return err
		}
		r = vu.Delete("/api/v1/todos/"+id, loadtests.Name("DELETE /api/v1/todos/{id}"))
		vu.Check("is status 200", r.Status == http.StatusOK)
		// I'll come back to it later :(
		return vu.Sleep(10 * time.Second)
	})

	return loadtests.Plan{
		Scenarios: []loadtests.Scenario{
			{
				Name: "studier",
				// StartVUs is k6's default for ramping-vus, which the
				// handout's options leave in place.
				Executor: loadtests.RampingVUs{StartVUs: 1, Stages: []loadtests.Stage{
					{Duration: 2 * time.Minute, Target: 1000},
					{Duration: 2 * time.Minute, Target: StudiersPeak},
					{Duration: 2 * time.Minute, Target: 0},
				}},
				User: studier,
			},
			{
				Name:     "planner",
				Executor: loadtests.SharedIterations{VUs: 20, Iterations: 400},
				User:     planner,
			},
		},
		Teardown: func(vu *loadtests.VU) error {
			n, err := countPlannerTodos(vu, since)
			if err != nil {
				return err
			}
			vu.Report(LeftBehind, int64(n))
			vu.CheckValue("no todos left behind", n == 0, fmt.Sprintf("%d left", n))
			return nil
		},
	}
}

// countPlannerTodos lists the todos and counts the planners' ones created
// since the run started.
func countPlannerTodos(vu *loadtests.VU, since time.Time) (int, error) {
	r := vu.Get("/api/v1/todos", loadtests.Name("GET /api/v1/todos (teardown)"))
	if r.Status != http.StatusOK {
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
		if t.Title != plannerTitle {
			continue
		}
		created, err := parseCreatedAt(t.CreatedAt)
		if err != nil || !created.Before(since) {
			n++
		}
	}
	return n, nil
}

// parseCreatedAt reads the API's timestamps ("2023-12-04T14:00:00", UTC) or
// RFC 3339 ones.
func parseCreatedAt(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	return time.ParseInLocation("2006-01-02T15:04:05.999999999", s, time.UTC)
}
