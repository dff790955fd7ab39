package callback

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestObserverOffAllocations checks that observing pushes costs no
// allocation: a push with no Observer allocates no more than one with
// NopObserver, which receives every observation (so the observations
// allocate nothing, and without an Observer none is made). .ci/run runs it
// without the race detector.
func TestObserverOffAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts differ under the race detector (go test without -race runs this)")
	}
	in := newBenchInput(t)
	targets, bodies := handlerInputs(t, in, 64)
	measure := func(opts ...Option) float64 {
		h, err := NewHandler(in.token, in.encodingAESKey, append([]Option{WithReceiverID(in.rid)}, opts...)...)
		require.NoError(t, err)
		t.Cleanup(func() { _ = h.Close(context.Background()) })
		h.OnAddExternalContact(func(context.Context, *ExternalContactEvent) error { return nil })
		w := &discardWriter{h: http.Header{}}
		rdr := bytes.NewReader(nil)
		req := httptest.NewRequest(http.MethodPost, targets[0], rdr)
		i := 0
		return testing.AllocsPerRun(50, func() {
			k := i % len(bodies)
			i++
			rdr.Reset(bodies[k])
			req.URL.RawQuery = targets[k][len("/callback?"):]
			w.code = 0
			h.ServeHTTP(w, req)
			if w.code != http.StatusOK {
				t.Fatalf("answered %d", w.code)
			}
		})
	}
	for _, base := range [][]Option{nil, {WithoutDedup()}} {
		off := measure(base...)
		nop := measure(append(base, WithObserver(NopObserver{}))...)
		assert.Equal(t, off, nop, "allocations per push: %v without an Observer, %v with NopObserver", off, nop)
		assert.LessOrEqual(t, off, 3.0)
	}
}

// BenchmarkObserverOff is the handler path of BenchmarkHandlerPath (de-dup
// off) with no Observer and with NopObserver: the same allocations.
//
//	go test -run '^$' -bench ObserverOff -benchmem ./callback/
func BenchmarkObserverOff(b *testing.B) {
	in := newBenchInput(b)
	targets, bodies := handlerInputs(b, in, 1024)
	for _, bc := range []struct {
		name string
		opts []Option
	}{{"none", nil}, {"nop", []Option{WithObserver(NopObserver{})}}} {
		b.Run(bc.name, func(b *testing.B) {
			h, err := NewHandler(in.token, in.encodingAESKey, append([]Option{WithReceiverID(in.rid), WithoutDedup()}, bc.opts...)...)
			require.NoError(b, err)
			b.Cleanup(func() { _ = h.Close(context.Background()) })
			h.OnAddExternalContact(func(context.Context, *ExternalContactEvent) error { return nil })
			w := &discardWriter{h: http.Header{}}
			rdr := bytes.NewReader(nil)
			req := httptest.NewRequest(http.MethodPost, targets[0], rdr)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				k := i % len(bodies)
				i++
				rdr.Reset(bodies[k])
				req.URL.RawQuery = targets[k][len("/callback?"):]
				w.code = 0
				h.ServeHTTP(w, req)
				if w.code != http.StatusOK {
					b.Fatalf("answered %d", w.code)
				}
			}
		})
	}
}
