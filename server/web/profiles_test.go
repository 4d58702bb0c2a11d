package web

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/galley-dev/galley/server"
)

// TestProfilePages writes two scoring runs' scores into profile set
// customers and reads them through the pages: the list of sets, a lookup
// by id, the score filter and one profile with its history.
func TestProfilePages(t *testing.T) {
	f := newFixture(t)
	has(t, f.get(t, "/ui/profiles", 200), "/ui/profiles", "No profile sets yet", "--profile customers --id customerID")
	f.seed(t)
	var runs []int64
	for i, rows := range [][]server.ProfileRow{
		{{ID: "7590-VHVEG", Scores: []float64{0.82}, Class: "Yes"}, {ID: "5575-GNVDE", Scores: []float64{0.1}, Class: "No"}},
		{{ID: "7590-VHVEG", Scores: []float64{0.64}, Class: "Yes", Drivers: []server.Driver{{Feature: "Contract", Value: "Month-to-month", Contribution: 0.912},
			{Feature: "TechSupport", Value: "Yes", Contribution: -0.25}}}, {ID: "3668-QPYBK", Scores: []float64{0.91}, Class: "Yes"}},
	} {
		ref := []string{"m@1", "m@2"}[i]
		run, err := f.db.Score(ctx, server.ScoreRequest{TrainedModel: ref, Input: "d@1", Profile: &server.ProfileTarget{Name: "customers", ID: "customerID"}})
		must(t, err)
		var claimed *server.Run
		for {
			claimed, err = f.db.ClaimRun(ctx)
			must(t, err)
			if claimed.ID == run.ID {
				break
			}
			_, err = f.db.FinishRun(ctx, claimed.Claim(), server.RunResult{State: server.RunFailed, Error: "not this one"})
			must(t, err)
		}
		_, err = f.db.FinishRun(ctx, claimed.Claim(), server.RunResult{State: server.RunSucceeded, Profile: &server.ProfileWrite{ScoreNames: []string{"churn_probability"}, Rows: rows}})
		must(t, err)
		runs = append(runs, run.ID)
	}
	has(t, f.get(t, "/ui/runs/"+strconv.FormatInt(runs[1], 10), 200), "run page", `id="run-profile"`, `href="/ui/profiles/customers"`, "customerID")
	page := f.get(t, "/ui/profiles", 200)
	has(t, page, "/ui/profiles", `href="/ui/profiles/customers"`, `<td class="num">3</td>`, `href="/ui/models/m"`, `id="profile-lookup"`)

	// The lookup form sends set and id; the page answers with the profile.
	resp, err := http.Get(f.url + "/ui/profiles?set=customers&id=7590-VHVEG")
	must(t, err)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Request.URL.Path != "/ui/profiles/customers/7590-VHVEG" {
		t.Fatalf("lookup ended at %s with %d", resp.Request.URL, resp.StatusCode)
	}
	page = f.get(t, "/ui/profiles/customers/7590-VHVEG", 200)
	has(t, page, "profile", "Profile 7590-VHVEG", "m@2", "0.64", `id="profile-history"`, "Changes, newest first (2 kept)", "0.82",
		`<tr data-driver="Contract"><th scope="row">Contract</th><td>Month-to-month</td><td class="num">&#43;0.912</td><td>raises the score</td></tr>`, // html/template writes + as &#43;
		`<tr data-driver="TechSupport"><th scope="row">TechSupport</th><td>Yes</td><td class="num">-0.25</td><td>lowers the score</td></tr>`,
		"Contract &#43;0.912, TechSupport -0.25")
	if strings.Index(page, `data-driver="Contract"`) > strings.Index(page, `data-driver="TechSupport"`) {
		t.Errorf("the drivers are not listed in rank order")
	}
	if i, j := strings.Index(page, "#"+strconv.FormatInt(runs[1], 10)), strings.LastIndex(page, "#"+strconv.FormatInt(runs[0], 10)); i < 0 || j < i {
		t.Errorf("history does not list run %d before run %d", runs[1], runs[0])
	}
	// A profile none of whose changes has drivers shows no drivers column.
	page = f.get(t, "/ui/profiles/customers/5575-GNVDE", 200)
	has(t, page, "profile without drivers", "Profile 5575-GNVDE", "0.1")
	if strings.Contains(page, `<th scope="col">Drivers</th>`) {
		t.Errorf("the history of a profile without drivers has a drivers column")
	}
	if !strings.Contains(f.get(t, "/ui/profiles/customers/7590-VHVEG", 200), `<th scope="col">Drivers</th>`) {
		t.Errorf("the history of a profile with drivers has no drivers column")
	}
	f.get(t, "/ui/profiles/customers/nobody", 404)
	f.get(t, "/ui/profiles/nowhere", 404)

	page = f.get(t, "/ui/profiles/customers?model=m&score=churn_probability&min=0.6", 200)
	has(t, page, "filter", "2 profiles with churn_probability ≥ 0.6", "3668-QPYBK", "7590-VHVEG")
	if strings.Contains(page, `data-profile="5575-GNVDE"`) {
		t.Errorf("the filter churn_probability >= 0.6 lists 5575-GNVDE (0.1)")
	}
	if strings.Index(page, `data-profile="3668-QPYBK"`) > strings.Index(page, `data-profile="7590-VHVEG"`) {
		t.Errorf("the filtered list is not ordered by score, highest first")
	}
	has(t, f.get(t, "/ui/profiles/customers?score=churn_probability", 400), "filter without model", "needs the model")
	has(t, f.get(t, "/ui/profiles/customers?min=x", 400), "bad bound", "not a number")
}
