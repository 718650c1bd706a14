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
	head := Row{"figure", "measured", "target", "verdict"}
	cells := func(r Row) []string { return []string{r.Figure, r.Measured, r.Target, r.Verdict} }
	width := make([]int, 4)
	for _, r := range append([]Row{head}, rows...) {
		for i, c := range cells(r) {
			width[i] = max(width[i], utf8.RuneCountInString(c))
		}
	}
	line := func(cs []string) {
		var b strings.Builder
		b.WriteString("|")
		for i, c := range cs {
			fmt.Fprintf(&b, " %s%s |", c, strings.Repeat(" ", width[i]-utf8.RuneCountInString(c)))
		}
		fmt.Fprintln(w, b.String())
	}
	line(cells(head))
	sep := make([]string, 4)
	for i := range sep {
		sep[i] = strings.Repeat("-", width[i])
	}
	line(sep)
	for _, r := range rows {
		line(cells(r))
	}
}

// ms formats d in milliseconds with two decimals.
func ms(d time.Duration) string { return fmt.Sprintf("%.2f", float64(d)/float64(time.Millisecond)) }

// perSecond formats a rate without decimals.
func perSecond(r float64) string { return fmt.Sprintf("%.0f/s", r) }

// mib formats a byte count in MiB.
func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }
