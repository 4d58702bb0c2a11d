package worker

import (
	"encoding/csv"
	"fmt"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/galley-dev/galley/server"
	"github.com/galley-dev/galley/stdlib/data"
)

// profileScores reads a scoring run's CSV output as the rows to upsert
// into a profile set: idColumn is the identity (read as text, so that
// ids such as 0042 keep their zeros), every numeric column is a score and
// the first text column besides the identity is the predicted class.
// The explanation columns ml.ScoreOptions.Drivers adds (driver_N,
// driver_N_value, driver_N_contribution) are neither: they are each row's
// drivers, in rank order.
func profileScores(csvPath, idColumn string) (*server.ProfileWrite, error) {
	header, err := csvHeader(csvPath)
	if err != nil {
		return nil, fmt.Errorf("reading the scores: %w", err)
	}
	if !slices.Contains(header, idColumn) {
		return nil, server.Errorf(server.EINVALID, "the scoring output has no column %s to key the profiles by: it has %v; give the identity column with --id", idColumn, header)
	}
	ranks, err := driverRanks(header)
	if err != nil {
		return nil, err
	}
	types := map[string]data.DType{idColumn: data.String}
	for _, n := range ranks {
		name := "driver_" + strconv.Itoa(n)
		types[name], types[name+"_value"], types[name+"_contribution"] = data.String, data.String, data.Float64
	}
	f, err := data.ReadCSV(csvPath, data.CSVOptions{Types: types})
	if err != nil {
		return nil, fmt.Errorf("reading the scores: %w", err)
	}
	defer f.Release()
	idCol, _ := f.Column(idColumn)
	if n := idCol.NullCount(); n > 0 {
		return nil, server.Errorf(server.EINVALID, "the identity column %s is empty in %d rows of the scoring output: every profile needs an id", idColumn, n)
	}
	ids, err := idCol.Strings()
	if err != nil {
		return nil, err
	}
	w := &server.ProfileWrite{}
	var scores [][]float64
	var class []string
	for _, fl := range f.Schema() {
		if _, _, driver := driverColumn(fl.Name); fl.Name == idColumn || driver {
			continue
		}
		c, _ := f.Column(fl.Name)
		switch {
		case fl.Type == data.Float64 || fl.Type == data.Int64 || fl.Type == data.Bool:
			if err := server.CheckScoreName(fl.Name); err != nil {
				return nil, server.Errorf(server.EINVALID, "scoring output column %q cannot be a profile score: %s", fl.Name, server.ErrorMessage(err))
			}
			v, err := c.ToFloat64s()
			if err != nil {
				return nil, err
			}
			w.ScoreNames = append(w.ScoreNames, fl.Name)
			scores = append(scores, v)
		case fl.Type == data.String && class == nil:
			if class, err = c.Strings(); err != nil {
				return nil, err
			}
		}
	}
	if len(w.ScoreNames) == 0 && class == nil {
		return nil, server.Errorf(server.EINVALID, "the scoring output has no score or class column besides %s: nothing to write into the profiles", idColumn)
	}
	seen := make(map[string]int, len(ids))
	w.Rows = make([]server.ProfileRow, len(ids))
	flat := make([]float64, len(ids)*len(scores))
	for i, id := range ids {
		if j, dup := seen[id]; dup {
			return nil, server.Errorf(server.EINVALID, "id %q is in rows %d and %d of the scoring output: a profile takes one row per %s", id, j+1, i+1, idColumn)
		}
		seen[id] = i
		if err := server.CheckProfileID(id); err != nil {
			return nil, server.Errorf(server.EINVALID, "row %d of the scoring output: %s", i+1, server.ErrorMessage(err))
		}
		row := flat[i*len(scores) : (i+1)*len(scores) : (i+1)*len(scores)]
		for k := range scores {
			row[k] = scores[k][i]
		}
		w.Rows[i] = server.ProfileRow{ID: id, Scores: row}
		if class != nil {
			w.Rows[i].Class = class[i]
		}
	}
	if slices.ContainsFunc(flat, func(v float64) bool { return math.IsInf(v, 0) }) {
		return nil, server.Errorf(server.EINVALID, "the scoring output holds an infinite score: profiles keep finite numbers")
	}
	if err := readDrivers(f, ranks, w.Rows); err != nil {
		return nil, err
	}
	return w, nil
}

