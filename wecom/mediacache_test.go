package wecom_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

// manualClock is a clock that moves only when told to.
type manualClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *manualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *manualClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

const uploadPath = "/cgi-bin/media/upload"

func TestMediaCache_UploadsOnceAndReuses(t *testing.T) {
	t.Parallel()
	srv := wecomtest.NewServer(t)
	client := srv.Client()
	mc := wecom.NewMediaCache(client)
	ctx := t.Context()

	a, err := mc.UploadMedia(ctx, wecom.MediaImage, wecom.MediaFromBytes("a.png", []byte("png bytes 1")))
	require.NoError(t, err)
	b, err := mc.UploadMedia(ctx, wecom.MediaImage, wecom.MediaFromBytes("a.png", []byte("png bytes 1")))
	require.NoError(t, err)
	assert.Equal(t, a.MediaID, b.MediaID)
	assert.Equal(t, wecom.MediaImage, b.Type)
	assert.Equal(t, 1, srv.Count(uploadPath), "equal content and name upload once")

	// Another name is another file to recipients; other bytes, another file.
	c, err := mc.UploadMedia(ctx, wecom.MediaImage, wecom.MediaFromBytes("b.png", []byte("png bytes 1")))
	require.NoError(t, err)
	d, err := mc.UploadMedia(ctx, wecom.MediaImage, wecom.MediaFromBytes("a.png", []byte("png bytes 2")))
	require.NoError(t, err)
	assert.NotEqual(t, a.MediaID, c.MediaID)
	assert.NotEqual(t, a.MediaID, d.MediaID)
	// As a file, the same bytes are another upload too.
	e, err := mc.UploadMedia(ctx, wecom.MediaFile, wecom.MediaFromBytes("a.png", []byte("png bytes 1")))
	require.NoError(t, err)
	assert.NotEqual(t, a.MediaID, e.MediaID)
	assert.Equal(t, 4, srv.Count(uploadPath))

	// A second cache over the same client shares the Store's entries.
	again, err := wecom.NewMediaCache(client).UploadMedia(ctx, wecom.MediaImage, wecom.MediaFromBytes("a.png", []byte("png bytes 1")))
	require.NoError(t, err)
	assert.Equal(t, a.MediaID, again.MediaID)
	assert.Equal(t, 4, srv.Count(uploadPath))
}

func TestMediaCache_SharedStoreAcrossClients(t *testing.T) {
	t.Parallel()
	srv := wecomtest.NewServer(t)
	store := wecom.NewMemoryStore()
	ctx := t.Context()
	src := []byte("quarterly report v3")
	first, err := wecom.NewMediaCache(srv.Client(wecom.WithStore(store))).UploadMedia(ctx, wecom.MediaFile, wecom.MediaFromBytes("q3.txt", src))
	require.NoError(t, err)
	second, err := wecom.NewMediaCache(srv.Client(wecom.WithStore(store))).UploadMedia(ctx, wecom.MediaFile, wecom.MediaFromBytes("q3.txt", src))
	require.NoError(t, err)
	assert.Equal(t, first.MediaID, second.MediaID)
	assert.Equal(t, 1, srv.Count(uploadPath))

	// A client with a store of its own knows nothing of it.
	_, err = wecom.NewMediaCache(srv.Client()).UploadMedia(ctx, wecom.MediaFile, wecom.MediaFromBytes("q3.txt", src))
	require.NoError(t, err)
	assert.Equal(t, 2, srv.Count(uploadPath))
}

