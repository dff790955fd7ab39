package wecomtest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/scrmkit/scrm/wecom"
)

// World describes the people and objects of a fake WeCom, for Server.Seed:
// corps with their app's secret and callback, members, corp tags,
// customers, contact ways (联系我), customer groups and their join ways
// (加入群聊). It is plain data with WeCom's snake_case names in its JSON
// tags, so that a file can hold it: `scrm fake --world world.yaml` reads
// one (in YAML or JSON) and serves it to teams who do not write Go.
//
//	{"corps": [{
//	  "staff": [{"id": "zhangsan", "name": "张三"}],
//	  "tags": [{"group": "Level", "tags": ["VIP"]}],
//	  "customers": [{"name": "李四", "followers": ["zhangsan"], "tags": ["VIP"]}],
//	  "contact_ways": [{"state": "spring-fair", "users": ["zhangsan"]}],
//	  "groups": [{"name": "VIP group", "owner": "zhangsan", "members": ["李四"]}],
//	  "join_ways": [{"state": "vip-group", "groups": ["VIP group"]}]
//	}]}
type World struct {
	Corps []WorldCorp `json:"corps"`
}

// WorldCorp is one corp of a World and its self-built app.
type WorldCorp struct {
	// ID is the corp id; "" is the server's own corp (Server.CorpID).
	ID string `json:"id,omitempty"`
	// Secret is the app's secret; "" keeps the server's (Server.Secret)
	// for its own corp and gives DefaultSecret to any other.
	Secret string `json:"secret,omitempty"`
	// Callback is where the corp's pushes go (Corp.SetCallback), set once
	// the rest is seeded, so that seeding pushes nothing.
	Callback *WorldCallback `json:"callback,omitempty"`
	// Staff are members with the customer-contact feature, in the address
	// book too.
	Staff []WorldMember `json:"staff,omitempty"`
	// Tags are corp tags (企业客户标签), by group.
	Tags []WorldTagGroup `json:"tags,omitempty"`
	// Customers are named customers and the members they added.
	Customers []WorldCustomer `json:"customers,omitempty"`
	// RandomCustomers adds that many more customers, spread round-robin
	// over Staff (Corp.SeedCustomers): a corp of realistic size for a bulk
	// export.
	RandomCustomers int `json:"random_customers,omitempty"`
	// ContactWays are contact ways (联系我) the app would have made with
	// add_contact_way, for customers to scan.
	ContactWays []WorldContactWay `json:"contact_ways,omitempty"`
	// Groups are customer groups, created in order.
	Groups []WorldGroup `json:"groups,omitempty"`
	// JoinWays are join ways (加入群聊) the app would have made with
	// add_join_way, for customers to scan into Groups.
	JoinWays []WorldJoinWay `json:"join_ways,omitempty"`
}

// WorldCallback is a corp's callback URL (接收事件服务器) and its settings.
type WorldCallback struct {
	URL    string `json:"url"`
	Token  string `json:"token"`
	AESKey string `json:"aes_key"` // the EncodingAESKey, 43 characters
}

// WorldMember is a member of the corp.
type WorldMember struct {
	ID   string `json:"id"`             // userid
	Name string `json:"name,omitempty"` // the address book's name; default ID
	// Unlicensed: the member has no interop licence (互通许可), so that
	// batch/get_by_user leaves their customers out (Corp.SetUnlicensed).
	Unlicensed bool `json:"unlicensed,omitempty"`
}

// WorldTagGroup is a corp tag group and its tags.
type WorldTagGroup struct {
	Group string   `json:"group"`
	Tags  []string `json:"tags"`
}

// WorldCustomer is a customer: a WeChat user (external_userid "wm...")
// who added each of Followers.
type WorldCustomer struct {
	// ID is the external_userid; "" makes one up.
	ID   string `json:"id,omitempty"`
	Name string `json:"name"`
	// Followers are the members the customer added (by QR code, add_way 1),
	// given the customer-contact feature if they lack it.
	Followers []string `json:"followers"`
	// Tags are names of corp tags (of Tags; unique in the corp) every
	// follower put on the customer.
	Tags []string `json:"tags,omitempty"`
	// State is the contact way state of every relation ("" for none).
	State string `json:"state,omitempty"`
	// Remark is every follower's remark on the customer.
	Remark string `json:"remark,omitempty"`
}

// WorldContactWay is a QR-code contact way of one member (single) or of
// several (multi-member, taking scans round-robin).
type WorldContactWay struct {
	State  string   `json:"state,omitempty"` // at most 30 characters
	Users  []string `json:"users"`
	Remark string   `json:"remark,omitempty"`
}

