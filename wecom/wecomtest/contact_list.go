package wecomtest

import (
	"net/http"
	"strconv"
	"time"
)

// Served contacts (已服务的外部联系人, externalcontact/contact_list): the
// corp's customers, one entry per follow relation, then the other external
// contacts tests add with AddServedContact. Self-built apps only (others
// answer 48002). tmp_openid is the same for every entry of one person and
// changes every 4 hours of the server clock, as WeCom's temporary ids
// expire.

// servedState holds the served contacts that are not customer relations;
// Server.mu guards it.
type servedState struct {
	others []servedEntry
}

func newServedState() *servedState { return &servedState{} }

type servedEntry struct {
	person  string // what tmp_openid is derived from
	contact ServedContact
	added   int64
}

// ServedContact is an external contact AddServedContact lists besides the
// customers: someone a member added without marking them a customer
// (FollowUserID), or who joined a customer group (ChatID, ChatName).
type ServedContact struct {
	Name           string // listed masked, "***" and the last character
	ExternalUserID string // set to list a customer who joined a group
	FollowUserID   string
	ChatID         string
	ChatName       string
}

// AddServedContact adds an entry to the corp's served contacts
// (externalcontact/contact_list), after its customers.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/99434
func (c *Corp) AddServedContact(sc ServedContact) error {
	s, corpID := c.s, c.id
	s.mu.Lock()
	defer s.mu.Unlock()
	cs, err := s.contactLocked(corpID)
	if err != nil {
		return err
	}
	person := "ext:" + sc.ExternalUserID
	if sc.ExternalUserID == "" {
		person = "name:" + sc.Name
	}
	cs.served.others = append(cs.served.others, servedEntry{person: person, contact: sc, added: s.now().Unix()})
	return nil
}

type wireServed struct {
	IsCustomer     bool   `json:"is_customer"`
	TmpOpenID      string `json:"tmp_openid"`
	ExternalUserID string `json:"external_userid,omitempty"`
	Name           string `json:"name,omitempty"`
	FollowUserID   string `json:"follow_userid,omitempty"`
	ChatID         string `json:"chat_id,omitempty"`
	ChatName       string `json:"chat_name,omitempty"`
	AddTime        int64  `json:"add_time"`
}

func maskName(name string) string {
	r := []rune(name)
	if len(r) == 0 {
		return ""
	}
	return "***" + string(r[len(r)-1])
}

const servedPageDefault = 1000

func (s *Server) routeContactList() {
	// WeCom API docs: https://developer.work.weixin.qq.com/document/path/99434
	s.handleContact(http.MethodPost, "/cgi-bin/externalcontact/contact_list", func(c *call) (any, *apiError) {
		if c.s.appAuthLocked(c) != nil {
			return nil, errf(48002, "api forbidden: self-built apps only")
		}
		var req struct {
			Cursor string `json:"cursor"`
			Limit  int    `json:"limit"`
		}
		if e := c.decode(&req); e != nil {
			return nil, e
		}
		if req.Limit < 0 {
			return nil, errf(40058, "invalid limit")
		}
		limit := req.Limit
		if limit == 0 {
			limit = servedPageDefault
		}
		pos, e := decodeCursor(req.Cursor, 1)
		if e != nil {
			return nil, e
		}
		cs := c.corp.contact
		window := strconv.FormatInt(c.s.now().Unix()/int64(4*time.Hour/time.Second), 10)
		tmp := func(person string) string { return pseudoID("tmp", c.corp.ID, person, window) }
		var all []wireServed
		for _, uid := range cs.staffOrder {
			st := cs.staff[uid]
			for _, ext := range st.customers {
				f := st.follows[ext]
				all = append(all, wireServed{IsCustomer: true, TmpOpenID: tmp("ext:" + ext), ExternalUserID: ext,
					FollowUserID: uid, AddTime: f.CreateTime})
			}
		}
		for _, o := range cs.served.others {
			w := wireServed{TmpOpenID: tmp(o.person), FollowUserID: o.contact.FollowUserID, ChatID: o.contact.ChatID,
				ChatName: o.contact.ChatName, AddTime: o.added}
			if o.contact.ExternalUserID != "" {
				w.IsCustomer, w.ExternalUserID = true, o.contact.ExternalUserID
			} else {
				w.Name = maskName(o.contact.Name)
			}
			all = append(all, w)
		}
		from := min(pos[0], len(all))
		to := min(from+limit, len(all))
		ans := map[string]any{"info_list": append([]wireServed{}, all[from:to]...)}
		if to < len(all) {
			ans["next_cursor"] = encodeCursor(to)
		}
		return ans, nil
	})
}
