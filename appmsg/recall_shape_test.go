package appmsg_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/internal/shapetest"
)

func TestRecallShape(t *testing.T) {
	t.Parallel()
	svc, m := shapeService(t)
	m.Expect(shapetest.Call{Method: http.MethodPost, Path: "/cgi-bin/message/recall", Body: `{"msgid":"MSG"}`}, "")
	require.NoError(t, svc.Recall(t.Context(), "MSG"))
}
