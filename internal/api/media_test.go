package api

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/internal/testkit"
	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

const (
	uploadPath = "/cgi-bin/media/upload"
	attachPath = "/cgi-bin/media/upload_attachment"
)

// mediaSetup is a fake WeCom and a client and MediaCache on one clock.
func mediaSetup(t *testing.T) (*wecomtest.Server, *wecom.Client, *wecom.MediaCache, *testkit.Clock) {
	t.Helper()
	clk := testkit.NewClock(time.Time{})
	srv, c := testkit.Setup(t, testkit.WithClock(clk), testkit.WithClientOptions(wecom.WithClock(clk.Now)))
	return srv, c, wecom.NewMediaCache(c), clk
}

// refsOf is one ref per file into ids, the first a Moments attachment.
func refsOf(ids []string, files ...*wecom.MediaSource) []MediaRef {
	var refs []MediaRef
	for i, f := range files {
		refs = AddMedia(refs, &ids[i], f, wecom.MediaImage)
	}
	refs[0].Scene = wecom.AttachmentMoment
	return refs
}

func png(name string) *wecom.MediaSource {
	return wecom.MediaFromBytes(name, []byte("\x89PNG "+name))
}

// SendMedia fills every ref before the send, uploads each file once for
// as long as its id lives, and again once it no longer does.
func TestSendMediaFillsFromTheCache(t *testing.T) {
	t.Parallel()
	srv, c, m, clk := mediaSetup(t)
	files := []*wecom.MediaSource{png("look.png"), png("poster.png"), png("cover.png")}
	var seen [][]string
	send := func(ids []string) func() error {
		return func() error {
			seen = append(seen, append([]string(nil), ids...))
			return nil
		}
	}
	for range 2 {
		ids := make([]string, 3)
		require.NoError(t, SendMedia(t.Context(), c, m, refsOf(ids, files...), send(ids)))
	}
	require.Len(t, seen, 2)
	for _, id := range seen[0] {
		assert.NotEmpty(t, id, "an id was sent empty")
	}
	assert.Equal(t, seen[0], seen[1], "the ids of live uploads are reused")
	assert.Equal(t, 2, srv.Count(uploadPath))
	assert.Equal(t, 1, srv.Count(attachPath))

	clk.Advance(3 * 24 * time.Hour) // day 4
	ids := make([]string, 3)
	require.NoError(t, SendMedia(t.Context(), c, m, refsOf(ids, files...), send(ids)))
	for i := range ids {
		assert.NotEqual(t, seen[0][i], seen[2][i], "day 4 sent an expired id")
	}
	assert.Equal(t, 4, srv.Count(uploadPath))
	assert.Equal(t, 2, srv.Count(attachPath))

	calls := 0
	require.NoError(t, SendMedia(t.Context(), c, m, nil, func() error { calls++; return nil }))
	assert.Equal(t, 1, calls, "no refs: one send")
	assert.Equal(t, 4, srv.Count(uploadPath), "no refs: no upload")
}

// After a 40007 the files are forgotten, uploaded again and the request
// sent once more with the new ids; a second 40007 is returned.
func TestSendMediaUploadsAgainAfterARefusal(t *testing.T) {
	t.Parallel()
	srv, c, m, _ := mediaSetup(t)
	ids := make([]string, 2)
	var sent []string
	refused := &wecom.Error{Code: wecom.CodeInvalidMediaID, Msg: "invalid media_id"}
	err := SendMedia(t.Context(), c, m, refsOf(ids, png("a.png"), png("b.png")), func() error {
		sent = append(sent, ids[1])
		if len(sent) == 1 {
			return refused
		}
		return nil
	})
	require.NoError(t, err)
	require.Len(t, sent, 2)
	assert.NotEqual(t, sent[0], sent[1], "the second send has the new upload's id")
	assert.Equal(t, 2, srv.Count(uploadPath))
	assert.Equal(t, 2, srv.Count(attachPath))

	calls := 0
	err = SendMedia(t.Context(), c, m, refsOf(ids, png("a.png"), png("b.png")), func() error { calls++; return refused })
	assert.Equal(t, wecom.CodeInvalidMediaID, wecom.ErrorCode(err))
	assert.Equal(t, 2, calls, "sent once more, not twice more")
}

// outcomeUnknown40007 is an error that carries 40007 and matches
// wecom.ErrOutcomeUnknown: whatever it says, the write may have landed.
type outcomeUnknown40007 struct{}

func (outcomeUnknown40007) Error() string { return "may have landed" }
func (outcomeUnknown40007) Unwrap() []error {
	return []error{wecom.ErrOutcomeUnknown, &wecom.Error{Code: wecom.CodeInvalidMediaID}}
}

// Only WeCom's definite 40007 is followed by a second send: a write that
// may have reached WeCom, any other error, and an upload that failed are
// returned as they are.
func TestSendMediaNeverResendsAWriteThatMayHaveLanded(t *testing.T) {
	t.Parallel()
	srv, c, m, _ := mediaSetup(t)
	refs := func() []MediaRef { return refsOf(make([]string, 1), png("a.png")) }

	srv.Fail(createPath, wecomtest.Fault{Drop: true})
	err := SendMedia(t.Context(), c, m, refs(), func() error {
		return Create(t.Context(), c, createPath, struct{}{}, nil, nil)
	})
	var mc *wecom.MaybeCreatedError
	require.ErrorAs(t, err, &mc)
	assert.Equal(t, 1, srv.Count(createPath))

	for _, e := range []error{outcomeUnknown40007{}, &wecom.Error{Code: wecom.CodeInvalidParameter}, errors.New("boom")} {
		calls := 0
		err := SendMedia(t.Context(), c, m, refs(), func() error { calls++; return e })
		require.ErrorIs(t, err, e)
		assert.Equal(t, 1, calls, "%v was sent again", e)
	}

	srv.Fail(attachPath, wecomtest.Fault{Errcode: 40005, Errmsg: "invalid file size"})
	calls := 0
	err = SendMedia(t.Context(), c, m, refsOf(make([]string, 1), png("new.png")), func() error { calls++; return nil })
	assert.Equal(t, 40005, wecom.ErrorCode(err))
	assert.Zero(t, calls, "nothing is sent when a file could not be uploaded")
}

// Own copies what a pointer points to into a new object and leaves the
// original as it was.
func TestOwn(t *testing.T) {
	t.Parallel()
	type img struct{ ID string }
	orig := &img{ID: "a"}
	p := orig
	c := Own(&p)
	c.ID = "b"
	assert.Equal(t, "a", orig.ID)
	assert.Same(t, c, p)
	var none *img
	assert.Nil(t, Own(&none))
}

func TestRequiredMedia(t *testing.T) {
	t.Parallel()
	sentinel := errors.New("invalid")
	k := Check{Pkg: "x", Sentinel: sentinel}
	err := k.RequiredMedia("Image.MediaID", "", "Image.Upload", nil)
	require.ErrorIs(t, err, sentinel)
	assert.EqualError(t, err, "x: Image.MediaID is required (or its file, Image.Upload)")
	assert.NoError(t, k.RequiredMedia("Image.MediaID", "m", "Image.Upload", nil))
	assert.NoError(t, k.RequiredMedia("Image.MediaID", "", "Image.Upload", png("a.png")))
}
