package main

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// progress reports an export's progress on standard error: a bar redrawn
// in place on a terminal, plain lines every interval otherwise (for logs
// and CI, where a carriage return is noise).
type progress struct {
	w        io.Writer
	tty      bool
	now      func() time.Time
	interval time.Duration

	total        int   // members with customer contact
	startMembers int   // members done when this run started (a resume)
	startRecords int64 // lines written then
	start        time.Time
	last         time.Time // when the last line or frame was drawn
	drawn        bool
	lastMembers  int   // what it showed
	lastRecords  int64 // then
}

// barFrame is how often the terminal bar is redrawn at most.
const barFrame = 100 * time.Millisecond

func newProgress(a *app, total, members int, records int64, interval time.Duration) *progress {
	now := a.now()
	return &progress{w: a.stderr, tty: a.isTerminal(a.stderr), now: a.now, interval: interval,
		total: total, startMembers: members, startRecords: records, start: now}
}

// update reports that members are done and records lines written.
func (p *progress) update(members int, records int64) {
	now := p.now()
	every := p.interval
	if p.tty {
		every = barFrame
	}
	if p.drawn && now.Sub(p.last) < every {
		return
	}
	p.draw(now, members, records)
}

// finish draws the last state, unless a line showed it already, and ends
// the bar's line.
func (p *progress) finish(members int, records int64) {
	if p.tty || !p.drawn || members != p.lastMembers || records != p.lastRecords {
		p.draw(p.now(), members, records)
	}
	if p.tty {
		fmt.Fprintln(p.w)
	}
}

func (p *progress) draw(now time.Time, members int, records int64) {
	p.last, p.drawn, p.lastMembers, p.lastRecords = now, true, members, records
	elapsed := now.Sub(p.start)
	rate := 0.0
	if s := elapsed.Seconds(); s > 0 {
		rate = float64(records-p.startRecords) / s
	}
	eta := "?"
	switch done := members - p.startMembers; {
	case members >= p.total:
		eta = "0s"
	case done > 0 && elapsed > 0:
		left := time.Duration(float64(elapsed) / float64(done) * float64(p.total-members))
		eta = left.Round(time.Second).String()
		if left < time.Second {
			eta = "<1s"
		}
	}
	stats := fmt.Sprintf("%d/%d members, %d customers, %.0f/s, ETA %s", members, p.total, records, rate, eta)
	if !p.tty {
		fmt.Fprintln(p.w, "progress:", stats)
		return
	}
	const width = 30
	filled := width
	if p.total > 0 {
		filled = min(width, members*width/p.total)
	}
	bar := strings.Repeat("=", filled) + strings.Repeat(" ", width-filled)
	if filled > 0 && filled < width {
		bar = bar[:filled-1] + ">" + bar[filled:]
	}
	// \r back to the line's start; \x1b[K clears what a longer frame left.
	fmt.Fprintf(p.w, "\r[%s] %s\x1b[K", bar, stats)
}
