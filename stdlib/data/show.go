package data

import (
	"fmt"
	"html"
	"strconv"
	"strings"
	"time"

	"github.com/galley-dev/galley/stdlib/display"
)

// displayRows is how many rows String and DisplayData show; larger frames
// show the first and last half of that.
const displayRows = 10

// cell formats row i of column k for display; nulls read "null".
func (f *Frame) cell(k, i int) string {
	return formatValue(valueAt(f.col(k), i))
}

func formatValue(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case float64:
		return strconv.FormatFloat(x, 'g', 6, 64)
	case time.Time:
		if x.Hour() == 0 && x.Minute() == 0 && x.Second() == 0 && x.Nanosecond() == 0 {
			return x.Format("2006-01-02")
		}
		return x.Format("2006-01-02 15:04:05")
	default:
		return fmt.Sprint(x)
	}
}

// shownRows returns the row numbers to display, with -1 marking the gap.
func (f *Frame) shownRows() []int {
	var rows []int
	if f.nrows <= displayRows {
		for i := 0; i < f.nrows; i++ {
			rows = append(rows, i)
		}
		return rows
	}
	h := displayRows / 2
	for i := 0; i < h; i++ {
		rows = append(rows, i)
	}
	rows = append(rows, -1)
	for i := f.nrows - h; i < f.nrows; i++ {
		rows = append(rows, i)
	}
	return rows
}

func (f *Frame) shapeLine() string {
	return fmt.Sprintf("Frame %d rows × %d columns", f.nrows, len(f.schema))
}

// String renders the shape, dtypes and first and last rows as aligned text.
func (f *Frame) String() string {
	if err := f.live(); err != nil {
		return "Frame (" + err.Error() + ")"
	}
	rows := f.shownRows()
	width := make([]int, len(f.schema))
	table := make([][]string, len(rows)+2)
	table[0] = make([]string, len(f.schema))
	table[1] = make([]string, len(f.schema))
	for k, c := range f.schema {
		table[0][k] = c.Name
		table[1][k] = string(c.Type)
	}
	for r, i := range rows {
		line := make([]string, len(f.schema))
		for k := range f.schema {
			if i < 0 {
				line[k] = "…"
			} else {
				line[k] = f.cell(k, i)
			}
		}
		table[r+2] = line
	}
	for _, line := range table {
		for k, s := range line {
			if n := len([]rune(s)); n > 24 {
				line[k] = string([]rune(s)[:23]) + "…"
			}
			width[k] = max(width[k], len([]rune(line[k])))
		}
	}
	var b strings.Builder
	b.WriteString(f.shapeLine())
	b.WriteByte('\n')
	for _, line := range table {
		for k, s := range line {
			if k > 0 {
				b.WriteString("  ")
			}
			b.WriteString(s)
			if k < len(line)-1 {
				b.WriteString(strings.Repeat(" ", width[k]-len([]rune(s))))
			}
		}
		b.WriteString("\n")
	}
	for _, p := range f.problems[:min(len(f.problems), 5)] {
		b.WriteString(p.String())
		b.WriteByte('\n')
	}
	if len(f.problems) > 5 {
		fmt.Fprintf(&b, "… %d more input problems\n", len(f.problems)-5)
	}
	return strings.TrimRight(b.String(), " \n")
}

// DisplayData renders an HTML table of the first and last rows with the
// shape and column types, plus the text form.
func (f *Frame) DisplayData() display.Data {
	if err := f.live(); err != nil {
		return display.Text("Frame (" + err.Error() + ")")
	}
	var b strings.Builder
	b.WriteString(`<div class="galley-frame"><table style="border-collapse:collapse;font-size:12px">`)
	b.WriteString("<thead><tr><th></th>")
	for _, c := range f.schema {
		fmt.Fprintf(&b, `<th style="text-align:left;padding:2px 8px">%s<br><span style="font-weight:normal;color:#888">%s</span></th>`,
			html.EscapeString(c.Name), c.Type)
	}
	b.WriteString("</tr></thead><tbody>")
	for _, i := range f.shownRows() {
		b.WriteString("<tr>")
		if i < 0 {
			fmt.Fprintf(&b, `<td>…</td><td colspan="%d">…</td></tr>`, len(f.schema))
			continue
		}
		fmt.Fprintf(&b, `<td style="color:#888;padding:2px 8px">%d</td>`, i)
		for k, c := range f.schema {
			v := valueAt(f.col(k), i)
			style := "padding:2px 8px"
			if c.Type.Numeric() || c.Type == Timestamp {
				style += ";text-align:right"
			}
			if v == nil {
				style += ";color:#aaa"
			}
			fmt.Fprintf(&b, `<td style="%s">%s</td>`, style, html.EscapeString(formatValue(v)))
		}
		b.WriteString("</tr>")
	}
	b.WriteString("</tbody></table>")
	fmt.Fprintf(&b, "<p><small>%d rows × %d columns", f.nrows, len(f.schema))
	if n := len(f.problems); n > 0 {
		fmt.Fprintf(&b, "; %d input problems (see Problems())", n)
	}
	b.WriteString("</small></p></div>")
	return display.Data{Bundle: display.Bundle{display.MIMEHTML: b.String(), display.MIMEText: f.String()}}
}
