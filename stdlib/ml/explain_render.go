package ml

import (
	"fmt"
	"math"
	"strings"

	"github.com/galley-dev/galley/stdlib/data"
	"github.com/galley-dev/galley/stdlib/display"
	"github.com/galley-dev/galley/stdlib/plot"
)

// explainShown is the most rows an explanation's table shows.
const explainShown = 20

func (d Driver) String() string {
	return fmt.Sprintf("%s = %s (%+.3f)", d.Feature, d.Value, d.Contribution)
}

// DisplayData renders the first rows of the explanation as a table: the
// prediction and the top drivers of each row.
func (e *Explanation) DisplayData() display.Data {
	header := []string{"row", "prediction"}
	multi := len(e.Rows) > 0 && e.Rows[0].Class != ""
	if multi {
		header = []string{"row", "class", "probability"}
	}
	for i := 1; i <= e.K; i++ {
		header = append(header, fmt.Sprintf("driver %d", i))
	}
	header = append(header, "others")
	n := min(len(e.Rows), explainShown)
	rows := make([][]string, n)
	var text strings.Builder
	for i, r := range e.Rows[:n] {
		row := []string{fmt.Sprint(i), fmt.Sprintf("%.4f", r.Prediction)}
		if multi {
			row = []string{fmt.Sprint(i), r.Class, fmt.Sprintf("%.4f", r.Prediction)}
			fmt.Fprintf(&text, "%d  %s  %.4f", i, r.Class, r.Prediction)
		} else {
			fmt.Fprintf(&text, "%d  %.4f", i, r.Prediction)
		}
		for _, d := range r.Drivers {
			row = append(row, d.String())
			fmt.Fprintf(&text, "  %s", d)
		}
		row = append(row, fmt.Sprintf("%+.3f", r.Other))
		fmt.Fprintf(&text, "  others %+.3f\n", r.Other)
		rows[i] = row
	}
	caption := fmt.Sprintf("Top %d drivers per row (contributions in %s from a base of %.4f)", e.K, e.Scale, e.Base)
	if math.IsNaN(e.Base) {
		caption = fmt.Sprintf("Top %d drivers of each row's predicted class (contributions in %s from the class's base)", e.K, e.Scale)
	}
	if len(e.Rows) > n {
		caption += fmt.Sprintf("; first %d of %d rows", n, len(e.Rows))
	}
	d := display.HTML(htmlTable(caption, header, rows))
	d.Bundle[display.MIMEText] = caption + "\n" + text.String()
	return d
}

func (e *Explanation) String() string {
	return fmt.Sprintf("explanation of %d rows: top %d drivers, base %.4f (%s)", len(e.Rows), e.K, e.Base, e.Scale)
}

// Waterfall draws how row i's score builds up from the base value through
// its top drivers and the remaining columns to its margin.
func (e *Explanation) Waterfall(i int) (*plot.Chart, error) {
	if i < 0 || i >= len(e.Rows) {
		return nil, fmt.Errorf("ml: row %d out of range: the explanation has %d rows", i, len(e.Rows))
	}
	r := e.Rows[i]
	names := make([]string, 0, len(r.Drivers)+1)
	values := make([]float64, 0, len(r.Drivers)+1)
	for _, d := range r.Drivers {
		names = append(names, d.Feature+" = "+d.Value)
		values = append(values, d.Contribution)
	}
	names = append(names, "other columns")
	values = append(values, r.Other)
	col := "contribution (" + e.Scale + ")"
	f, err := data.New(data.Strings("driver", names), data.Float64s(col, values))
	if err != nil {
		return nil, err
	}
	defer f.Release()
	title := fmt.Sprintf("Row %d: prediction %.4f", i, r.Prediction)
	if r.Class != "" {
		title = fmt.Sprintf("Row %d: class %s, probability %.4f", i, r.Class, r.Prediction)
	}
	return plot.Waterfall(f, "driver", col, r.Base, plot.Options{Title: title, Width: 560})
}
