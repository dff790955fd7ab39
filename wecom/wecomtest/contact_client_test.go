package wecomtest_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/callback"
	"github.com/scrmkit/scrm/internal/testkit"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

// A member's tagging in the client changes the relation and is pushed as
// edit_external_contact; unknown tags change nothing.
func TestMemberTagsCustomerPushesEdit(t *testing.T) {
	t.Parallel()
	clk := testkit.NewClock(time.Time{})
	srv, c := testkit.Setup(t, testkit.WithClock(clk))
	ids := testkit.Seed(t, srv, 1, "alice")
	var g struct {
		TagGroup struct {
			Tag []struct{ ID string } `json:"tag"`
		} `json:"tag_group"`
	}
	require.NoError(t, c.Post(t.Context(), "/cgi-bin/externalcontact/add_corp_tag",
		map[string]any{"group_name": "stage", "tag": []map[string]string{{"name": "lead"}, {"name": "won"}}}, &g))
	lead, won := g.TagGroup.Tag[0].ID, g.TagGroup.Tag[1].ID
	events := make(chan *callback.ExternalContactEvent, 4)
	corp := testkit.Callback(t, srv, func(h *callback.Handler) {
		h.OnExternalContact(func(_ context.Context, ev *callback.ExternalContactEvent) error {
			events <- ev
			return nil
		})
	})

	require.NoError(t, corp.MemberTagsCustomer(t.Context(), "alice", ids[0], []string{lead, won}, nil))
	ev := testkit.Recv(t, events)
	assert.Equal(t, callback.ChangeEditExternalContact, ev.ChangeType)
	assert.Equal(t, "alice", ev.UserID)
	assert.Equal(t, ids[0], ev.ExternalUserID)
	clk.Advance(time.Second) // the same edit in the same second is one push, to WeCom and to the Handler
	require.NoError(t, corp.MemberTagsCustomer(t.Context(), "alice", ids[0], nil, []string{lead}))
	testkit.Recv(t, events)
	rel, ok := corp.Relation("alice", ids[0])
	require.True(t, ok)
	assert.Equal(t, []string{won}, rel.TagIDs)

	require.ErrorIs(t, corp.MemberTagsCustomer(t.Context(), "alice", ids[0], []string{"etNope"}, nil), wecomtest.ErrNotFound)
	require.ErrorIs(t, corp.MemberTagsCustomer(t.Context(), "bob", ids[0], []string{won}, nil), wecomtest.ErrNotFound)
	rel, _ = corp.Relation("alice", ids[0])
	assert.Equal(t, []string{won}, rel.TagIDs)
}

// A refused takeover ends as status 3, leaves the customer with the
// handover member and is pushed as transfer_fail naming the takeover member.
func TestRefuseTakeoverPushesTransferFail(t *testing.T) {
	t.Parallel()
	srv, c := testkit.Setup(t)
	ids := testkit.Seed(t, srv, 2, "alice")
	testkit.Staff(t, srv, "bob")
	events := make(chan *callback.ExternalContactEvent, 4)
	corp := testkit.Callback(t, srv, func(h *callback.Handler) {
		h.OnExternalContact(func(_ context.Context, ev *callback.ExternalContactEvent) error {
			events <- ev
			return nil
		}, callback.ChangeTransferFail)
	})
	require.NoError(t, c.Post(t.Context(), "/cgi-bin/externalcontact/transfer_customer",
		map[string]any{"handover_userid": "alice", "takeover_userid": "bob", "external_userid": ids}, nil))

	require.NoError(t, corp.RefuseTakeover(t.Context(), ids[0]))
	ev := testkit.Recv(t, events)
	assert.Equal(t, callback.FailCustomerRefused, ev.FailReason)
	assert.Equal(t, "bob", ev.UserID)
	assert.Equal(t, ids[0], ev.ExternalUserID)
	assert.Equal(t, 1, corp.CompleteTakeovers(), "only the other customer was still waiting")
	assert.Equal(t, []string{"alice"}, corp.Followers(ids[0]))
	assert.Equal(t, []string{"bob"}, corp.Followers(ids[1]))

	var res struct {
		Customer []struct {
			ExternalUserID string `json:"external_userid"`
			Status         int    `json:"status"`
		} `json:"customer"`
	}
	require.NoError(t, c.Post(t.Context(), "/cgi-bin/externalcontact/transfer_result",
		map[string]any{"handover_userid": "alice", "takeover_userid": "bob"}, &res))
	require.Len(t, res.Customer, 2)
	assert.Equal(t, 3, res.Customer[0].Status)
	assert.Equal(t, 1, res.Customer[1].Status)

	require.ErrorIs(t, corp.RefuseTakeover(t.Context(), ids[1]), wecomtest.ErrNotFound)
}

func TestClientActEventsXML(t *testing.T) {
	t.Parallel()
	at := time.Unix(1403610513, 0)
	assert.Contains(t, string(wecomtest.EditExternalContactXML("ww1", "zhangsan", "wmA", at)),
		"<ChangeType><![CDATA[edit_external_contact]]></ChangeType><UserID><![CDATA[zhangsan]]></UserID>")
	assert.Contains(t, string(wecomtest.TransferFailXML("ww1", "lisi", "wmA", "customer_refused", at)),
		"<ExternalUserID><![CDATA[wmA]]></ExternalUserID><FailReason><![CDATA[customer_refused]]></FailReason></xml>")
}
