package callback

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/wecom"
)

// handlerInputs are n distinct pushes of the bench event (de-dup must not
// turn them away), as WeCom POSTs them: a query and an XML body.
func handlerInputs(tb testing.TB, in benchInput, n int) (targets []string, bodies [][]byte) {
	for i := range n {
		ev := bytes.Replace([]byte(benchEvent), []byte("1700000000"), []byte(fmt.Sprint(1700000000+i)), 1)
		enc, sig, err := in.c.Encrypt(ev, in.ts, in.nonce)
		require.NoError(tb, err)
		q := url.Values{"msg_signature": {sig}, "timestamp": {in.ts}, "nonce": {in.nonce}}
		targets = append(targets, "/callback?"+q.Encode())
		bodies = append(bodies, []byte("<xml><ToUserName><![CDATA["+in.rid+"]]></ToUserName><Encrypt><![CDATA["+enc+
			"]]></Encrypt><AgentID><![CDATA[1000002]]></AgentID></xml>"))
	}
	return targets, bodies
}

// BenchmarkHandlerPath measures a push from its *http.Request to the typed
// event in the application's function (synchronous delivery, de-dup on,
// in memory), next to the verify + decrypt + parse path alone in the same
// run.
func BenchmarkHandlerPath(b *testing.B) {
	in := newBenchInput(b)
	const distinct = 1024
	targets, bodies := handlerInputs(b, in, distinct)

	var clock *atomic.Int64 // nanoseconds past the start, for the de-dup table
	run := func(b *testing.B, opts ...Option) {
		h, err := NewHandler(in.token, in.encodingAESKey, append([]Option{WithReceiverID(in.rid)}, opts...)...)
		require.NoError(b, err)
		defer h.Close(context.Background())
		got := 0
		h.OnAddExternalContact(func(_ context.Context, ev *ExternalContactEvent) error {
			if ev.WelcomeCode != "" {
				got++
			}
			return nil
		})
		reqs := make([]*http.Request, distinct)
		rdrs := make([]*bytes.Reader, distinct)
		for i := range reqs {
			rdrs[i] = bytes.NewReader(bodies[i])
			reqs[i] = httptest.NewRequest(http.MethodPost, targets[i], rdrs[i])
		}
		w := &discardWriter{h: http.Header{}}
		b.ReportAllocs()
		b.ResetTimer()
		for i := range b.N {
			k := i % distinct
			if k == 0 && i > 0 && clock != nil {
				clock.Add(int64(DefaultDedupTTL + time.Minute)) // the 1,024 pushes may come again
			}
			rdrs[k].Reset(bodies[k])
			w.code = 0
			h.ServeHTTP(w, reqs[k])
			if w.code != http.StatusOK {
				b.Fatalf("answered %d", w.code)
			}
		}
		b.StopTimer()
		require.Equal(b, b.N, got, "%d events reached the handler, want %d", got, b.N)
	}
	b.Run("handler", func(b *testing.B) {
		// De-dup on (the default, in-process table); its clock moves past
		// the de-dup lifetime after each round of the 1,024 distinct pushes.
		clock = new(atomic.Int64)
		start := time.Now()
		run(b, WithClock(func() time.Time { return start.Add(time.Duration(clock.Load())) }))
		clock = nil
	})
	b.Run("handler-sharedstore", func(b *testing.B) {
		// De-dup through a wecom.Store (here the in-memory one; Redis in
		// production): entries live a millisecond so that the pushes cycle.
		run(b, WithDedupStore(wecom.NewMemoryStore(), time.Millisecond))
	})
	b.Run("handler-nodedup", func(b *testing.B) { run(b, WithoutDedup()) })
	b.Run("reference", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			if _, err := fullPath(in); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// discardWriter is an http.ResponseWriter that keeps the status only.
type discardWriter struct {
	h    http.Header
	code int
}

func (w *discardWriter) Header() http.Header { return w.h }
func (w *discardWriter) Write(p []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return len(p), nil
}
func (w *discardWriter) WriteHeader(code int) { w.code = code }

// WriteString is there as on net/http's own ResponseWriter.
func (w *discardWriter) WriteString(s string) (int, error) { return w.Write(nil) }