// WorldGroup is a customer group created by its owner.
type WorldGroup struct {
	Name  string `json:"name"`
	Owner string `json:"owner"` // a member of Staff
	// Members are members' userids, customers' external_userids, or the
	// names of the world's customers.
	Members []string `json:"members,omitempty"`
}

// WorldJoinWay is a group QR code (群活码) that lets customers join up to
// five of the world's groups, by name, filling them in order.
type WorldJoinWay struct {
	State  string   `json:"state,omitempty"` // at most 30 characters
	Groups []string `json:"groups"`
	Remark string   `json:"remark,omitempty"`
}

// Seed builds w in the server: for each corp (added if new) its members,
// tags, customers, contact ways, groups and join ways, and last its
// callback. Objects an app makes through the API (tags, contact ways, join
// ways) are made through the server's own API, with a client of the corp,
// so that they obey every rule the fake enforces and show in the request
// log (Requests) and the corp's TokenFetches like any client's calls; people
// (members, customers, groups) are made as the handles' acts make them,
// pushing nothing. A World is checked as it is built: the first error
// names the corp and the entry, and what was seeded before it stays.
//
// The control API's GET /wecomtest/world lists what was made, with the ids
// the fake gave it (the contact ways' and join ways' config_ids, the
// groups' chat_ids, the customers' external_userids).
func (s *Server) Seed(ctx context.Context, w *World) error {
	if w == nil {
		return errors.New("wecomtest: Seed needs a World")
	}
	for i := range w.Corps {
		if err := s.seedCorp(ctx, &w.Corps[i]); err != nil {
			id := w.Corps[i].ID
			if id == "" {
				id = s.CorpID
			}
			return fmt.Errorf("wecomtest: seeding corp %s: %w", id, err)
		}
	}
	return nil
}

func (s *Server) seedCorp(ctx context.Context, wc *WorldCorp) error {
	id, secret := wc.ID, wc.Secret
	if id == "" {
		id = s.CorpID
	}
	corp := s.AddCorp(id, DefaultSecret)
	if secret != "" {
		corp.SetSecret(secret)
	}

	// Members: the customer-contact feature, the address book, licences.
	for _, m := range wc.Staff {
		if m.ID == "" {
			return errors.New("a member of staff has no id")
		}
		name := m.Name
		if name == "" {
			name = m.ID
		}
		if err := corp.AddStaff(m.ID); err != nil {
			return err
		}
		if err := corp.Directory().AddMember(MemberSpec{UserID: m.ID, Name: name}); err != nil {
			return fmt.Errorf("member %s: %w", m.ID, err)
		}
		if m.Unlicensed {
			if err := corp.SetUnlicensed(m.ID, true); err != nil {
				return err
			}
		}
	}

	c := s.ClientFor(id)
	tagIDs, err := seedTags(ctx, c, wc.Tags)
	if err != nil {
		return err
	}
	names, err := s.seedCustomers(id, wc.Customers, tagIDs)
	if err != nil {
		return err
	}
	if wc.RandomCustomers > 0 {
		var staff []string
		for _, m := range wc.Staff {
			staff = append(staff, m.ID)
		}
		if _, err := corp.SeedCustomers(wc.RandomCustomers, staff); err != nil {
			return fmt.Errorf("random_customers: %w", err)
		}
	}
	for i, way := range wc.ContactWays {
		typ := 1 // single member
		if len(way.Users) > 1 {
			typ = 2
		}
		body := struct {
			Type   int      `json:"type"`
			Scene  int      `json:"scene"`
			Remark string   `json:"remark,omitempty"`
			State  string   `json:"state,omitempty"`
			User   []string `json:"user"`
		}{typ, 2, way.Remark, way.State, way.Users}
		if err := c.Post(ctx, "/cgi-bin/externalcontact/add_contact_way", body, nil); err != nil {
			return fmt.Errorf("contact way %d (state %q): %w", i+1, way.State, err)
		}
	}
	chats := map[string]string{} // group name → chat id
	for _, g := range wc.Groups {
		members := make([]string, len(g.Members))
		for i, m := range g.Members {
			members[i] = m
			if ext, ok := names[m]; ok {
				members[i] = ext
			}
		}
		chatID, err := corp.GroupChats().Create(ctx, GroupChatSpec{Owner: g.Owner, Name: g.Name, Members: members})
		if err != nil {
			return fmt.Errorf("group %q: %w", g.Name, err)
		}
		if _, dup := chats[g.Name]; dup {
			return fmt.Errorf("two groups are named %q: join ways name groups, so names must differ", g.Name)
		}
		chats[g.Name] = chatID
	}
	for i, way := range wc.JoinWays {
		ids := make([]string, len(way.Groups))
		for j, name := range way.Groups {
			chatID, ok := chats[name]
			if !ok {
				return fmt.Errorf("join way %d (state %q): no group is named %q", i+1, way.State, name)
			}
			ids[j] = chatID
		}
		body := struct {
			Scene      int      `json:"scene"`
			Remark     string   `json:"remark,omitempty"`
			ChatIDList []string `json:"chat_id_list"`
			State      string   `json:"state,omitempty"`
		}{2, way.Remark, ids, way.State}
		if err := c.Post(ctx, "/cgi-bin/externalcontact/groupchat/add_join_way", body, nil); err != nil {
			return fmt.Errorf("join way %d (state %q): %w", i+1, way.State, err)
		}
	}
	if cb := wc.Callback; cb != nil && cb.URL != "" {
		corp.SetCallback(cb.URL, cb.Token, cb.AESKey)
	}
	return nil
}

