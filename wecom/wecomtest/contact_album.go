package wecomtest

import (
	"net/http"
	"unicode/utf8"
)

// Product albums (商品图册). Every app reads every album; an app updates and
// deletes only the albums it created (the fake answers another app's with
// 60011, no privilege; WeCom's page names no errcode). Images must be
// attachments uploaded with media/upload_attachment for the product album
// (attachment_type 2), else 40007.

// albumState holds a corp's product albums; Server.mu guards it.
type albumState struct {
	products map[string]*fakeAlbum
	order    []string
}

func newAlbumState() *albumState { return &albumState{products: map[string]*fakeAlbum{}} }

type fakeAlbum struct {
	id, app     string
	description string
	price       int64
	sn          string
	created     int64
	attachments []wireAlbumAttachment
}

type wireAlbumAttachment struct {
	Type  string `json:"type"`
	Image *struct {
		MediaID string `json:"media_id"`
	} `json:"image,omitempty"`
}

type wireAlbum struct {
	ProductID   string                `json:"product_id"`
	Description string                `json:"description"`
	Price       int64                 `json:"price"`
	CreateTime  int64                 `json:"create_time,omitempty"`
	ProductSN   string                `json:"product_sn,omitempty"`
	Attachments []wireAlbumAttachment `json:"attachments"`
}

// Documented limits of the product album endpoints.
const (
	maxAlbumDescription = 300
	maxAlbumPrice       = 5_000_000
	maxAlbumSN          = 128
	maxAlbumAttachments = 9
	albumPageDefault    = 50
	albumPageMax        = 100
)

func (a *fakeAlbum) wire(withTime bool) wireAlbum {
	w := wireAlbum{ProductID: a.id, Description: a.description, Price: a.price, ProductSN: a.sn,
		Attachments: append([]wireAlbumAttachment{}, a.attachments...)}
	if withTime {
		w.CreateTime = a.created
	}
	return w
}

func checkAlbumFields(c *call, desc *string, price *int64, sn *string, atts []wireAlbumAttachment, needAtts bool) *apiError {
	if desc != nil && (*desc == "" || utf8.RuneCountInString(*desc) > maxAlbumDescription) {
		return errf(40058, "description must be 1 to 300 characters")
	}
	if price != nil && (*price < 0 || *price > maxAlbumPrice) {
		return errf(40058, "price must be 0 to 5000000 fen")
	}
	if sn != nil {
		if len(*sn) > maxAlbumSN {
			return errf(40058, "product_sn longer than 128 bytes")
		}
		for i := 0; i < len(*sn); i++ {
			if ch := (*sn)[i]; !('0' <= ch && ch <= '9' || 'a' <= ch && ch <= 'z' || 'A' <= ch && ch <= 'Z') {
				return errf(40058, "product_sn takes letters and digits only")
			}
		}
	}
	if (needAtts && len(atts) == 0) || len(atts) > maxAlbumAttachments {
		return errf(40058, "attachments must hold 1 to 9 images")
	}
	for _, a := range atts {
		if a.Type != "image" || a.Image == nil {
			return errf(40058, "attachments take images only")
		}
		m, ok := c.liveMedia(a.Image.MediaID)
		if !ok || m.Type != "image" || m.AttachmentType != 2 {
			return errf(40007, "invalid media_id: upload it with media/upload_attachment for the product album")
		}
	}
	return nil
}

