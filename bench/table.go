package bench

import (
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"
)

// Verdicts of a Row.
const (
	VerdictOK      = "ok"
	VerdictMiss    = "MISS"
	VerdictError   = "ERROR"
	VerdictSkipped = "skipped"
)

// Row is one line of the table. A figure without a target has an empty
// Target and Verdict.
type Row struct {
	Figure   string
	Measured string
	Target   string
	Verdict  string
}

// Info is a figure without a target.
func Info(figure, measured string) Row { return Row{Figure: figure, Measured: measured} }

// Check is a figure with a target, met or not.
func Check(figure, measured, target string, met bool) Row {
	v := VerdictMiss
	if met {
		v = VerdictOK
	}
	return Row{Figure: figure, Measured: measured, Target: target, Verdict: v}
}

// writeTable writes rows as a Markdown table with aligned columns.
func writeTable(w io.Writer, rows []Row) {
	cells := make([][]string, len(rows))
	for i, r := range rows {
		cells[i] = []string{r.Figure, r.Measured, r.Target, r.Verdict}
	}
	WriteTable(w, []string{"figure", "measured", "target", "verdict"}, cells)
}

// WriteTable writes a Markdown table of head and rows, with aligned
// columns; a row shorter than head leaves its last cells empty.
func WriteTable(w io.Writer, head []string, rows [][]string) {
	width := make([]int, len(head))
	for _, r := range append([][]string{head}, rows...) {
		for i, c := range r[:min(len(r), len(head))] {
			width[i] = max(width[i], utf8.RuneCountInString(c))
		}
	}
	line := func(cs []string) {
		var b strings.Builder
		b.WriteString("|")
		for i := range head {
			c := ""
			if i < len(cs) {
				c = cs[i]
			}
			fmt.Fprintf(&b, " %s%s |", c, strings.Repeat(" ", width[i]-utf8.RuneCountInString(c)))
		}
		fmt.Fprintln(w, b.String())
	}
	line(head)
	sep := make([]string, len(head))
	for i := range sep {
		sep[i] = strings.Repeat("-", width[i])
	}
	line(sep)
	for _, r := range rows {
		line(r)
	}
}

// ms formats d in milliseconds with two decimals.
func ms(d time.Duration) string { return fmt.Sprintf("%.2f", float64(d)/float64(time.Millisecond)) }

// perSecond formats a rate without decimals.
func perSecond(r float64) string { return fmt.Sprintf("%.0f/s", r) }

// mib formats a byte count in MiB.
func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }
