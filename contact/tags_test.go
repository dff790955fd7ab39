package contact_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/scrmkit/scrm/contact"
	"github.com/scrmkit/scrm/wecom"
)

func TestCorpTags(t *testing.T) {
	t.Parallel()
	srv, svc := setup(t)
	g, err := svc.AddCorpTag(bg, &contact.AddCorpTagRequest{GroupName: "Budget", Order: 1,
		Tag: []contact.NewTag{{Name: "<10k", Order: 2}, {Name: ">10k", Order: 1}, {Name: "<10k"}}})
	if err != nil {
		t.Fatal(err)
	}
	body := lastBody(t, srv, "/cgi-bin/externalcontact/add_corp_tag")
	if body["group_name"] != "Budget" || len(body["tag"].([]any)) != 3 {
		t.Fatalf("body = %v", body)
	}
	if g.GroupID == "" || g.GroupName != "Budget" || len(g.Tag) != 2 || g.Tag[0].ID == "" || g.Tag[0].Order != 2 || g.CreateTime == 0 {
		t.Fatalf("added group = %+v", g)
	}
	// adding by group name again puts the tag in the same group
	g2, err := svc.AddCorpTag(bg, &contact.AddCorpTagRequest{GroupName: "Budget", Tag: []contact.NewTag{{Name: "none"}}})
	if err != nil || g2.GroupID != g.GroupID || len(g2.Tag) != 1 {
		t.Fatalf("second add: %+v, %v", g2, err)
	}
	_, err = svc.AddCorpTag(bg, &contact.AddCorpTagRequest{GroupID: g.GroupID, Tag: []contact.NewTag{{Name: "none"}}})
	wantCode(t, err, 40071)

	all, err := svc.ListCorpTags(bg, nil)
	if err != nil || len(all) != 1 || len(all[0].Tag) != 3 {
		t.Fatalf("list = %+v, %v", all, err)
	}
	one, err := svc.ListCorpTags(bg, &contact.TagFilter{TagID: []string{g.Tag[1].ID}})
	if err != nil || len(one) != 1 || len(one[0].Tag) != 1 || one[0].Tag[0].Name != ">10k" {
		t.Fatalf("by tag id = %+v, %v", one, err)
	}

	if err := svc.EditCorpTag(bg, &contact.EditCorpTagRequest{ID: g.Tag[0].ID, Name: "small", Order: contact.Uint32(9)}); err != nil {
		t.Fatal(err)
	}
	if err := svc.EditCorpTag(bg, &contact.EditCorpTagRequest{ID: g.GroupID, Name: "Spend"}); err != nil {
		t.Fatal(err)
	}
	wantCode(t, svc.EditCorpTag(bg, &contact.EditCorpTagRequest{ID: g.Tag[0].ID, Name: ">10k"}), 40071)
	wantCode(t, svc.EditCorpTag(bg, &contact.EditCorpTagRequest{ID: "etnone", Name: "x"}), 40068)
	all, _ = svc.ListCorpTags(bg, &contact.TagFilter{GroupID: []string{g.GroupID}})
	if all[0].GroupName != "Spend" || all[0].Tag[0].Name != "small" || all[0].Tag[0].Order != 9 {
		t.Fatalf("after edit: %+v", all)
	}

	if err := svc.DelCorpTag(bg, &contact.DelCorpTagRequest{TagID: []string{g.Tag[0].ID}}); err != nil {
		t.Fatal(err)
	}
	one, _ = svc.ListCorpTags(bg, &contact.TagFilter{TagID: []string{g.Tag[0].ID}})
	if len(one) != 1 || !one[0].Tag[0].Deleted {
		t.Fatalf("deleted tag by id = %+v", one)
	}
	// deleting the last tags of a group deletes the group
	if err := svc.DelCorpTag(bg, &contact.DelCorpTagRequest{TagID: []string{g.Tag[1].ID, g2.Tag[0].ID}}); err != nil {
		t.Fatal(err)
	}
	all, _ = svc.ListCorpTags(bg, nil)
	if len(all) != 0 {
		t.Fatalf("after deleting every tag: %+v", all)
	}
	wantCode(t, svc.DelCorpTag(bg, &contact.DelCorpTagRequest{GroupID: []string{g.GroupID}}), 40068)

	wantInvalid(t, svc.DelCorpTag(bg, &contact.DelCorpTagRequest{}))
	_, err = svc.AddCorpTag(bg, &contact.AddCorpTagRequest{GroupName: "G"})
	wantInvalid(t, err)
	_, err = svc.AddCorpTag(bg, &contact.AddCorpTagRequest{GroupName: "G", Tag: []contact.NewTag{{Name: strings.Repeat("t", 31)}}})
	wantInvalid(t, err)
}

