package worker

import (
	"os"
	"path/filepath"
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
	t.Run("drivers are left out", func(t *testing.T) {
		csv := "customerID,driver_1,driver_1_value,driver_1_contribution,churn_probability,driver_10_contribution,driver_x\n" +
			"a,Contract,Month-to-month,0.5,0.8,0.1,Yes\n"
		w, err := profileScores(write(t, csv), "customerID")
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(w.ScoreNames, ",") != "churn_probability" || w.Rows[0].Class != "Yes" {
			t.Errorf("write = %+v, want churn_probability the only score and driver_x the class", w)
		}
	})
	for _, tc := range []struct{ name, csv, want string }{
		{"no id column", "id,p\n1,0.5\n", "no column customerID"},
		{"duplicate id", "customerID,p\na,0.5\na,0.6\n", `id "a" is in rows 1 and 2`},
		{"empty id", "customerID,p\na,0.5\n,0.6\n", "empty in 1 rows"},
		{"nothing to write", "customerID\na\n", "no score or class column"},
		{"bad score name", "customerID,p q\na,0.5\n", "cannot be a profile score"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := profileScores(write(t, tc.csv), "customerID")
			if server.ErrorCode(err) != server.EINVALID || !strings.Contains(server.ErrorMessage(err), tc.want) {
				t.Errorf("error = %v, want EINVALID saying %q", err, tc.want)
			}
		})
	}
}