func TestMediaCache_ConcurrentUsersUploadOnce(t *testing.T) {
	t.Parallel()
	srv := wecomtest.NewServer(t)
	// Slow uploads keep every caller waiting on the first one.
	srv.Fail(uploadPath, wecomtest.Fault{Latency: 50 * time.Millisecond, Times: -1})
	store := wecom.NewMemoryStore()
	// Two caches on two clients sharing one Store stand for two server
	// instances: the Store's lock makes them share the upload too.
	caches := []*wecom.MediaCache{
		wecom.NewMediaCache(srv.Client(wecom.WithStore(store))),
		wecom.NewMediaCache(srv.Client(wecom.WithStore(store))),
	}
	data := bytes.Repeat([]byte("x"), 1000)
	var wg sync.WaitGroup
	ids := make([]string, 40)
	errs := make([]error, 40)
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			md, err := caches[i%2].UploadMedia(t.Context(), wecom.MediaVideo, wecom.MediaFromBytes("clip.mp4", data))
			errs[i] = err
			if md != nil {
				ids[i] = md.MediaID
			}
		}()
	}
	wg.Wait()
	for i := range ids {
		require.NoError(t, errs[i])
		assert.Equal(t, ids[0], ids[i])
	}
	assert.Equal(t, 1, srv.Count(uploadPath), "40 callers, one upload")
}

func TestMediaCache_UploadsAgainBeforeExpiry(t *testing.T) {
	t.Parallel()
	clock := &manualClock{t: time.Date(2025, 11, 20, 9, 0, 0, 0, time.UTC)}
	srv := wecomtest.NewServer(t, wecomtest.WithClock(clock.Now))
	// The cache decides expiry by its client's clock.
	mc := wecom.NewMediaCache(srv.Client(wecom.WithClock(clock.Now)), wecom.WithRefreshMargin(2*time.Hour))
	ctx := t.Context()
	src := wecom.MediaFromBytes("cover.jpg", []byte("jpeg data here"))

	first, err := mc.UploadAttachment(ctx, wecom.MediaImage, wecom.AttachmentMoment, src)
	require.NoError(t, err)
	assert.Equal(t, clock.Now().Unix(), int64(first.CreatedAt))

	clock.Advance(wecom.MediaLifetime - 2*time.Hour - time.Second) // just inside
	kept, err := mc.UploadAttachment(ctx, wecom.MediaImage, wecom.AttachmentMoment, src)
	require.NoError(t, err)
	assert.Equal(t, first.MediaID, kept.MediaID)
	// (Counted as accepted uploads: the jump of the server's clock also
	// expires the access token, which costs a refused request.)
	assert.Len(t, srv.Corp(srv.CorpID).Media(), 1)

	clock.Advance(2 * time.Second) // within the margin: replaced
	fresh, err := mc.UploadAttachment(ctx, wecom.MediaImage, wecom.AttachmentMoment, src)
	require.NoError(t, err)
	assert.NotEqual(t, first.MediaID, fresh.MediaID)
	assert.Len(t, srv.Corp(srv.CorpID).Media(), 2)

	// Attachments and temporary media are separate entries.
	tmp, err := mc.UploadMedia(ctx, wecom.MediaImage, src)
	require.NoError(t, err)
	assert.NotEqual(t, fresh.MediaID, tmp.MediaID)
	assert.Equal(t, 0, srv.Corp(srv.CorpID).Media()[tmp.MediaID].AttachmentType)
	assert.Equal(t, 1, srv.Corp(srv.CorpID).Media()[fresh.MediaID].AttachmentType)

	// Forget drops the entry: the next use uploads again.
	require.NoError(t, mc.Forget(ctx, wecom.MediaImage, wecom.AttachmentMoment, src))
	again, err := mc.UploadAttachment(ctx, wecom.MediaImage, wecom.AttachmentMoment, src)
	require.NoError(t, err)
	assert.NotEqual(t, fresh.MediaID, again.MediaID)
}

