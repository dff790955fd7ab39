package wecomtest

import (
	"net/http"
	"unicode/utf8"
)

// wireConclusions is the closing message of a temporary-session way; the
// request carries image.media_id, the answer image.pic_url.
type wireConclusions struct {
	Text *struct {
		Content string `json:"content"`
	} `json:"text,omitempty"`
	Image *struct {
		MediaID string `json:"media_id,omitempty"`
		PicURL  string `json:"pic_url,omitempty"`
	} `json:"image,omitempty"`
	Link *struct {
		Title  string `json:"title"`
		PicURL string `json:"picurl,omitempty"`
		Desc   string `json:"desc,omitempty"`
		URL    string `json:"url"`
	} `json:"link,omitempty"`
	MiniProgram *struct {
		Title      string `json:"title"`
		PicMediaID string `json:"pic_media_id"`
		AppID      string `json:"appid"`
		Page       string `json:"page"`
	} `json:"miniprogram,omitempty"`
}

// contactWay is a configured 「联系我」, in the shape get_contact_way answers.
type contactWay struct {
	ConfigID      string           `json:"config_id"`
	Type          int              `json:"type"`
	Scene         int              `json:"scene"`
	Style         int              `json:"style,omitempty"`
	Remark        string           `json:"remark"`
	SkipVerify    bool             `json:"skip_verify"`
	State         string           `json:"state"`
	QRCode        string           `json:"qr_code,omitempty"`
	User          []string         `json:"user"`
	Party         []int            `json:"party"`
	IsTemp        bool             `json:"is_temp"`
	ExpiresIn     int              `json:"expires_in,omitempty"`
	ChatExpiresIn int              `json:"chat_expires_in,omitempty"`
	UnionID       string           `json:"unionid,omitempty"`
	Conclusions   *wireConclusions `json:"conclusions,omitempty"`

	isExclusive bool
	markSource  bool
	createTime  int64
	next        int // round-robin member for Corp.ScanContactWay
}

const maxTempWaySeconds = 14 * 24 * 3600

// conclusionMedia checks the media ids of a closing message: the image's
// media_id and the mini program's pic_media_id must be live temporary
// image uploads (40007 otherwise, three days after the upload included).
// s.mu is held.
func (c *call) conclusionMedia(concl *wireConclusions) *apiError {
	if concl == nil {
		return nil
	}
	if concl.Image != nil {
		if e := c.checkMedia(concl.Image.MediaID, "image"); e != nil {
			return e
		}
	}
	if concl.MiniProgram != nil {
		return c.checkMedia(concl.MiniProgram.PicMediaID, "image")
	}
	return nil
}

// checkWayFields validates what add and update share.
func (cs *contactState) checkWayFields(remark, state *string, users []string, expires, chatExpires *int, concl *wireConclusions) *apiError {
	if remark != nil && utf8.RuneCountInString(*remark) > 30 {
		return errf(40058, "remark longer than 30 characters")
	}
	if state != nil && utf8.RuneCountInString(*state) > 30 {
		return errf(40058, "state longer than 30 characters")
	}
	if len(users) > 100 {
		return errf(41041, "too many users in a contact way")
	}
	for _, u := range users {
		if cs.activeStaff(u) == nil {
			return errf(41054, "user "+u+" not activated or without customer contact")
		}
	}
	for _, v := range []*int{expires, chatExpires} {
		if v != nil && (*v < 0 || *v > maxTempWaySeconds) {
			return errf(40058, "expires_in / chat_expires_in out of range")
		}
	}
	if concl != nil && concl.Text == nil && concl.Image == nil && concl.Link == nil && concl.MiniProgram == nil {
		return errf(40058, "empty conclusions")
	}
	if concl != nil && concl.Text != nil && len(concl.Text.Content) > 4000 {
		return errf(40058, "conclusion text longer than 4000 bytes")
	}
	if concl != nil && concl.Link != nil && (len(concl.Link.Title) > 128 || len(concl.Link.Desc) > 512) {
		return errf(40058, "conclusion link title longer than 128 bytes or desc longer than 512 bytes")
	}
	if concl != nil && concl.MiniProgram != nil && len(concl.MiniProgram.Title) > 64 {
		return errf(40058, "conclusion miniprogram title longer than 64 bytes")
	}
	return nil
}

func (c *call) answerConclusions(in *wireConclusions) *wireConclusions {
	if in == nil {
		return nil
	}
	out := *in
	if in.Image != nil {
		out.Image = &struct {
			MediaID string `json:"media_id,omitempty"`
			PicURL  string `json:"pic_url,omitempty"`
		}{PicURL: "https://wecomtest.invalid/media/" + in.Image.MediaID}
	}
	return &out
}

