// Command groups walks through a group channel code (群活码) flow with
// scrmkit: a join way 「加入群聊」 with auto_create_room and a state,
// customers joining until WeCom opens a new group, a Tracker following
// every group's members from change_external_chat callbacks, a missed event
// repaired, the owner resigning and the groups being inherited, and the
// group statistics. With no WECOM_CORP_ID set it starts the fake WeCom
// (wecomtest) in-process, so it runs anywhere with no credentials:
//
//	go run ./examples/groups
//
// With WECOM_CORP_ID, WECOM_CORP_SECRET (and optionally WECOM_BASE_URL) set,
// it talks to that server instead and runs the steps that need no simulated
// customers: listing groups, a join way on the first group (deleted again)
// and yesterday's statistics.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/scrmkit/scrm/callback"
	"github.com/scrmkit/scrm/examples/internal/env"
	"github.com/scrmkit/scrm/examples/internal/steps"
	"github.com/scrmkit/scrm/groupchat"
	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := run(ctx, os.Stdout, os.Getenv); err != nil {
		fmt.Fprintln(os.Stderr, "groups failed:", err)
		os.Exit(1)
	}
}

const (
	owner  = "zhangsan"
	heir   = "lisi"
	state  = "spring-fair"
	corpCB = "groupsExampleToken"
)

// flow is the state the steps share.
type flow struct {
	ctx      context.Context
	svc      *groupchat.Service
	fake     *wecomtest.Server // nil against a real WeCom
	tracker  *groupchat.Tracker
	cb       *httptest.Server
	first    string   // the join way's first group
	configID string   // the join way
	rooms    []string // the groups customers joined, in order
}

func run(ctx context.Context, out io.Writer, getenv func(string) string) error {
	s := steps.New(out, 44)
	f := &flow{ctx: ctx}
	if err := s.Do("connect", func() (string, error) { return f.connect(getenv) }); err != nil {
		return err
	}
	defer f.close()
	return s.Run(f.fake != nil, []steps.Step{
		{Name: "list customer groups", FakeOnly: false, Fn: f.list},
		{Name: "serve the callback URL with a tracker", FakeOnly: true, Fn: f.serveCallback},
		{Name: "create a group channel code (加入群聊)", FakeOnly: false, Fn: f.addJoinWay},
		{Name: "customers scan it until a new group opens", FakeOnly: true, Fn: f.customersJoin},
		{Name: "tracker: who came through the code", FakeOnly: true, Fn: f.whoJoined},
		{Name: "a customer leaves; applied without a read", FakeOnly: true, Fn: f.customerLeaves},
		{Name: "a missed event is repaired", FakeOnly: true, Fn: f.missedEvent},
		{Name: "the owner resigns; groups are inherited", FakeOnly: true, Fn: f.inherit},
		{Name: "tracker follows the new owner", FakeOnly: true, Fn: f.newOwner},
		{Name: "statistics of yesterday", FakeOnly: false, Fn: f.statistics},
		{Name: "delete the group channel code", FakeOnly: false, Fn: f.delJoinWay},
	})
}

func (f *flow) connect(getenv func(string) string) (string, error) {
	if c, ok := env.Client(getenv); ok {
		f.svc = groupchat.New(c)
		return "corp " + c.CorpID(), nil
	}
	f.fake = wecomtest.Start()
	if err := f.fake.Corp(f.fake.CorpID).AddStaff(owner, heir); err != nil {
		return "", err
	}
	f.fake.Corp(f.fake.CorpID).GroupChats().SetCapacity(5) // small groups, so that a new one opens soon
	// the first group is a day old, so that yesterday's statistics show it
	first, err := f.fake.Corp(f.fake.CorpID).GroupChats().Create(f.ctx, wecomtest.GroupChatSpec{Owner: owner, Name: "Spring fair 1",
		CreatedAt: time.Now().Add(-24 * time.Hour)})
	if err != nil {
		return "", err
	}
	f.first = first
	f.svc = groupchat.New(f.fake.Client())
	return "no WECOM_CORP_ID: started the fake WeCom at " + f.fake.URL, nil
}

func (f *flow) close() {
	if f.cb != nil {
		f.cb.Close()
	}
	if f.fake != nil {
		f.fake.Close()
	}
}

