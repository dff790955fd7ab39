package wecom

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

// MediaLifetime is how long WeCom keeps a temporary media file or an
// attachment uploaded with upload_attachment: its media_id stops working
// three days after created_at.
const MediaLifetime = 72 * time.Hour

// DefaultMediaRefreshMargin is how long before a media_id expires the
// MediaCache stops handing it out and uploads the file again.
const DefaultMediaRefreshMargin = time.Hour

// MediaSource is the content of a file to upload, from bytes, a file or a
// reader, with the file name WeCom shows to recipients. It is read at most
// once and kept in memory (WeCom's uploads are at most 20 MB), so that one
// MediaSource can be uploaded, hashed and uploaded again. Safe for concurrent
// use.
type MediaSource struct {
	name string
	path string
	r    io.Reader

	once sync.Once
	data []byte
	err  error
}

// MediaFromBytes is a file whose content is data. data must not be changed
// afterwards.
func MediaFromBytes(name string, data []byte) *MediaSource {
	s := &MediaSource{name: name, data: data}
	s.once.Do(func() {})
	return s
}

// MediaFromFile is the file at path, read when it is first needed; its base
// name is the name shown to recipients.
func MediaFromFile(path string) *MediaSource {
	return &MediaSource{name: filepath.Base(path), path: path}
}

// MediaFromReader is the content of r, read to its end when first needed.
func MediaFromReader(name string, r io.Reader) *MediaSource {
	return &MediaSource{name: name, r: r}
}

// Name returns the file name shown to recipients.
func (s *MediaSource) Name() string { return s.name }

// load returns the content, reading it the first time. Content larger than
// the largest upload WeCom accepts is refused before it is all in memory.
func (s *MediaSource) load() ([]byte, error) {
	s.once.Do(func() {
		var r io.Reader
		switch {
		case s.path != "":
			f, err := os.Open(s.path)
			if err != nil {
				s.err = fmt.Errorf("wecom: media %q: %w", s.name, err)
				return
			}
			defer f.Close()
			r = f
		case s.r != nil:
			r = s.r
		default:
			s.err = fmt.Errorf("wecom: media %q has no content", s.name)
			return
		}
		data, err := readAllLimit(r, maxFileBytes)
		if err != nil {
			s.err = fmt.Errorf("wecom: media %q: %w", s.name, err)
			return
		}
		s.data = data
	})
	return s.data, s.err
}

// MediaCache uploads files as temporary media (media/upload) or attachments
// (media/upload_attachment, for Moments and product albums) and remembers
// the media_id in the client's Store, so that the same file is uploaded once
// and reused until shortly before WeCom forgets it (three days after the
// upload), then uploaded again.
//
// A file is identified by its content, name, media type and scene, never by
// where it came from: two MediaSources with equal bytes share one media_id.
// Concurrent callers asking for the same file wait for one upload (in the
// process through the cache; across processes through the Store's lock when
// the Store is a Locker, as redisstore's is). Each Service that sends
// media (message, appmsg, kf, contact) makes one over the client's Store
// unless given one with its WithMediaCache option; create one MediaCache
// per Client to share between them, or let each have its own: several
// caches over one Store still share entries.
//
// Keep the MediaSource, not the media_id: ask the cache for the id each time
// it is sent, and the id is always one WeCom still knows. Every request of
// the SDK that takes a temporary media id also takes the file beside it
// (message.Image.Upload, appmsg.File.Upload, kf.AddAccountRequest.Upload,
// contact.RemarkRequest.RemarkPicUpload...) and does so on each call. An id
// kept in a variable, a rule or a template set at start-up stops working on
// the third day.
type MediaCache struct {
	c      *Client
	store  Store
	now    func() time.Time
	margin time.Duration
	err    error // an invalid option, reported by every call
	sf     singleflight.Group
}

// MediaCacheOption configures a MediaCache.
type MediaCacheOption func(*MediaCache)

// WithRefreshMargin sets how long before expiry a media_id is replaced
// (DefaultMediaRefreshMargin). A task that will use the media_id later (a
// mass send waiting for members to confirm) may want a larger margin. A
// negative or longer-than-MediaLifetime margin is reported by the cache's
// calls.
func WithRefreshMargin(d time.Duration) MediaCacheOption {
	return func(m *MediaCache) { m.margin = d }
}

// NewMediaCache returns a cache that uploads through c and keeps media ids
// in c's Store (WithStore). Expiry is decided by c's clock (WithClock).
func NewMediaCache(c *Client, opts ...MediaCacheOption) *MediaCache {
	m := &MediaCache{c: c, now: time.Now, margin: DefaultMediaRefreshMargin}
	if c != nil {
		m.store = c.opts.store
		m.now = c.Now
	}
	for _, o := range opts {
		if o != nil {
			o(m)
		}
	}
	if m.margin < 0 || m.margin >= MediaLifetime {
		m.err = fmt.Errorf("wecom: MediaCache: refresh margin %v is outside [0, %v)", m.margin, MediaLifetime)
	}
	return m
}

