package groupchat

import (
	"context"
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/scrmkit/scrm/callback"
	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

// benchGroup is a 500-member group in WeCom's JSON, as groupchat/get
// answers it, and its decoded form.
func benchGroup(b *testing.B) ([]byte, *GroupChat) {
	g := &GroupChat{ChatID: "wrBench", Name: "bench", Owner: "owner", CreateTime: 1700000000, MemberVersion: "v0"}
	g.MemberList = append(g.MemberList, Member{UserID: "owner", Type: MemberInternal, JoinTime: 1700000000, JoinScene: JoinInvited})
	for i := range 499 {
		g.MemberList = append(g.MemberList, Member{UserID: "wmBenchCustomer" + strconv.Itoa(i), Type: MemberExternal,
			UnionID: "ozBenchUnion" + strconv.Itoa(i), JoinTime: wecom.UnixTime(1700000000 + i), JoinScene: JoinQRCode,
			State: "bench-state", GroupNickname: "nick"})
	}
	body, err := json.Marshal(struct {
		GroupChat *GroupChat `json:"group_chat"`
	}{g})
	if err != nil {
		b.Fatal(err)
	}
	return body, g
}

// benchTracker tracks the 500-member group; its groupchat/get decodes the
// group's JSON, as the client would, without the network.
func benchTracker(b *testing.B) (*Tracker, *TrackedChat) {
	body, g := benchGroup(b)
	tr := NewTracker(New(wecom.New("wwbench", "s", wecom.WithBaseURL("http://127.0.0.1:1"))))
	tr.fetch = func(context.Context, string) (*GroupChat, error) {
		var out struct {
			GroupChat GroupChat `json:"group_chat"`
		}
		err := json.Unmarshal(body, &out)
		return &out.GroupChat, err
	}
	return tr, fromGroupChat(g.ChatID, g)
}

func delEvent(chatID, member string, last, cur string) *callback.ExternalChatEvent {
	ev := &callback.ExternalChatEvent{ChatID: chatID, UpdateDetail: callback.UpdateDelMember, MemChangeCnt: 1,
		MemChangeList: []string{member}, LastMemVer: last, CurMemVer: cur}
	ev.ToUserName, ev.ChangeType = "wwbench", callback.ChangeChatUpdate
	return ev
}

// BenchmarkTrackerDelMember is the update path of a departure in sequence:
// load the stored group, drop the member, store it; no call to WeCom. The
// group shrinks from 500 to 100 members and is then restored (untimed).
func BenchmarkTrackerDelMember(b *testing.B) {
	tr, start := benchTracker(b)
	ctx := context.Background()
	versions := make([]string, 401)
	for i := range versions {
		versions[i] = "v" + strconv.Itoa(i)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		k := i % 400
		if k == 0 {
			b.StopTimer()
			if err := tr.store.Save(ctx, start.Clone()); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
		}
		ev := delEvent(start.ChatID, start.Members[1+k].UserID, versions[k], versions[k+1])
		if err := tr.HandleEvent(ctx, ev); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if st := tr.Stats(); st.Fetches != 0 || st.Local != int64(b.N) {
		b.Fatalf("stats %+v: every event must be applied locally", st)
	}
}

// BenchmarkTrackerDuplicate is a re-sent event: recognised by its version
// and skipped.
func BenchmarkTrackerDuplicate(b *testing.B) {
	tr, start := benchTracker(b)
	ctx := context.Background()
	start.PastVersions = []string{"vOld"}
	if err := tr.store.Save(ctx, start); err != nil {
		b.Fatal(err)
	}
	ev := delEvent(start.ChatID, "wmBenchCustomer7", "vOlder", "vOld")
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := tr.HandleEvent(ctx, ev); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if st := tr.Stats(); st.Duplicates != int64(b.N) || st.Fetches != 0 {
		b.Fatalf("stats %+v", st)
	}
}

// BenchmarkTrackerRefetch is the reference: the same departure handled by
// reading the group again (decoding groupchat/get's 500-member answer) and
// storing it, which is what a tracker without versions does for every
// event, and what this one does after a missed event.
func BenchmarkTrackerRefetch(b *testing.B) {
	tr, start := benchTracker(b)
	ctx := context.Background()
	if err := tr.store.Save(ctx, start); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		// a gap: LastMemVer is not the stored version
		ev := delEvent(start.ChatID, "wmBenchCustomer7", "vMissed", "vNew"+strconv.Itoa(i))
		if err := tr.HandleEvent(ctx, ev); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if st := tr.Stats(); st.Fetches != int64(b.N) {
		b.Fatalf("stats %+v", st)
	}
}

// BenchmarkTrackerRefetchWecomtest is the refetch over loopback HTTP to
// wecomtest: what a read of a 500-member group costs with the client and a
// server in the loop.
func BenchmarkTrackerRefetchWecomtest(b *testing.B) {
	srv := wecomtest.NewServer(b)
	staff := []string{"owner"}
	if err := srv.Corp(srv.CorpID).AddStaff(staff...); err != nil {
		b.Fatal(err)
	}
	srv.Corp(srv.CorpID).GroupChats().SetCapacity(500)
	cust, err := srv.Corp(srv.CorpID).SeedCustomers(499, staff)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	chat, err := srv.Corp(srv.CorpID).GroupChats().Create(ctx, wecomtest.GroupChatSpec{Owner: "owner", Members: cust, CreatedAt: time.Unix(1700000000, 0)})
	if err != nil {
		b.Fatal(err)
	}
	tr := NewTracker(New(srv.Client(wecom.WithRateLimit("/cgi-bin/externalcontact/groupchat/get", wecom.Limit{}))))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := tr.Refresh(ctx, chat); err != nil {
			b.Fatal(err)
		}
	}
}