func (f *flow) list() (string, error) {
	n := 0
	for ref, err := range f.svc.ListIter(f.ctx, nil) {
		if err != nil {
			return "", err
		}
		if f.first == "" {
			f.first = ref.ChatID
		}
		n++
	}
	return fmt.Sprintf("%d group(s)", n), nil
}

// serveCallback serves a callback URL on loopback with a Tracker
// registered, and points the fake's change_external_chat pushes at it.
func (f *flow) serveCallback() (string, error) {
	aesKey := wecomtest.NewEncodingAESKey()
	h, err := callback.NewHandler(corpCB, aesKey, callback.WithReceiverID(f.fake.CorpID))
	if err != nil {
		return "", err
	}
	f.tracker = groupchat.NewTracker(f.svc)
	f.tracker.Register(h)
	f.cb = httptest.NewServer(h)
	f.fake.Corp(f.fake.CorpID).SetCallback(f.cb.URL, corpCB, aesKey)
	n, err := f.tracker.Load(f.ctx, nil) // the groups that exist already
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("tracking %d existing group(s); events go to %s", n, f.cb.URL), nil
}

func (f *flow) addJoinWay() (string, error) {
	if f.first == "" {
		return "no group to attach a join way to", nil
	}
	id, err := f.svc.AddJoinWay(f.ctx, &groupchat.AddJoinWayRequest{
		Scene:          groupchat.SceneQRCode,
		Remark:         "scrmkit example",
		AutoCreateRoom: wecom.Ptr(true),
		RoomBaseName:   "Spring fair ", RoomBaseID: 2,
		ChatIDList: []string{f.first},
		State:      state,
	})
	if err != nil {
		return "", err
	}
	f.configID = id
	w, err := f.svc.GetJoinWay(f.ctx, id)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("config_id %s, state %q, auto_create_room %v, QR %s", id, w.State, w.AutoCreateRoom, w.QRCode), nil
}

func (f *flow) customersJoin() (string, error) {
	joined := 0
	for len(f.rooms) < 2 {
		join, err := f.fake.Corp(f.fake.CorpID).GroupChats().JoinViaJoinWay(f.ctx, f.configID, "")
		if err != nil {
			return "", err
		}
		joined++
		if !slices.Contains(f.rooms, join.ChatID) {
			f.rooms = append(f.rooms, join.ChatID)
		}
	}
	c, err := f.tracker.Chat(f.ctx, f.rooms[1])
	if err != nil || c == nil {
		return "", errors.Join(err, errors.New("the tracker does not know the new group"))
	}
	return fmt.Sprintf("%d customers joined; WeCom opened %q when the first group was full", joined, c.Name), nil
}

func (f *flow) whoJoined() (string, error) {
	joins, err := f.tracker.Joins(f.ctx, state)
	if err != nil {
		return "", err
	}
	per := map[string]int{}
	for _, j := range joins {
		per[j.ChatID]++
	}
	var parts []string
	for _, id := range f.rooms {
		c, err := f.tracker.Chat(f.ctx, id)
		if err != nil {
			return "", err
		}
		parts = append(parts, fmt.Sprintf("%q %d", c.Name, per[id]))
	}
	return fmt.Sprintf("%d customers came with state %q: %s", len(joins), state, strings.Join(parts, ", ")), nil
}

// leaver is the first customer of the first group.
func (f *flow) leaver() (string, error) {
	c, err := f.tracker.Chat(f.ctx, f.rooms[0])
	if err != nil {
		return "", err
	}
	for _, m := range c.Members {
		if m.Type == groupchat.MemberExternal {
			return m.UserID, nil
		}
	}
	return "", errors.New("no customer in the first group")
}

func (f *flow) customerLeaves() (string, error) {
	ext, err := f.leaver()
	if err != nil {
		return "", err
	}
	before := f.tracker.Stats()
	if err := f.fake.Corp(f.fake.CorpID).GroupChats().Leave(f.ctx, f.rooms[0], []string{ext}, false); err != nil {
		return "", err
	}
	after := f.tracker.Stats()
	c, err := f.tracker.Chat(f.ctx, f.rooms[0])
	if err != nil {
		return "", err
	}
	if slices.Contains(c.MemberIDs(), ext) {
		return "", fmt.Errorf("the tracker still lists %s", ext)
	}
	return fmt.Sprintf("%s left; %d members now; groupchat/get calls: %d", ext, len(c.Members), after.Fetches-before.Fetches), nil
}

