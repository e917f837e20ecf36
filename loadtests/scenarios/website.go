package scenarios

import (
	"fmt"
	"net/http"
	"time"

	"github.com/taskoverflow-lab/taskoverflow/loadtests"
)

var website = Bundled{
	Name: "website",
	Story: "Locust's WebsiteUser mapped to this API: each user registers and logs in on start, " +
		"then lists todos or asks who it is, waiting 5-15 s between tasks",
	Takes: []string{"vus", "duration"},
	build: buildWebsite,
}

// websiteUser is what a website VU keeps between iterations.
type websiteUser struct {
	username string
}

func buildWebsite(p Params) loadtests.Plan {
	vus := p.VUs
	if vus == 0 {
		vus = 50
	}
	duration := p.Duration
	if duration == 0 {
		duration = 5 * time.Minute
	}
	// Users hatch at 10 per second, as a Locust run with -r 10.
	hatch := max(time.Duration(vus)*time.Second/10, time.Second)
	password := "loadtest-" + p.RunID

	user := loadtests.User{
		OnStart: func(vu *loadtests.VU) error {
			u := websiteUser{username: fmt.Sprintf("lt-%s-%d", p.RunID, vu.ID)}
			creds := map[string]string{"username": u.username, "password": password}
			if vu.State == nil {
				r := vu.Post("/api/v1/users", creds)
				if !vu.Check("registered", r.Status == http.StatusCreated) {
					return fmt.Errorf("register %s: status %d", u.username, r.Status)
				}
				vu.State = u
			}
			r := vu.Post("/api/v1/login", creds)
			if !vu.Check("logged in", r.Status == http.StatusOK) {
				return fmt.Errorf("login %s: status %d", u.username, r.Status)
			}
			return nil
		},
		Tasks: []loadtests.Task{
			{Name: "index", Weight: 1, Run: func(vu *loadtests.VU) error {
				r := vu.Get("/api/v1/todos")
				var todos []map[string]any
				vu.Check("todos listed", r.Status == http.StatusOK && r.JSON(&todos) == nil)
				return nil
			}},
			{Name: "about me", Weight: 1, Run: func(vu *loadtests.VU) error {
				r := vu.Get("/api/v1/me")
				var me struct {
					Username string `json:"username"`
				}
				u, _ := vu.State.(websiteUser)
				vu.Check("me is the logged-in user", r.Status == http.StatusOK && r.JSON(&me) == nil && me.Username == u.username)
				return nil
			}},
		},
		Wait: loadtests.Between(5*time.Second, 15*time.Second),
		OnStop: func(vu *loadtests.VU) error {
			r := vu.Post("/api/v1/logout", nil)
			vu.Check("logged out", r.Status == http.StatusOK)
			return nil
		},
	}
	return loadtests.Plan{
		Scenarios: []loadtests.Scenario{{
			Name: "website",
			Executor: loadtests.RampingVUs{StartVUs: 0, Stages: []loadtests.Stage{
				{Duration: hatch, Target: vus},
				{Duration: duration, Target: vus},
			}},
			User: user,
		}},
		Thresholds: []string{"checks>0.99"},
	}
}