// seedTags creates the corp tags with add_corp_tag and returns their ids by
// tag name; a name used in two groups maps to "" (ambiguous).
func seedTags(ctx context.Context, c *wecom.Client, groups []WorldTagGroup) (map[string]string, error) {
	ids := map[string]string{}
	for _, g := range groups {
		type newTag struct {
			Name string `json:"name"`
		}
		body := struct {
			GroupName string   `json:"group_name"`
			Tag       []newTag `json:"tag"`
		}{GroupName: g.Group}
		for _, t := range g.Tags {
			body.Tag = append(body.Tag, newTag{t})
		}
		var out struct {
			TagGroup struct {
				Tag []struct {
					ID   string `json:"id"`
					Name string `json:"name"`
				} `json:"tag"`
			} `json:"tag_group"`
		}
		if err := c.Post(ctx, "/cgi-bin/externalcontact/add_corp_tag", body, &out); err != nil {
			return nil, fmt.Errorf("tag group %q: %w", g.Group, err)
		}
		for _, t := range out.TagGroup.Tag {
			if _, dup := ids[t.Name]; dup {
				ids[t.Name] = ""
				continue
			}
			ids[t.Name] = t.ID
		}
	}
	return ids, nil
}

// seedCustomers adds the named customers and their relations, and returns
// their external_userids by name.
func (s *Server) seedCustomers(corpID string, customers []WorldCustomer, tagIDs map[string]string) (map[string]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cs, err := s.contactLocked(corpID)
	if err != nil {
		return nil, err
	}
	now := s.now().Unix()
	names := map[string]string{}
	for _, wcu := range customers {
		who := wcu.Name
		if who == "" {
			who = wcu.ID
		}
		var tags []string
		for _, t := range wcu.Tags {
			id, ok := tagIDs[t]
			switch {
			case !ok:
				return nil, fmt.Errorf("customer %q: no corp tag is named %q", who, t)
			case id == "":
				return nil, fmt.Errorf("customer %q: two tag groups have a tag named %q: give tags names unique in the corp", who, t)
			}
			tags = append(tags, id)
		}
		if len(wcu.Followers) == 0 {
			return nil, fmt.Errorf("customer %q: no followers (a customer is someone's customer)", who)
		}
		if utf8.RuneCountInString(wcu.State) > 30 {
			return nil, fmt.Errorf("customer %q: state longer than 30 characters", who)
		}
		ext := wcu.ID
		switch {
		case ext == "":
			ext = cs.newCustomer(s, wcu.Name)
		case cs.customers[ext] != nil:
			return nil, fmt.Errorf("customer %q: external_userid %s exists already", who, ext)
		default:
			cs.seq++
			wire := wireExternalContact{ExternalUserID: ext, Name: wcu.Name, Type: 1,
				Avatar: "https://wecomtest.invalid/avatar/" + ext}
			if strings.HasPrefix(ext, "wo") {
				wire.Type, wire.CorpName = 2, "Partner"
			} else {
				wire.UnionID = "ou" + ext
				cs.byUnionID[wire.UnionID] = ext
			}
			cs.customers[ext] = &fakeCustomer{contact: wire}
		}
		for _, u := range wcu.Followers {
			cs.follow(cs.addStaff(u), ext, &followRec{CreateTime: now, OperUserID: ext, AddWay: 1,
				State: wcu.State, Remark: wcu.Remark, TagIDs: append([]string(nil), tags...)})
		}
		if wcu.Name != "" {
			names[wcu.Name] = ext
		}
	}
	return names, nil
}
