package wecomtest

import (
	"bytes"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strconv"

	"github.com/scrmkit/scrm/wecom"
)

// liveMedia returns the upload id names while it lives; false for an
// unknown or expired id. The fake, as WeCom, keeps an upload of
// media/upload or media/upload_attachment for three days
// (wecom.MediaLifetime) after its created_at, on the server's clock; from
// then on every call naming its media_id is answered 40007 ("invalid
// media_id"), as for an id it never issued. s.mu is held.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/90253
func (c *call) liveMedia(id string) (MediaFile, bool) {
	m, ok := c.corp.media[id]
	if !ok || !c.s.now().Before(m.Created.Add(wecom.MediaLifetime)) {
		return MediaFile{}, false
	}
	return m, true
}

// routeMedia serves the uploads: media/upload, media/upload_attachment and
// media/uploadimg, with WeCom's size limits per type (image 10 MB, voice 2
// MB, video 10 MB, file 20 MB; uploadimg 2 MB) and its 5-byte minimum.
func (s *Server) routeMedia() {
	limits := map[string]int{"image": 10 << 20, "voice": 2 << 20, "video": 10 << 20, "file": 20 << 20}
	// WeCom API docs: https://developer.work.weixin.qq.com/document/path/90253
	s.handle(http.MethodPost, "/cgi-bin/media/upload", authCorp, func(c *call) (any, *apiError) {
		typ := c.r.URL.Query().Get("type")
		max, ok := limits[typ]
		if !ok {
			return nil, errf(40004, "invalid media type")
		}
		name, size, aerr := c.mediaPart(max)
		if aerr != nil {
			return nil, aerr
		}
		id := c.s.newID("media-")
		c.corp.media[id] = MediaFile{Type: typ, Name: name, Size: size, Created: c.s.now()}
		// media/upload sends created_at as a string of digits.
		return map[string]any{"type": typ, "media_id": id, "created_at": strconv.FormatInt(c.s.now().Unix(), 10)}, nil
	})
	// WeCom API docs: https://developer.work.weixin.qq.com/document/path/95098
	s.handle(http.MethodPost, "/cgi-bin/media/upload_attachment", authCorp, func(c *call) (any, *apiError) {
		q := c.r.URL.Query()
		typ := q.Get("media_type")
		at, err := strconv.Atoi(q.Get("attachment_type"))
		if err != nil || (at != 1 && at != 2) {
			return nil, errf(41072, "invalid attachment_type")
		}
		max, ok := limits[typ]
		if !ok || typ == "voice" || (at == 1 && typ == "file") {
			return nil, errf(41072, "invalid media_type for this attachment_type")
		}
		name, size, aerr := c.mediaPart(max)
		if aerr != nil {
			return nil, aerr
		}
		id := c.s.newID("attach-")
		c.corp.media[id] = MediaFile{Type: typ, AttachmentType: at, Name: name, Size: size, Created: c.s.now()}
		return map[string]any{"type": typ, "media_id": id, "created_at": c.s.now().Unix()}, nil
	})
	// WeCom API docs: https://developer.work.weixin.qq.com/document/path/90256
	s.handle(http.MethodPost, "/cgi-bin/media/uploadimg", authCorp, func(c *call) (any, *apiError) {
		_, _, aerr := c.mediaPart(2 << 20)
		if aerr != nil {
			return nil, aerr
		}
		return map[string]any{"url": "https://wework.qpic.cn/wwpic/" + c.s.newID("") + "/0"}, nil
	})
}

// mediaPart reads the multipart part named "media" and checks its size.
func (c *call) mediaPart(max int) (name string, size int, aerr *apiError) {
	_, params, err := mime.ParseMediaType(c.r.Header.Get("Content-Type"))
	if err != nil || params["boundary"] == "" {
		return "", 0, errf(40058, "multipart/form-data expected")
	}
	mr := multipart.NewReader(bytes.NewReader(c.body), params["boundary"])
	for {
		p, err := mr.NextPart()
		if err != nil {
			return "", 0, errf(40058, "form-data part \"media\" missing")
		}
		if p.FormName() != "media" {
			continue
		}
		data, _ := io.ReadAll(p)
		switch {
		case p.FileName() == "":
			return "", 0, errf(40058, "filename missing")
		case len(data) <= 5:
			return "", 0, errf(40005, "media file too small (must be larger than 5 bytes)")
		case len(data) > max:
			return "", 0, errf(40006, "invalid file size")
		}
		return p.FileName(), len(data), nil
	}
}

// Media returns the uploads the corp's apps made (media/upload,
// media/upload_attachment), by media_id, the expired ones included
// (MediaFile.Created).
func (c *Corp) Media() map[string]MediaFile {
	s, corpID := c.s, c.id
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]MediaFile{}
	if c := s.corps[corpID]; c != nil {
		for k, v := range c.media {
			out[k] = v
		}
	}
	return out
}
