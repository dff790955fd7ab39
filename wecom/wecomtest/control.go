package wecomtest

import (
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"slices"
	"sort"
)

// WithListener makes the server accept connections on l instead of a
// loopback port of its own, so that a program serving the fake to others
// (`scrm fake --addr 127.0.0.1:8080`) chooses the address. The server
// closes l with Close. Server.URL is then http:// and l's address.
func WithListener(l net.Listener) Option { return func(s *Server) { s.listener = l } }

// The control API: HTTP endpoints under /wecomtest/ that let a team who
// does not write Go look at the fake and play the people in it, as the
// handles do in Go. They answer JSON; an error is {"error": "..."} with
// status 404 (an unknown corp, contact way, group, mass send...) or 400.
// An act whose push to the corp's callback failed still happened, as in
// WeCom: it answers 200 with the push's outcome in "push" and the failure
// in "push_error".
//
//	GET  /wecomtest/world                           the corps and their ids: staff, customers (the
//	                                                first 100), tags, contact ways, groups, join
//	                                                ways and mass sends, with their state
//	POST /wecomtest/corps/{corp}/scan               a customer scans a contact way (Corp.ScanContactWay):
//	                                                {"config_id": "...", "external_userid": ""}
//	POST /wecomtest/corps/{corp}/join               a customer scans a join way (GroupChats.JoinViaJoinWay):
//	                                                {"config_id": "...", "external_userid": ""}; or
//	                                                people are invited into a group (GroupChats.Join):
//	                                                {"chat_id": "...", "userids": ["..."], "invitor": "..."}
//	POST /wecomtest/corps/{corp}/confirm-mass-send  senders confirm a mass send (Messages.ConfirmMassSend):
//	                                                {"msgid": "...", "userid": ""} ("" for every sender)
//	PUT  /wecomtest/corps/{corp}/callback           where the corp's pushes go (Corp.SetCallback):
//	                                                {"url": "...", "token": "...", "aes_key": "..."}
//	                                                ("url": "" stops pushing)
//	POST /wecomtest/corps/{corp}/push               push the request body, a decrypted event's XML,
//	                                                to the corp's callback, as WeCom would
//
// The control API is not WeCom's: its requests are not in the request log
// (Requests) and need no token.
func (s *Server) routeControl() {
	s.mux.HandleFunc("GET /wecomtest/world", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, s.worldView())
	})
	s.mux.HandleFunc("POST /wecomtest/corps/{corp}/scan", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			ConfigID       string `json:"config_id"`
			ExternalUserID string `json:"external_userid"`
		}
		if !readControl(w, r, &req) {
			return
		}
		scan, err := s.Corp(r.PathValue("corp")).ScanContactWay(r.Context(), req.ConfigID, req.ExternalUserID)
		if scan == nil {
			controlError(w, err)
			return
		}
		writeJSON(w, struct {
			ExternalUserID string `json:"external_userid"`
			UserID         string `json:"userid"`
			State          string `json:"state"`
			WelcomeCode    string `json:"welcome_code"`
			pushOutcome
		}{scan.ExternalUserID, scan.UserID, scan.State, scan.WelcomeCode, outcome(scan.Push, err)})
	})
	s.mux.HandleFunc("POST /wecomtest/corps/{corp}/join", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			ConfigID       string   `json:"config_id"`
			ExternalUserID string   `json:"external_userid"`
			ChatID         string   `json:"chat_id"`
			UserIDs        []string `json:"userids"`
			Invitor        string   `json:"invitor"`
		}
		if !readControl(w, r, &req) {
			return
		}
		g := s.Corp(r.PathValue("corp")).GroupChats()
		if req.ChatID != "" {
			err := g.Join(r.Context(), req.ChatID, req.UserIDs, req.Invitor)
			if err != nil && !joined(g.Members(req.ChatID), req.UserIDs) {
				controlError(w, err)
				return
			}
			writeJSON(w, struct {
				ChatID string `json:"chat_id"`
				pushOutcome
			}{req.ChatID, outcome(nil, err)})
			return
		}
		join, err := g.JoinViaJoinWay(r.Context(), req.ConfigID, req.ExternalUserID)
		if join == nil {
			controlError(w, err)
			return
		}
		writeJSON(w, struct {
			ChatID         string `json:"chat_id"`
			ExternalUserID string `json:"external_userid"`
			State          string `json:"state"`
			pushOutcome
		}{join.ChatID, join.ExternalUserID, join.State, outcome(nil, err)})
	})
	s.mux.HandleFunc("POST /wecomtest/corps/{corp}/confirm-mass-send", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			MsgID  string `json:"msgid"`
			UserID string `json:"userid"`
		}
		if !readControl(w, r, &req) {
			return
		}
		if err := s.Corp(r.PathValue("corp")).Messages().ConfirmMassSend(req.MsgID, req.UserID); err != nil {
			controlError(w, err)
			return
		}
		writeJSON(w, struct {
			MsgID string `json:"msgid"`
		}{req.MsgID})
	})
	s.mux.HandleFunc("PUT /wecomtest/corps/{corp}/callback", func(w http.ResponseWriter, r *http.Request) {
		var req WorldCallback
		if !readControl(w, r, &req) {
			return
		}
		corp := s.Corp(r.PathValue("corp"))
		if !s.knowsCorp(corp.ID()) {
			controlError(w, ErrNotFound)
			return
		}
		corp.SetCallback(req.URL, req.Token, req.AESKey)
		writeJSON(w, struct {
			URL string `json:"url"`
		}{req.URL})
	})
	s.mux.HandleFunc("POST /wecomtest/corps/{corp}/push", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil || len(body) == 0 {
			controlError(w, errors.New("wecomtest: the body must be the decrypted XML to push"))
			return
		}
		corp := s.Corp(r.PathValue("corp"))
		if !s.knowsCorp(corp.ID()) {
			controlError(w, ErrNotFound)
			return
		}
		p := corp.Pusher()
		if p == nil {
			controlError(w, errors.New("wecomtest: the corp has no callback: PUT /wecomtest/corps/{corp}/callback first"))
			return
		}
		res, err := p.Push(r.Context(), body)
		writeJSON(w, outcome(res, err))
	})
}