func (f *flow) missedEvent() (string, error) {
	f.fake.Corp(f.fake.CorpID).GroupChats().DropEvents(1) // the callback misses the next event
	ext, err := f.leaver()
	if err != nil {
		return "", err
	}
	if err := f.fake.Corp(f.fake.CorpID).GroupChats().Leave(f.ctx, f.rooms[0], []string{ext}, true); err != nil {
		return "", err
	}
	// the next change carries a LastMemVer the tracker has not seen
	if _, err := f.fake.Corp(f.fake.CorpID).GroupChats().JoinViaJoinWay(f.ctx, f.configID, ""); err != nil {
		return "", err
	}
	c, err := f.tracker.Chat(f.ctx, f.rooms[0])
	if err != nil {
		return "", err
	}
	if !slices.Equal(c.MemberIDs(), f.fake.Corp(f.fake.CorpID).GroupChats().Members(f.rooms[0])) {
		return "", errors.New("the tracker is out of step with the group")
	}
	return fmt.Sprintf("%s's departure was never pushed; the next event showed the gap (%d so far) and the group was read again",
		ext, f.tracker.Stats().Gaps), nil
}

func (f *flow) inherit() (string, error) {
	if err := f.fake.Corp(f.fake.CorpID).ResignStaff(owner); err != nil {
		return "", err
	}
	var resigned []string
	for ref, err := range f.svc.ListIter(f.ctx, &groupchat.ListRequest{StatusFilter: groupchat.StatusOwnerResigned,
		OwnerFilter: &groupchat.OwnerFilter{UserIDList: []string{owner}}}) {
		if err != nil {
			return "", err
		}
		resigned = append(resigned, ref.ChatID)
	}
	res, err := f.svc.TransferMany(f.ctx, &groupchat.TransferRequest{ChatIDList: resigned, NewOwner: heir}, 0)
	if err != nil {
		return "", err
	}
	moved := 0
	for _, r := range res {
		if r.Err != nil {
			return "", fmt.Errorf("group %s: %w", r.Item, r.Err)
		}
		moved++
	}
	return fmt.Sprintf("%s resigned; %d of %d group(s) handed to %s", owner, moved, len(resigned), heir), nil
}

func (f *flow) newOwner() (string, error) {
	// the fake pushes change_owner after the transfer; wait for those pushes
	if err := f.fake.Corp(f.fake.CorpID).GroupChats().DeliverEvents(f.ctx); err != nil {
		return "", err
	}
	for _, id := range f.rooms {
		c, err := f.tracker.Chat(f.ctx, id)
		if err != nil {
			return "", err
		}
		if c.Owner != heir {
			return "", fmt.Errorf("group %s: owner %s in the tracker", id, c.Owner)
		}
	}
	return fmt.Sprintf("%d group(s) owned by %s in the tracker", len(f.rooms), heir), nil
}

func (f *flow) statistics() (string, error) {
	yesterday := wecom.UnixTime(time.Now().Add(-24 * time.Hour).Unix())
	days, err := f.svc.GetStatisticGroupByDay(f.ctx, &groupchat.GetStatisticGroupByDayRequest{
		StatWindow: groupchat.StatWindow{DayBeginTime: yesterday}})
	if err != nil {
		return "", err
	}
	if len(days) == 0 {
		return "no data", nil
	}
	d := days[0].Data
	china := time.FixedZone("CST", 8*3600) // WeCom's statistics days are China's
	return fmt.Sprintf("%s: %d groups, %d members, %d new members", days[0].StatTime.Time().In(china).Format("2006-01-02"),
		d.ChatTotal, d.MemberTotal, d.NewMemberCnt), nil
}

func (f *flow) delJoinWay() (string, error) {
	if f.configID == "" {
		return "nothing to delete", nil
	}
	if err := f.svc.DelJoinWay(f.ctx, f.configID); err != nil {
		return "", err
	}
	return "deleted " + f.configID, nil
}
