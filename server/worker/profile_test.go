package worker

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/galley-dev/galley/server"
)

func TestProfileScores(t *testing.T) {
	write := func(t *testing.T, text string) string {
		p := filepath.Join(t.TempDir(), "out.csv")
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	t.Run("scores and class", func(t *testing.T) {
		w, err := profileScores(write(t, "customerID,churn_probability,label,segment,rank\n0042,0.25,No,a,3\n7,0.75,Yes,b,1\n"), "customerID")
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(w.ScoreNames, ",") != "churn_probability,rank" || len(w.Rows) != 2 {
			t.Fatalf("write = %+v", w)
		}
		// Ids stay text; the first text column is the class.
		if r := w.Rows[0]; r.ID != "0042" || r.Scores[0] != 0.25 || r.Scores[1] != 3 || r.Class != "No" {
			t.Errorf("row 1 = %+v", r)
		}
		if r := w.Rows[1]; r.ID != "7" || r.Scores[0] != 0.75 || r.Class != "Yes" {
			t.Errorf("row 2 = %+v", r)
		}
	})
	t.Run("drivers", func(t *testing.T) {
		// Ranks in order whatever the column order; values stay text (a
		// number such as 0042 keeps its zeros); a blank rank is left out
		// of that row; driver_x is no driver column but the class.
		csv := "customerID,driver_2,driver_2_value,driver_2_contribution,churn_probability,driver_1,driver_1_value,driver_1_contribution,driver_x\n" +
			"a,tenure,0042,-0.25,0.8,Contract,Month-to-month,0.5,Yes\n" +
			"b,,,,0.1,Contract,Two year,-1.5,No\n"
		w, err := profileScores(write(t, csv), "customerID")
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(w.ScoreNames, ",") != "churn_probability" || w.Rows[0].Class != "Yes" {
			t.Errorf("write = %+v, want churn_probability the only score and driver_x the class", w)
		}
		want := []server.Driver{{Feature: "Contract", Value: "Month-to-month", Contribution: 0.5}, {Feature: "tenure", Value: "0042", Contribution: -0.25}}
		if !slices.Equal(w.Rows[0].Drivers, want) {
			t.Errorf("row a's drivers = %+v, want %+v", w.Rows[0].Drivers, want)
		}
		if want := []server.Driver{{Feature: "Contract", Value: "Two year", Contribution: -1.5}}; !slices.Equal(w.Rows[1].Drivers, want) {
			t.Errorf("row b's drivers = %+v, want %+v", w.Rows[1].Drivers, want)
		}
	})
	t.Run("long driver values are cut", func(t *testing.T) {
		long := strings.Repeat("é", server.MaxDriverText) // two bytes each
		w, err := profileScores(write(t, "customerID,p,driver_1,driver_1_value,driver_1_contribution\na,0.5,comment,"+long+",0.1\n"), "customerID")
		if err != nil {
			t.Fatal(err)
		}
		if v := w.Rows[0].Drivers[0].Value; len(v) != server.MaxDriverText || v != long[:server.MaxDriverText] {
			t.Errorf("value cut to %d bytes: %q", len(v), v)
		}
	})
	for _, tc := range []struct{ name, csv, want string }{
		{"no id column", "id,p\n1,0.5\n", "no column customerID"},
		{"duplicate id", "customerID,p\na,0.5\na,0.6\n", `id "a" is in rows 1 and 2`},
		{"empty id", "customerID,p\na,0.5\n,0.6\n", "empty in 1 rows"},
		{"nothing to write", "customerID\na\n", "no score or class column"},
		{"bad score name", "customerID,p q\na,0.5\n", "cannot be a profile score"},
		{"driver without its contribution", "customerID,p,driver_1,driver_1_value\na,0.5,x,1\n", "no driver_1_contribution"},
		{"contribution without its driver", "customerID,p,driver_10_contribution\na,0.5,0.1\n", "no driver_10:"},
		{"infinite contribution", "customerID,p,driver_1,driver_1_value,driver_1_contribution\na,0.5,x,1,+Inf\n", "finite number"},
		{"too many drivers", manyDrivers(server.MaxProfileDrivers + 1), "profiles keep at most 20"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := profileScores(write(t, tc.csv), "customerID")
			if server.ErrorCode(err) != server.EINVALID || !strings.Contains(server.ErrorMessage(err), tc.want) {
				t.Errorf("error = %v, want EINVALID saying %q", err, tc.want)
			}
		})
	}
}

// manyDrivers is a scoring output with n drivers per row.
func manyDrivers(n int) string {
	header, row := "customerID,p", "a,0.5"
	for i := 1; i <= n; i++ {
		header += fmt.Sprintf(",driver_%d,driver_%d_value,driver_%d_contribution", i, i, i)
		row += fmt.Sprintf(",f%d,%d,0.1", i, i)
	}
	return header + "\n" + row + "\n"
}