func (s *Server) routeContactWays() {
	type configReq struct {
		ConfigID string `json:"config_id"`
	}
	findWay := func(c *call) (*contactWay, *apiError) {
		var req configReq
		if e := c.decode(&req); e != nil {
			return nil, e
		}
		if req.ConfigID == "" {
			return nil, errf(41043, "missing config_id")
		}
		w := c.corp.contact.ways[req.ConfigID]
		if w == nil {
			return nil, errf(41044, "invalid config_id")
		}
		return w, nil
	}

	// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92572
	s.handleContact(http.MethodPost, "/cgi-bin/externalcontact/add_contact_way", func(c *call) (any, *apiError) {
		var req struct {
			Type          *int             `json:"type"`
			Scene         *int             `json:"scene"`
			Style         int              `json:"style"`
			Remark        string           `json:"remark"`
			SkipVerify    *bool            `json:"skip_verify"`
			State         string           `json:"state"`
			User          []string         `json:"user"`
			Party         []int            `json:"party"`
			IsTemp        bool             `json:"is_temp"`
			ExpiresIn     int              `json:"expires_in"`
			ChatExpiresIn int              `json:"chat_expires_in"`
			UnionID       string           `json:"unionid"`
			IsExclusive   bool             `json:"is_exclusive"`
			MarkSource    *bool            `json:"mark_source"`
			Conclusions   *wireConclusions `json:"conclusions"`
		}
		if e := c.decode(&req); e != nil {
			return nil, e
		}
		switch {
		case req.Type == nil:
			return nil, errf(41037, "missing contact way type")
		case *req.Type != 1 && *req.Type != 2:
			return nil, errf(41039, "invalid contact way type")
		case req.Scene == nil:
			return nil, errf(41038, "missing contact way scene")
		case *req.Scene != 1 && *req.Scene != 2:
			return nil, errf(41040, "invalid contact way scene")
		case req.Style < 0:
			return nil, errf(41042, "invalid contact way style")
		case *req.Type == 1 && (len(req.User) != 1 || len(req.Party) > 0):
			return nil, errf(40058, "a single-member contact way needs exactly one user")
		case *req.Type == 2 && len(req.User) == 0 && len(req.Party) == 0:
			return nil, errf(40058, "user or party required")
		case req.IsTemp && *req.Type != 1:
			return nil, errf(40058, "temporary sessions are single-member only")
		}
		cs := c.corp.contact
		if e := cs.checkWayFields(&req.Remark, &req.State, req.User, &req.ExpiresIn, &req.ChatExpiresIn, req.Conclusions); e != nil {
			return nil, e
		}
		if e := c.conclusionMedia(req.Conclusions); e != nil {
			return nil, e
		}
		w := &contactWay{
			ConfigID: c.s.newID("cw"), Type: *req.Type, Scene: *req.Scene, Style: req.Style, Remark: req.Remark,
			SkipVerify: req.SkipVerify == nil || *req.SkipVerify, State: req.State,
			User: append([]string{}, req.User...), Party: append([]int{}, req.Party...),
			IsTemp: req.IsTemp, UnionID: req.UnionID, Conclusions: c.answerConclusions(req.Conclusions),
			isExclusive: req.IsExclusive, markSource: req.MarkSource == nil || *req.MarkSource,
			createTime: c.s.now().Unix(),
		}
		if w.Scene != 1 {
			w.Style = 0
		}
		if req.IsTemp {
			w.ExpiresIn, w.ChatExpiresIn = req.ExpiresIn, req.ChatExpiresIn
			if w.ExpiresIn == 0 {
				w.ExpiresIn = 7 * 24 * 3600
			}
			if w.ChatExpiresIn == 0 {
				w.ChatExpiresIn = 24 * 3600
			}
		}
		if w.Scene == 2 {
			w.QRCode = "https://wecomtest.invalid/qr/" + w.ConfigID
		}
		cs.ways[w.ConfigID] = w
		cs.wayOrder = append(cs.wayOrder, w.ConfigID)
		return struct {
			ConfigID string `json:"config_id"`
			QRCode   string `json:"qr_code,omitempty"`
		}{w.ConfigID, w.QRCode}, nil
	})

	// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92572
	s.handleContact(http.MethodPost, "/cgi-bin/externalcontact/get_contact_way", func(c *call) (any, *apiError) {
		w, e := findWay(c)
		if e != nil {
			return nil, e
		}
		return struct {
			ContactWay *contactWay `json:"contact_way"`
		}{w}, nil
	})

	// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92572
	s.handleContact(http.MethodPost, "/cgi-bin/externalcontact/list_contact_way", func(c *call) (any, *apiError) {
		var req struct {
			StartTime int64  `json:"start_time"`
			EndTime   int64  `json:"end_time"`
			Cursor    string `json:"cursor"`
			Limit     int    `json:"limit"`
		}
		if e := c.decode(&req); e != nil {
			return nil, e
		}
		now := c.s.now().Unix()
		if req.EndTime == 0 {
			req.EndTime = now
		}
		if req.StartTime == 0 {
			req.StartTime = now - 90*24*3600
		}
		switch {
		case req.Limit < 0 || req.StartTime > req.EndTime:
			return nil, errf(40058, "invalid limit or time range")
		case req.Limit == 0:
			req.Limit = 100
		case req.Limit > 1000:
			req.Limit = 1000
		}
		pos, e := decodeCursor(req.Cursor, 1)
		if e != nil {
			return nil, e
		}
		cs := c.corp.contact
		type id struct {
			ConfigID string `json:"config_id"`
		}
		out := struct {
			ContactWay []id   `json:"contact_way"`
			NextCursor string `json:"next_cursor"`
		}{ContactWay: []id{}}
		i := pos[0]
		for ; i < len(cs.wayOrder) && len(out.ContactWay) < req.Limit; i++ {
			w := cs.ways[cs.wayOrder[i]]
			if w == nil || w.IsTemp || w.createTime < req.StartTime || w.createTime > req.EndTime {
				continue
			}
			out.ContactWay = append(out.ContactWay, id{w.ConfigID})
		}
		if i < len(cs.wayOrder) {
			out.NextCursor = encodeCursor(i)
		}
		return out, nil
	})

	// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92572
	s.handleContact(http.MethodPost, "/cgi-bin/externalcontact/update_contact_way", func(c *call) (any, *apiError) {
		var req struct {
			ConfigID      string           `json:"config_id"`
			Remark        *string          `json:"remark"`
			SkipVerify    *bool            `json:"skip_verify"`
			Style         *int             `json:"style"`
			State         *string          `json:"state"`
			User          []string         `json:"user"`
			Party         []int            `json:"party"`
			ExpiresIn     *int             `json:"expires_in"`
			ChatExpiresIn *int             `json:"chat_expires_in"`
			UnionID       *string          `json:"unionid"`
			Conclusions   *wireConclusions `json:"conclusions"`
		}
		if e := c.decode(&req); e != nil {
			return nil, e
		}
		if req.ConfigID == "" {
			return nil, errf(41043, "missing config_id")
		}
		cs := c.corp.contact
		w := cs.ways[req.ConfigID]
		if w == nil {
			return nil, errf(41044, "invalid config_id")
		}
		if e := cs.checkWayFields(req.Remark, req.State, req.User, req.ExpiresIn, req.ChatExpiresIn, req.Conclusions); e != nil {
			return nil, e
		}
		if w.Type == 1 && (len(req.User) > 1 || len(req.Party) > 0) {
			return nil, errf(40058, "a single-member contact way has exactly one user")
		}
		if !w.IsTemp && (req.ExpiresIn != nil || req.ChatExpiresIn != nil || req.UnionID != nil || req.Conclusions != nil) {
			return nil, errf(40058, "expires_in, chat_expires_in, unionid and conclusions are for temporary sessions only")
		}
		if e := c.conclusionMedia(req.Conclusions); e != nil {
			return nil, e
		}
		if req.Remark != nil {
			w.Remark = *req.Remark
		}
		if req.SkipVerify != nil {
			w.SkipVerify = *req.SkipVerify
		}
		if req.Style != nil && w.Scene == 1 {
			w.Style = *req.Style
		}
		if req.State != nil {
			w.State = *req.State
		}
		if req.User != nil {
			w.User = append([]string{}, req.User...) // lists are overwritten
		}
		if req.Party != nil {
			w.Party = append([]int{}, req.Party...)
		}
		if req.ExpiresIn != nil {
			w.ExpiresIn = *req.ExpiresIn
		}
		if req.ChatExpiresIn != nil {
			w.ChatExpiresIn = *req.ChatExpiresIn
		}
		if req.UnionID != nil {
			w.UnionID = *req.UnionID
		}
		if req.Conclusions != nil {
			w.Conclusions = c.answerConclusions(req.Conclusions)
		}
		return nil, nil
	})

	// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92572
	s.handleContact(http.MethodPost, "/cgi-bin/externalcontact/del_contact_way", func(c *call) (any, *apiError) {
		w, e := findWay(c)
		if e != nil {
			return nil, e
		}
		cs := c.corp.contact
		delete(cs.ways, w.ConfigID)
		cs.wayOrder = removeString(cs.wayOrder, w.ConfigID)
		return nil, nil
	})

	// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92572
	s.handleContact(http.MethodPost, "/cgi-bin/externalcontact/close_temp_chat", func(c *call) (any, *apiError) {
		var req struct {
			UserID         string `json:"userid"`
			ExternalUserID string `json:"external_userid"`
		}
		if e := c.decode(&req); e != nil {
			return nil, e
		}
		if req.UserID == "" || req.ExternalUserID == "" {
			return nil, errf(40058, "userid and external_userid are required")
		}
		cs := c.corp.contact
		f, e := cs.relation(req.UserID, req.ExternalUserID)
		if e != nil {
			return nil, e
		}
		if !f.tempWay {
			return nil, errf(40058, "not a temporary session")
		}
		cs.unfollow(cs.staff[req.UserID], req.ExternalUserID)
		return nil, nil
	})
}