// readDrivers sets each row's drivers from the explanation columns of
// ranks. A rank whose column or contribution is blank in a row is left
// out of that row's drivers; values longer than server.MaxDriverText are
// cut there.
func readDrivers(f *data.Frame, ranks []int, rows []server.ProfileRow) error {
	if len(ranks) == 0 {
		return nil
	}
	type rank struct {
		feature, value []string
		contribution   []float64
		valid          []bool
	}
	cols := make([]rank, len(ranks))
	for k, n := range ranks {
		name := "driver_" + strconv.Itoa(n)
		feat, _ := f.Column(name)
		val, _ := f.Column(name + "_value")
		con, _ := f.Column(name + "_contribution")
		var err error
		r := &cols[k]
		if r.feature, err = feat.Strings(); err != nil {
			return err
		}
		if r.value, err = val.Strings(); err != nil {
			return err
		}
		if r.contribution, err = con.ToFloat64s(); err != nil {
			return err
		}
		r.valid = make([]bool, len(rows))
		for i := range r.valid {
			// ToFloat64s reads a blank contribution as NaN.
			r.valid[i] = !feat.IsNull(i) && r.feature[i] != "" && !math.IsNaN(r.contribution[i])
		}
	}
	flat := make([]server.Driver, 0, len(rows)*len(ranks))
	for i := range rows {
		start := len(flat)
		for _, r := range cols {
			if !r.valid[i] {
				continue
			}
			flat = append(flat, server.Driver{Feature: r.feature[i], Value: cutText(r.value[i], server.MaxDriverText), Contribution: r.contribution[i]})
		}
		ds := flat[start:len(flat):len(flat)]
		if err := server.CheckDrivers(ds); err != nil {
			return server.Errorf(server.EINVALID, "row %d of the scoring output (id %s): %s", i+1, rows[i].ID, server.ErrorMessage(err))
		}
		if len(ds) > 0 {
			rows[i].Drivers = ds
		}
	}
	return nil
}

// cutText shortens s to at most n bytes, at a character boundary.
func cutText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// csvHeader reads the column names of a CSV file.
func csvHeader(path string) ([]string, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	return csv.NewReader(fh).Read()
}

// driverColumn reports whether name is one of the explanation columns
// scoring writes beside the scores: driver_N, driver_N_value or
// driver_N_contribution, with its rank N and its suffix ("", "value" or
// "contribution").
func driverColumn(name string) (rank int, suffix string, ok bool) {
	rest, ok := strings.CutPrefix(name, "driver_")
	if !ok {
		return 0, "", false
	}
	num, suffix, _ := strings.Cut(rest, "_")
	n, err := strconv.Atoi(num)
	if err != nil || n < 1 || strconv.Itoa(n) != num {
		return 0, "", false
	}
	if suffix != "" && suffix != "value" && suffix != "contribution" {
		return 0, "", false
	}
	return n, suffix, true
}

// driverRanks returns the ranks of the explanation columns in header, in
// order. Each rank takes all three columns.
func driverRanks(header []string) ([]int, error) {
	have := map[int]map[string]bool{}
	for _, h := range header {
		if n, suffix, ok := driverColumn(h); ok {
			if have[n] == nil {
				have[n] = map[string]bool{}
			}
			have[n][suffix] = true
		}
	}
	ranks := make([]int, 0, len(have))
	for n, suffixes := range have {
		for _, want := range []string{"", "_value", "_contribution"} {
			if !suffixes[strings.TrimPrefix(want, "_")] {
				return nil, server.Errorf(server.EINVALID, "the scoring output has driver column(s) of rank %d but no driver_%d%s: drivers take three columns each (driver_N, driver_N_value, driver_N_contribution); write all three or rename the column", n, n, want)
			}
		}
		ranks = append(ranks, n)
	}
	slices.Sort(ranks)
	if len(ranks) > server.MaxProfileDrivers {
		return nil, server.Errorf(server.EINVALID, "the scoring output has %d drivers per row: profiles keep at most %d; write fewer (the recipe's drivers parameter)", len(ranks), server.MaxProfileDrivers)
	}
	return ranks, nil
}