func (s *Server) routeContactAlbum() {
	// WeCom API docs: https://developer.work.weixin.qq.com/document/path/95096
	s.handleContact(http.MethodPost, "/cgi-bin/externalcontact/add_product_album", func(c *call) (any, *apiError) {
		var req struct {
			Description string                `json:"description"`
			Price       *int64                `json:"price"`
			ProductSN   string                `json:"product_sn"`
			Attachments []wireAlbumAttachment `json:"attachments"`
		}
		if e := c.decode(&req); e != nil {
			return nil, e
		}
		if req.Price == nil {
			return nil, errf(40058, "price missing")
		}
		if e := checkAlbumFields(c, &req.Description, req.Price, &req.ProductSN, req.Attachments, true); e != nil {
			return nil, e
		}
		st := c.corp.contact.albums
		a := &fakeAlbum{id: c.s.newID("pa"), app: c.appOf(), description: req.Description, price: *req.Price,
			sn: req.ProductSN, created: c.s.now().Unix(), attachments: req.Attachments}
		st.products[a.id] = a
		st.order = append(st.order, a.id)
		return map[string]any{"product_id": a.id}, nil
	})

	find := func(c *call, own bool) (*fakeAlbum, *apiError) {
		var req struct {
			ProductID string `json:"product_id"`
		}
		if e := c.decode(&req); e != nil {
			return nil, e
		}
		a := c.corp.contact.albums.products[req.ProductID]
		switch {
		case a == nil:
			return nil, errf(40058, "invalid product_id")
		case own && a.app != c.appOf():
			return nil, errf(60011, "no privilege: the album was created by another app")
		}
		return a, nil
	}

	// WeCom API docs: https://developer.work.weixin.qq.com/document/path/95096
	s.handleContact(http.MethodPost, "/cgi-bin/externalcontact/get_product_album", func(c *call) (any, *apiError) {
		a, e := find(c, false)
		if e != nil {
			return nil, e
		}
		return map[string]any{"product": a.wire(true)}, nil
	})

	// WeCom API docs: https://developer.work.weixin.qq.com/document/path/95096
	s.handleContact(http.MethodPost, "/cgi-bin/externalcontact/get_product_album_list", func(c *call) (any, *apiError) {
		var req struct {
			Limit  int    `json:"limit"`
			Cursor string `json:"cursor"`
		}
		if e := c.decode(&req); e != nil {
			return nil, e
		}
		limit := req.Limit
		if limit <= 0 || limit > albumPageMax {
			limit = albumPageDefault // documented: above the maximum, the default applies
		}
		pos, e := decodeCursor(req.Cursor, 1)
		if e != nil {
			return nil, e
		}
		st := c.corp.contact.albums
		from := min(pos[0], len(st.order))
		to := min(from+limit, len(st.order))
		list := []wireAlbum{}
		for _, id := range st.order[from:to] {
			list = append(list, st.products[id].wire(false))
		}
		ans := map[string]any{"product_list": list}
		if to < len(st.order) {
			ans["next_cursor"] = encodeCursor(to)
		}
		return ans, nil
	})

	// WeCom API docs: https://developer.work.weixin.qq.com/document/path/95096
	s.handleContact(http.MethodPost, "/cgi-bin/externalcontact/update_product_album", func(c *call) (any, *apiError) {
		var req struct {
			ProductID   string                 `json:"product_id"`
			Description *string                `json:"description"`
			Price       *int64                 `json:"price"`
			ProductSN   *string                `json:"product_sn"`
			Attachments *[]wireAlbumAttachment `json:"attachments"`
		}
		if e := c.decode(&req); e != nil {
			return nil, e
		}
		a := c.corp.contact.albums.products[req.ProductID]
		switch {
		case a == nil:
			return nil, errf(40058, "invalid product_id")
		case a.app != c.appOf():
			return nil, errf(60011, "no privilege: the album was created by another app")
		}
		var atts []wireAlbumAttachment
		if req.Attachments != nil {
			atts = *req.Attachments
		}
		if e := checkAlbumFields(c, req.Description, req.Price, req.ProductSN, atts, req.Attachments != nil); e != nil {
			return nil, e
		}
		if req.Description != nil {
			a.description = *req.Description
		}
		if req.Price != nil {
			a.price = *req.Price
		}
		if req.ProductSN != nil {
			a.sn = *req.ProductSN
		}
		if req.Attachments != nil {
			a.attachments = atts
		}
		return nil, nil
	})

	// WeCom API docs: https://developer.work.weixin.qq.com/document/path/95096
	s.handleContact(http.MethodPost, "/cgi-bin/externalcontact/delete_product_album", func(c *call) (any, *apiError) {
		a, e := find(c, true)
		if e != nil {
			return nil, e
		}
		st := c.corp.contact.albums
		delete(st.products, a.id)
		st.order = removeString(st.order, a.id)
		return nil, nil
	})
}