// pushOutcome is how an act's push went, in a control API answer.
type pushOutcome struct {
	Push *struct {
		OK       bool   `json:"ok"`
		Status   int    `json:"status"`
		Attempts int    `json:"attempts"`
		Body     string `json:"body,omitempty"`
	} `json:"push,omitempty"`
	PushError string `json:"push_error,omitempty"`
}

func outcome(res *PushResult, err error) pushOutcome {
	var o pushOutcome
	if res != nil {
		o.Push = &struct {
			OK       bool   `json:"ok"`
			Status   int    `json:"status"`
			Attempts int    `json:"attempts"`
			Body     string `json:"body,omitempty"`
		}{res.OK, res.Status(), len(res.Attempts), res.Body()}
	}
	if err != nil {
		o.PushError = err.Error()
	}
	return o
}

// joined reports whether every id is in members (a Join that happened
// even though its push failed).
func joined(members, ids []string) bool {
	for _, id := range ids {
		if !slices.Contains(members, id) {
			return false
		}
	}
	return len(ids) > 0
}

func (s *Server) knowsCorp(corpID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.corps[corpID] != nil
}

// readControl decodes a control request's JSON body strictly.
func readControl(w http.ResponseWriter, r *http.Request, v any) bool {
	d := json.NewDecoder(io.LimitReader(r.Body, 1<<20))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		controlError(w, errors.New("wecomtest: bad request body: "+err.Error()))
		return false
	}
	return true
}