// UploadMedia returns the media_id of src uploaded as temporary media of
// type typ (media/upload), uploading it only when no live one is cached.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/90253
func (m *MediaCache) UploadMedia(ctx context.Context, typ MediaType, src *MediaSource) (*Media, error) {
	return m.get(ctx, "upload:"+string(typ), src, func(ctx context.Context, data []byte) (*Media, error) {
		return m.c.UploadMedia(ctx, typ, src.name, bytes.NewReader(data))
	})
}

// UploadAttachment returns the media_id of src uploaded as an attachment of
// type typ for scene (media/upload_attachment), uploading it only when no
// live one is cached. Moments take only media uploaded this way.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/95098
func (m *MediaCache) UploadAttachment(ctx context.Context, typ MediaType, scene AttachmentType, src *MediaSource) (*Media, error) {
	kind := "attach:" + strconv.Itoa(int(scene)) + ":" + string(typ)
	return m.get(ctx, kind, src, func(ctx context.Context, data []byte) (*Media, error) {
		return m.c.UploadAttachment(ctx, typ, scene, src.name, bytes.NewReader(data))
	})
}

// Forget drops what the cache holds for src uploaded as kind, e.g. after
// WeCom refused its media_id (40007). kind is the media type for temporary
// media, and scene is 0 for them; for attachments give the scene.
func (m *MediaCache) Forget(ctx context.Context, typ MediaType, scene AttachmentType, src *MediaSource) error {
	if err := m.ready(src); err != nil {
		return err
	}
	kind := "upload:" + string(typ)
	if scene != 0 {
		kind = "attach:" + strconv.Itoa(int(scene)) + ":" + string(typ)
	}
	data, err := src.load()
	if err != nil {
		return err
	}
	return m.store.Delete(ctx, m.key(kind, src.name, data))
}

func (m *MediaCache) ready(src *MediaSource) error {
	if m == nil || m.c == nil || m.store == nil {
		return errors.New("wecom: MediaCache without a client; create it with NewMediaCache")
	}
	if m.err != nil {
		return m.err
	}
	if src == nil {
		return errors.New("wecom: nil MediaSource")
	}
	return nil
}

// key names a file in the Store: corp, kind and a hash of name and
// content. It holds no secret and no content.
func (m *MediaCache) key(kind, name string, data []byte) string {
	h := sha256.New()
	h.Write([]byte(name))
	h.Write([]byte{0})
	h.Write(data)
	return "wecom:media:" + m.c.corpID + ":" + kind + ":" + hex.EncodeToString(h.Sum(nil)[:16])
}

type mediaUpload func(ctx context.Context, data []byte) (*Media, error)

func (m *MediaCache) get(ctx context.Context, kind string, src *MediaSource, upload mediaUpload) (*Media, error) {
	if err := m.ready(src); err != nil {
		return nil, err
	}
	data, err := src.load()
	if err != nil {
		return nil, err
	}
	key := m.key(kind, src.name, data)
	if md, ok := m.cached(ctx, key); ok {
		return md, nil
	}
	// One upload per key in this process; the work outlives a waiter that
	// gives up, so that the others still get its result.
	ch := m.sf.DoChan(key, func() (any, error) {
		return m.fill(context.WithoutCancel(ctx), key, data, upload)
	})
	select {
	case r := <-ch:
		if r.Err != nil {
			return nil, r.Err
		}
		md := *r.Val.(*Media)
		return &md, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// fill uploads data unless another process did so meanwhile, and stores the
// media_id until shortly before it expires.
func (m *MediaCache) fill(ctx context.Context, key string, data []byte, upload mediaUpload) (*Media, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	if l, ok := m.store.(Locker); ok {
		unlock, err := l.Lock(ctx, key+":lock", 2*time.Minute)
		if err != nil {
			return nil, fmt.Errorf("wecom: lock media %s: %w", key, err)
		}
		defer unlock()
		if md, ok := m.cached(ctx, key); ok {
			return md, nil
		}
	}
	md, err := upload(ctx, data)
	if err != nil {
		return nil, err
	}
	created := md.CreatedAt.Time()
	if created.IsZero() {
		created = m.now()
	}
	if ttl := created.Add(MediaLifetime - m.margin).Sub(m.now()); ttl > 0 {
		val := md.MediaID + " " + strconv.FormatInt(created.Unix(), 10) + " " + string(md.Type)
		if err := m.store.Set(ctx, key, val, ttl); err != nil {
			m.c.logger.Warn("wecom: caching media id failed; it will be uploaded again next time", "key", key, "error", err)
		}
	}
	return md, nil
}

// cached returns the stored media for key if it is still well inside its
// lifetime (the Store's TTL is the primary guard; the time check covers
// stores that keep entries a little longer).
func (m *MediaCache) cached(ctx context.Context, key string) (*Media, bool) {
	v, ok, err := m.store.Get(ctx, key)
	if err != nil {
		m.c.logger.Warn("wecom: reading cached media id failed", "key", key, "error", err)
		return nil, false
	}
	if !ok {
		return nil, false
	}
	f := strings.Fields(v)
	if len(f) != 3 {
		return nil, false
	}
	created, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil || !m.now().Before(time.Unix(created, 0).Add(MediaLifetime-m.margin)) {
		return nil, false
	}
	return &Media{MediaID: f[0], CreatedAt: UnixTime(created), Type: MediaType(f[2])}, true
}
