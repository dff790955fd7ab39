package wecomtest

import (
	"net/http"
	"time"
)

// Fault is a failure injected into the answers for one path. Exactly what is
// set happens, in this order: Latency, then Drop, HTTPStatus or Errcode.
type Fault struct {
	Errcode    int           // answer this errcode (e.g. -1, 45009, 42001)
	Errmsg     string        // its errmsg (default "fault injected")
	HTTPStatus int           // answer this HTTP status with an empty body (e.g. 502)
	Latency    time.Duration // wait this long first (then answer normally if nothing else is set)
	Drop       bool          // close the connection without answering, after reading the request
	Times      int           // how many requests it hits (0 means 1; negative: until ClearFaults)
}

// Fail injects f into the next requests for path (e.g.
// "/cgi-bin/externalcontact/list"). Faults queue up: the first is used up
// before the next applies.
func (s *Server) Fail(path string, f Fault) {
	if f.Times == 0 {
		f.Times = 1
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p := normPath(path)
	s.faults[p] = append(s.faults[p], &f)
}

// ClearFaults removes every injected fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	s.faults = map[string][]*Fault{}
	s.mu.Unlock()
}

func (s *Server) takeFault(path string) *Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.faults[path]
	if len(q) == 0 {
		return nil
	}
	f := *q[0]
	if q[0].Times > 0 {
		q[0].Times--
		if q[0].Times == 0 {
			s.faults[path] = q[1:]
		}
	}
	return &f
}

// apply acts out the fault; it reports whether the answer has been given.
func (f *Fault) apply(w http.ResponseWriter) bool {
	if f.Latency > 0 {
		time.Sleep(f.Latency)
	}
	switch {
	case f.Drop:
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				_ = conn.Close()
				return true
			}
		}
		panic(http.ErrAbortHandler) // closes the connection without an answer
	case f.HTTPStatus != 0:
		w.WriteHeader(f.HTTPStatus)
		return true
	case f.Errcode != 0:
		msg := f.Errmsg
		if msg == "" {
			msg = "fault injected"
		}
		writeJSON(w, errBody(f.Errcode, msg))
		return true
	}
	return false
}

type rateLimit struct {
	n      int
	window time.Duration
}

type windowKey struct{ corp, path string }

type window struct {
	start time.Time
	count int
}

// SetRateLimit makes the server enforce a frequency limit on path: at most n
// calls per corp in each fixed window, answering 45009 beyond it, like
// WeCom's per-corp, per-API limits. n <= 0 removes the limit.
func (s *Server) SetRateLimit(path string, n int, per time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := normPath(path)
	if n <= 0 {
		delete(s.limits, p)
		return
	}
	s.limits[p] = rateLimit{n: n, window: per}
}

// allowLocked counts a call against the path's limit; s.mu is held.
func (s *Server) allowLocked(corp, path string) bool {
	l, ok := s.limits[path]
	if !ok {
		return true
	}
	k := windowKey{corp, path}
	now := s.now()
	w := s.windows[k]
	if w == nil || now.Sub(w.start) >= l.window {
		w = &window{start: now}
		s.windows[k] = w
	}
	w.count++
	return w.count <= l.n
}