func controlError(w http.ResponseWriter, err error) {
	status := http.StatusBadRequest
	if errors.Is(err, ErrNotFound) {
		status = http.StatusNotFound
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(struct {
		Error string `json:"error"`
	}{err.Error()})
}

// maxViewCustomers bounds the customers GET /wecomtest/world lists per corp
// (it counts them all).
const maxViewCustomers = 100

type worldView struct {
	Corps []corpView `json:"corps"`
}

type corpView struct {
	ID           string           `json:"id"`
	Secret       string           `json:"secret"`
	Callback     string           `json:"callback,omitempty"`
	Staff        []string         `json:"staff"`
	Customers    int              `json:"customers"`
	CustomerList []customerView   `json:"customer_list"`
	Tags         []tagView        `json:"tags"`
	ContactWays  []contactWayView `json:"contact_ways"`
	Groups       []groupView      `json:"groups"`
	JoinWays     []joinWayView    `json:"join_ways"`
	MassSends    []massSendView   `json:"mass_sends"`
	Unlicensed   []string         `json:"unlicensed,omitempty"` // staff without an interop licence
}

type customerView struct {
	ExternalUserID string   `json:"external_userid"`
	Name           string   `json:"name"`
	Followers      []string `json:"followers"`
}

type tagView struct {
	ID    string `json:"id"`
	Group string `json:"group"`
	Name  string `json:"name"`
}

type contactWayView struct {
	ConfigID string   `json:"config_id"`
	State    string   `json:"state"`
	Users    []string `json:"users"`
}

type groupView struct {
	ChatID  string `json:"chat_id"`
	Name    string `json:"name"`
	Owner   string `json:"owner"`
	Members int    `json:"members"`
}

type joinWayView struct {
	ConfigID string   `json:"config_id"`
	State    string   `json:"state"`
	ChatIDs  []string `json:"chat_ids"`
}

type massSendView struct {
	MsgID    string   `json:"msgid"`
	Text     string   `json:"text,omitempty"`
	Senders  []string `json:"senders"`
	Sent     []string `json:"sent"` // senders who confirmed
	Canceled bool     `json:"canceled,omitempty"`
}

// worldView describes every corp, the server's own first.
func (s *Server) worldView() worldView {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := make([]string, 0, len(s.corps))
	for id := range s.corps {
		if id != s.CorpID {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	if s.corps[s.CorpID] != nil {
		ids = append([]string{s.CorpID}, ids...)
	}
	out := worldView{Corps: []corpView{}}
	for _, id := range ids {
		out.Corps = append(out.Corps, s.corpViewLocked(s.corps[id]))
	}
	return out
}

func (s *Server) corpViewLocked(c *corpState) corpView {
	v := corpView{ID: c.ID, Secret: c.Secret, Staff: []string{}, CustomerList: []customerView{}, Tags: []tagView{},
		ContactWays: []contactWayView{}, Groups: []groupView{}, JoinWays: []joinWayView{}, MassSends: []massSendView{}}
	if c.pusher != nil {
		v.Callback = c.pusher.URL
	}
	cs := c.contact
	seen := map[string]bool{}
	for _, u := range cs.staffOrder {
		st := cs.staff[u]
		if st.resigned {
			continue
		}
		v.Staff = append(v.Staff, u)
		if st.unlicensed {
			v.Unlicensed = append(v.Unlicensed, u)
		}
		for _, ext := range st.customers {
			if seen[ext] || len(v.CustomerList) >= maxViewCustomers {
				continue
			}
			seen[ext] = true
			cu := cs.customers[ext]
			v.CustomerList = append(v.CustomerList, customerView{ext, cu.contact.Name, slices.Clone(cu.followers)})
		}
	}
	v.Customers = len(cs.customers)
	for _, gid := range cs.groupOrder {
		g := cs.groups[gid]
		if g.deleted || g.strategy != 0 {
			continue
		}
		for _, tid := range g.tagOrder {
			if t := cs.tags[tid]; !t.deleted {
				v.Tags = append(v.Tags, tagView{t.id, g.name, t.name})
			}
		}
	}
	for _, id := range cs.wayOrder {
		if w := cs.ways[id]; w != nil {
			v.ContactWays = append(v.ContactWays, contactWayView{w.ConfigID, w.State, slices.Clone(w.User)})
		}
	}
	gs := c.groupchat
	for _, id := range gs.order {
		if ch := gs.chats[id]; ch != nil && !ch.dismissed {
			v.Groups = append(v.Groups, groupView{ch.id, ch.name, ch.owner, len(ch.members)})
		}
	}
	for _, id := range gs.wayOrder {
		if w := gs.ways[id]; w != nil {
			v.JoinWays = append(v.JoinWays, joinWayView{w.ConfigID, w.State, slices.Clone(w.ChatIDList)})
		}
	}
	ms := c.message
	for _, id := range ms.taskOrder {
		t := ms.tasks[id]
		if t == nil {
			continue
		}
		mv := massSendView{MsgID: t.msgID, Senders: slices.Clone(t.senders), Sent: []string{}, Canceled: t.canceled}
		if t.text != nil {
			mv.Text = t.text.Content
		}
		for _, u := range t.senders {
			if st := t.bySender[u]; st != nil && st.status == 2 {
				mv.Sent = append(mv.Sent, u)
			}
		}
		v.MassSends = append(v.MassSends, mv)
	}
	return v
}