func TestMediaCache_InvalidMarginIsReportedByEveryCall(t *testing.T) {
	t.Parallel()
	srv := wecomtest.NewServer(t)
	ctx := t.Context()
	src := wecom.MediaFromBytes("a.png", []byte("png bytes"))
	for _, d := range []time.Duration{-time.Second, wecom.MediaLifetime} {
		mc := wecom.NewMediaCache(srv.Client(), wecom.WithRefreshMargin(d))
		_, err := mc.UploadMedia(ctx, wecom.MediaImage, src)
		require.ErrorContains(t, err, "refresh margin", "margin %v", d)
		_, err = mc.UploadAttachment(ctx, wecom.MediaImage, wecom.AttachmentMoment, src)
		require.Error(t, err)
		require.Error(t, mc.Forget(ctx, wecom.MediaImage, 0, src))
	}
	assert.Zero(t, srv.Count(uploadPath)+srv.Count("/cgi-bin/media/upload_attachment"), "nothing uploaded")
}

func TestMediaCache_SourcesAndFailures(t *testing.T) {
	t.Parallel()
	srv := wecomtest.NewServer(t)
	mc := wecom.NewMediaCache(srv.Client())
	ctx := t.Context()

	path := filepath.Join(t.TempDir(), "价目表.txt")
	require.NoError(t, os.WriteFile(path, []byte("price list 2025"), 0o600))
	fromFile, err := mc.UploadMedia(ctx, wecom.MediaFile, wecom.MediaFromFile(path))
	require.NoError(t, err)
	assert.Equal(t, "价目表.txt", srv.Corp(srv.CorpID).Media()[fromFile.MediaID].Name)

	// A reader with the same content and name is the same file.
	src := wecom.MediaFromReader("价目表.txt", strings.NewReader("price list 2025"))
	fromReader, err := mc.UploadMedia(ctx, wecom.MediaFile, src)
	require.NoError(t, err)
	assert.Equal(t, fromFile.MediaID, fromReader.MediaID)
	// The reader was read once; the source can be used again.
	again, err := mc.UploadMedia(ctx, wecom.MediaFile, src)
	require.NoError(t, err)
	assert.Equal(t, fromFile.MediaID, again.MediaID)
	assert.Equal(t, 1, srv.Count(uploadPath))

	// Failures are returned and not cached.
	srv.Fail(uploadPath, wecomtest.Fault{Errcode: 40004})
	bad := wecom.MediaFromBytes("n.txt", []byte("new content"))
	_, err = mc.UploadMedia(ctx, wecom.MediaFile, bad)
	assert.Equal(t, 40004, wecom.ErrorCode(err))
	ok, err := mc.UploadMedia(ctx, wecom.MediaFile, bad)
	require.NoError(t, err)
	assert.NotEmpty(t, ok.MediaID)

	_, err = mc.UploadMedia(ctx, wecom.MediaFile, wecom.MediaFromFile(filepath.Join(t.TempDir(), "missing")))
	assert.ErrorIs(t, err, os.ErrNotExist)
	_, err = mc.UploadMedia(ctx, wecom.MediaFile, nil)
	assert.Error(t, err)
	_, err = (&wecom.MediaCache{}).UploadMedia(ctx, wecom.MediaFile, bad)
	assert.Error(t, err)
	// Too large for any upload: refused while reading.
	_, err = mc.UploadMedia(ctx, wecom.MediaFile, wecom.MediaFromReader("big", bytes.NewReader(make([]byte, 21<<20))))
	assert.ErrorContains(t, err, "larger than")
}

func TestMediaCache_WaiterGivesUpWithoutCancellingTheUpload(t *testing.T) {
	t.Parallel()
	srv := wecomtest.NewServer(t)
	srv.Fail(uploadPath, wecomtest.Fault{Latency: 100 * time.Millisecond})
	mc := wecom.NewMediaCache(srv.Client())
	src := wecom.MediaFromBytes("slow.txt", []byte("slow upload"))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	// The upload starts, the caller who has given up returns at once.
	_, err := mc.UploadMedia(ctx, wecom.MediaFile, src)
	assert.True(t, errors.Is(err, context.Canceled))
	// The upload went on; a later caller gets its result without another.
	md, err := mc.UploadMedia(t.Context(), wecom.MediaFile, src)
	require.NoError(t, err)
	assert.NotEmpty(t, md.MediaID)
	assert.Equal(t, 1, srv.Count(uploadPath))
}
