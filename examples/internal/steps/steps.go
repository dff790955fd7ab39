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

// Step is one step of an example's flow; FakeOnly steps need the fake WeCom
// (they act out a customer or a member) and are left out against a real
// server.
type Step struct {
	Name     string
	FakeOnly bool
	Fn       func() (string, error)
}

// Run runs the steps in order with Do, leaving out the FakeOnly ones
// unless fake is true, and stops at the first failure.
func (p *Printer) Run(fake bool, steps []Step) error {
	for _, st := range steps {
		if st.FakeOnly && !fake {
			continue
		}
		if err := p.Do(st.Name, st.Fn); err != nil {
			return err
		}
	}
	return nil
}