func TestMarkTagShowsInCustomer(t *testing.T) {
	t.Parallel()
	srv, svc := setup(t)
	ids := seed(t, srv, 3, "a")
	g, err := svc.AddCorpTag(bg, &contact.AddCorpTagRequest{GroupName: "Level", Tag: []contact.NewTag{{Name: "gold"}, {Name: "silver"}}})
	if err != nil {
		t.Fatal(err)
	}
	gold, silver := g.Tag[0].ID, g.Tag[1].ID
	if err := svc.MarkTag(bg, &contact.MarkTagRequest{UserID: "a", ExternalUserID: ids[0], AddTag: []string{gold, silver}}); err != nil {
		t.Fatal(err)
	}
	if err := svc.MarkTag(bg, &contact.MarkTagRequest{UserID: "a", ExternalUserID: ids[0], RemoveTag: []string{silver}}); err != nil {
		t.Fatal(err)
	}
	body := lastBody(t, srv, "/cgi-bin/externalcontact/mark_tag")
	if _, ok := body["add_tag"]; ok || body["userid"] != "a" || body["external_userid"] != ids[0] {
		t.Fatalf("body = %v", body)
	}
	d, err := svc.Get(bg, ids[0], "")
	if err != nil {
		t.Fatal(err)
	}
	tags := d.FollowUser[0].Tags
	if len(tags) != 1 || tags[0].TagID != gold || tags[0].TagName != "gold" || tags[0].GroupName != "Level" || tags[0].Type != contact.TagCorp {
		t.Fatalf("follow_user.tags = %+v", tags)
	}
	resp, err := svc.BatchGetByUser(bg, &contact.BatchGetRequest{UserIDList: []string{"a"}})
	if err != nil || !slices.Equal(resp.ExternalContactList[0].FollowInfo.TagID, []string{gold}) {
		t.Fatalf("follow_info.tag_id = %+v, %v", resp, err)
	}

	wantCode(t, svc.MarkTag(bg, &contact.MarkTagRequest{UserID: "a", ExternalUserID: ids[0], AddTag: []string{"etnone"}}), 40068)
	wantInvalid(t, svc.MarkTag(bg, &contact.MarkTagRequest{UserID: "a", ExternalUserID: ids[0]}))

	// many customers at once, one result each
	reqs := []contact.MarkTagRequest{
		{UserID: "a", ExternalUserID: ids[1], AddTag: []string{silver}},
		{UserID: "a", ExternalUserID: "wmnobody", AddTag: []string{silver}},
		{UserID: "a", ExternalUserID: ids[2], AddTag: []string{silver, gold}},
	}
	res := svc.MarkTagMany(bg, reqs, 2)
	if res[0].Err != nil || wecom.ErrorCode(res[1].Err) != 40096 || res[2].Err != nil {
		t.Fatalf("results = %+v", res)
	}
	d, _ = svc.Get(bg, ids[2], "")
	if len(d.FollowUser[0].Tags) != 2 {
		t.Fatalf("customer 2 tags = %+v", d.FollowUser[0].Tags)
	}
}

func TestStrategyTags(t *testing.T) {
	t.Parallel()
	srv, svc := setup(t)
	ids := seed(t, srv, 1, "a")
	g, err := svc.AddStrategyTag(bg, &contact.AddStrategyTagRequest{StrategyID: 7, GroupName: "Rule", Tag: []contact.NewTag{{Name: "r1"}}})
	if err != nil {
		t.Fatal(err)
	}
	if body := lastBody(t, srv, "/cgi-bin/externalcontact/add_strategy_tag"); body["strategy_id"] != 7.0 {
		t.Fatalf("body = %v", body)
	}
	if g.StrategyID != 7 || len(g.Tag) != 1 {
		t.Fatalf("group = %+v", g)
	}
	if _, err := svc.AddCorpTag(bg, &contact.AddCorpTagRequest{GroupName: "Corp", Tag: []contact.NewTag{{Name: "c1"}}}); err != nil {
		t.Fatal(err)
	}
	list, err := svc.ListStrategyTags(bg, &contact.StrategyTagFilter{StrategyID: 7})
	if err != nil || len(list) != 1 || list[0].GroupName != "Rule" {
		t.Fatalf("strategy list = %+v, %v", list, err)
	}
	if list, _ := svc.ListStrategyTags(bg, &contact.StrategyTagFilter{StrategyID: 8}); len(list) != 0 {
		t.Fatalf("other rule group = %+v", list)
	}
	if corp, _ := svc.ListCorpTags(bg, nil); len(corp) != 1 || corp[0].GroupName != "Corp" {
		t.Fatalf("corp list mixes rule-group tags: %+v", corp)
	}
	if err := svc.EditStrategyTag(bg, &contact.EditStrategyTagRequest{ID: g.Tag[0].ID, Name: "r1b"}); err != nil {
		t.Fatal(err)
	}
	// rule-group tags are marked like corp tags and show as type 3
	if err := svc.MarkTag(bg, &contact.MarkTagRequest{UserID: "a", ExternalUserID: ids[0], AddTag: []string{g.Tag[0].ID}}); err != nil {
		t.Fatal(err)
	}
	d, _ := svc.Get(bg, ids[0], "")
	if tg := d.FollowUser[0].Tags; len(tg) != 1 || tg[0].Type != contact.TagStrategy || tg[0].TagName != "r1b" {
		t.Fatalf("tags = %+v", tg)
	}
	// a rule-group tag is not a corp tag
	wantCode(t, svc.DelCorpTag(bg, &contact.DelCorpTagRequest{TagID: []string{g.Tag[0].ID}}), 40068)
	if err := svc.DelStrategyTag(bg, &contact.DelStrategyTagRequest{GroupID: []string{g.GroupID}}); err != nil {
		t.Fatal(err)
	}
	if list, _ := svc.ListStrategyTags(bg, nil); len(list) != 0 {
		t.Fatalf("after delete: %+v", list)
	}
	_, err = svc.AddStrategyTag(bg, &contact.AddStrategyTagRequest{GroupName: "x", Tag: []contact.NewTag{{Name: "y"}}})
	wantInvalid(t, err)
	wantInvalid(t, svc.DelStrategyTag(bg, nil))
}
