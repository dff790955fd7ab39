// Package steps prints the numbered, one-line-per-step progress the example
// programs share, and stops at the first failing step.
package steps

import (
	"fmt"
	"io"
	"time"
)

// Printer numbers the steps it runs and prints one line for each.
type Printer struct {
	out   io.Writer
	width int
	n     int
}

// New returns a Printer writing to out, padding step names to width.
func New(out io.Writer, width int) *Printer { return &Printer{out: out, width: width} }

// Do runs f as the next step and prints its detail and duration, or its
// error. The error returned names the step.
func (p *Printer) Do(name string, f func() (string, error)) error {
	p.n++
	start := time.Now()
	detail, err := f()
	took := time.Since(start).Round(time.Microsecond)
	if err != nil {
		fmt.Fprintf(p.out, "%2d. %-*s FAILED after %v: %v\n", p.n, p.width, name, took, err)
		return fmt.Errorf("%s: %w", name, err)
	}
	fmt.Fprintf(p.out, "%2d. %-*s ok  %s (%v)\n", p.n, p.width, name, detail, took)
	return nil
}
