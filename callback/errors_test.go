package callback_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/callback"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

// A nil handler function makes the Handler refuse every request (500) and
// say why, instead of answering "success" and dropping the events.
func TestNilHandlerFunctionIsRefusedLoudly(t *testing.T) {
	t.Parallel()
	for name, register := range map[string]func(h *callback.Handler){
		"OnAddExternalContact": func(h *callback.Handler) { h.OnAddExternalContact(nil) },
		"OnExternalChat":       func(h *callback.Handler) { h.OnExternalChat(nil) },
		"On":                   func(h *callback.Handler) { h.On("anything", nil) },
		"OnDefault":            func(h *callback.Handler) { h.OnDefault(nil) },
		"OnMessage":            func(h *callback.Handler) { h.OnMessage("text", nil) },
	} {
		t.Run(name, func(t *testing.T) {
			h := newHandler(t, callback.WithReceiverID(corpID))
			called := false
			h.OnDefault(func(context.Context, callback.Event) error { called = true; return nil })
			require.NoError(t, h.Err())
			register(h)
			require.Error(t, h.Err())
			assert.Contains(t, h.Err().Error(), "nil function")

			_, p := serve(t, h, corpID)
			p.Attempts = 1
			res, _ := p.Push(t.Context(), addEvent("wmNIL"))
			require.NotNil(t, res)
			assert.Equal(t, http.StatusInternalServerError, res.Status())
			assert.False(t, called, "no handler may run")

			req, err := p.VerifyURLRequest(t.Context(), "12345")
			require.NoError(t, err)
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			resp.Body.Close()
			assert.Equal(t, http.StatusInternalServerError, resp.StatusCode, "the console's URL check fails too")
		})
	}
}

// A push signed with the right Token but encrypted with another key says
// the EncodingAESKey is probably wrong, in the log and the error hook; the
// HTTP answer stays terse.
func TestWrongEncodingAESKeyIsNamed(t *testing.T) {
	t.Parallel()
	var (
		mu       sync.Mutex
		hooked   []error
		hookedEv []callback.Event
		logs     bytes.Buffer
	)
	h := newHandler(t, callback.WithReceiverID(corpID),
		callback.WithLogger(slog.New(slog.NewTextHandler(&lockedWriter{w: &logs, mu: &mu}, nil))),
		callback.WithErrorHook(func(_ context.Context, ev callback.Event, err error) {
			mu.Lock()
			hooked, hookedEv = append(hooked, err), append(hookedEv, ev)
			mu.Unlock()
		}))
	srv, _ := serve(t, h, corpID)
	other := wecomtest.NewPusher(srv.URL, token, wecomtest.NewEncodingAESKey(), corpID)
	other.Attempts = 1
	for range 5 { // each push has fresh random bytes; every one must fail the same way
		res, _ := other.Push(t.Context(), addEvent("wmKEY"))
		require.NotNil(t, res)
		assert.Equal(t, http.StatusBadRequest, res.Status())
		assert.NotContains(t, res.Body(), "EncodingAESKey")
	}
	mu.Lock()
	defer mu.Unlock()
	require.Len(t, hooked, 5)
	for i, err := range hooked {
		assert.Nil(t, hookedEv[i])
		assert.Contains(t, err.Error(), "EncodingAESKey is probably wrong")
		assert.True(t, errors.Is(err, callback.ErrBadPadding) || errors.Is(err, callback.ErrBadLength), "%v", err)
	}
	assert.Contains(t, logs.String(), "EncodingAESKey is probably wrong")
}

func TestBadKeyAndTokenErrorsSayWhatIsWrong(t *testing.T) {
	t.Parallel()
	good := wecomtest.NewEncodingAESKey()
	for _, tc := range []struct {
		key, want string
	}{
		{good[:42], "it has 42 characters"},
		{good + "=", "drop the trailing '='"},
		{" " + good[:42] + " ", "surrounding whitespace"},
		{good[:10] + "-" + good[11:], "character 11 is not a letter, digit"},
	} {
		_, err := callback.NewCrypto(token, tc.key, corpID)
		require.ErrorIs(t, err, callback.ErrInvalidAESKey)
		assert.Contains(t, err.Error(), tc.want)
		assert.NotContains(t, err.Error(), tc.key[:20], "the key must not appear in the error")
	}
	_, err := callback.NewCrypto("", good, corpID)
	require.ErrorIs(t, err, callback.ErrInvalidToken)
	assert.Contains(t, err.Error(), "0 characters")
}
