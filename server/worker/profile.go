package worker

import (
	"encoding/csv"
	"fmt"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/galley-dev/galley/server"
	"github.com/galley-dev/galley/stdlib/data"
)

// profileScores reads a scoring run's CSV output as the rows to upsert
// into a profile set: idColumn is the identity (read as text, so that
// ids such as 0042 keep their zeros), every numeric column is a score and
// the first text column besides the identity is the predicted class.
// The explanation columns ml.ScoreOptions.Drivers adds (driver_N,
// driver_N_value, driver_N_contribution) are neither: profiles do not keep
// them, the output dataset does.
func profileScores(csvPath, idColumn string) (*server.ProfileWrite, error) {
	header, err := csvHeader(csvPath)
	if err != nil {
		return nil, fmt.Errorf("reading the scores: %w", err)
	}
	if !slices.Contains(header, idColumn) {
		return nil, server.Errorf(server.EINVALID, "the scoring output has no column %s to key the profiles by: it has %v; give the identity column with --id", idColumn, header)
	}
	f, err := data.ReadCSV(csvPath, data.CSVOptions{Types: map[string]data.DType{idColumn: data.String}})
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
		if fl.Name == idColumn || isDriverColumn(fl.Name) {
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
	return w, nil
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

// isDriverColumn reports whether name is one of the explanation columns
// scoring writes beside the scores: driver_N, driver_N_value or
// driver_N_contribution.
func isDriverColumn(name string) bool {
	rest, ok := strings.CutPrefix(name, "driver_")
	if !ok {
		return false
	}
	n, suffix, _ := strings.Cut(rest, "_")
	if _, err := strconv.Atoi(n); err != nil {
		return false
	}
	return suffix == "" || suffix == "value" || suffix == "contribution"
}
