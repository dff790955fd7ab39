package contact_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/contact"
	"github.com/scrmkit/scrm/internal/testkit"
	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

// Every create of the package fails with a *wecom.MaybeCreatedError when its
// answer is lost: sent once, never re-sent, with a window on the client's
// clock and a hint naming the list call to look with. A definite refusal is
// no such error.
func TestCreatesThatMayHaveLandedSayWhereToLook(t *testing.T) {
	t.Parallel()
	creates := []struct {
		path string
		hint string // the list call the hint must name
		call func(ctx context.Context, svc *contact.Service) error
	}{
		{"/cgi-bin/externalcontact/add_contact_way", "list_contact_way", func(ctx context.Context, svc *contact.Service) error {
			_, err := svc.AddContactWay(ctx, &contact.AddContactWayRequest{Type: contact.ContactWaySingle,
				Scene: contact.SceneQRCode, User: []string{"a"}, State: "ad-A"})
			return err
		}},
		{"/cgi-bin/externalcontact/customer_strategy/create", "customer_strategy/list", func(ctx context.Context, svc *contact.Service) error {
			_, err := svc.CreateCustomerStrategy(ctx, &contact.CreateCustomerStrategyRequest{StrategyName: "East sales",
				AdminList: []string{"boss"}, Range: []wecom.RangeNode{wecom.UserNode("a")}})
			return err
		}},
		{"/cgi-bin/externalcontact/add_intercept_rule", "get_intercept_rule_list", func(ctx context.Context, svc *contact.Service) error {
			_, err := svc.AddInterceptRule(ctx, &contact.AddInterceptRuleRequest{RuleName: "no poaching", WordList: []string{"w"},
				InterceptType: contact.InterceptWarnOnly, ApplicableRange: &contact.InterceptRange{DepartmentList: []int{1}}})
			return err
		}},
		{"/cgi-bin/externalcontact/add_product_album", "get_product_album_list", func(ctx context.Context, svc *contact.Service) error {
			_, err := svc.AddProductAlbum(ctx, &contact.AddProductAlbumRequest{Description: "cup",
				Attachments: []contact.ProductAttachment{contact.ImageAttachment("media-1")}})
			return err
		}},
		{"/cgi-bin/externalcontact/add_corp_tag", "get_corp_tag_list", func(ctx context.Context, svc *contact.Service) error {
			_, err := svc.AddCorpTag(ctx, &contact.AddCorpTagRequest{GroupName: "g", Tag: []contact.NewTag{{Name: "t"}}})
			return err
		}},
		{"/cgi-bin/externalcontact/add_strategy_tag", "get_strategy_tag_list", func(ctx context.Context, svc *contact.Service) error {
			_, err := svc.AddStrategyTag(ctx, &contact.AddStrategyTagRequest{StrategyID: 7, GroupName: "g", Tag: []contact.NewTag{{Name: "t"}}})
			return err
		}},
	}
	for _, c := range creates {
		t.Run(c.path, func(t *testing.T) {
			t.Parallel()
			srv, client := testkit.Setup(t)
			svc := contact.New(client)
			for _, f := range []wecomtest.Fault{{Drop: true}, {HTTPStatus: 502}} {
				srv.ResetRequests()
				srv.Fail(c.path, f)
				before := svc.Client().Now()
				err := c.call(t.Context(), svc)
				require.ErrorIs(t, err, wecom.ErrOutcomeUnknown, "fault %+v", f)
				var mc *wecom.MaybeCreatedError
				require.ErrorAs(t, err, &mc)
				assert.Equal(t, c.path, mc.Path)
				assert.True(t, mc.Since.Before(before) && mc.Until.After(svc.Client().Now()), "window %v..%v", mc.Since, mc.Until)
				assert.Contains(t, mc.Hint, c.hint)
				assert.Contains(t, mc.Hint, fmt.Sprintf("start_time=%d", mc.Since.Unix()))
				assert.Contains(t, err.Error(), c.hint)
				assert.Equal(t, 1, srv.Count(c.path), "fault %+v: sent once", f)
			}
			srv.Fail(c.path, wecomtest.Fault{Errcode: wecom.CodeAPIForbidden})
			err := c.call(t.Context(), svc)
			assert.Equal(t, wecom.CodeAPIForbidden, wecom.ErrorCode(err))
			var mc *wecom.MaybeCreatedError
			assert.False(t, errors.As(err, &mc), "a refusal created nothing")
		})
	}
}

func TestCancelledSyncSaysWhatHappenedAndWhatToDo(t *testing.T) {
	t.Parallel()
	_, c := testkit.Setup(t)
	svc := contact.New(c)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	var err error
	for _, e := range svc.Sync(ctx, nil) {
		err = e
	}
	require.Error(t, err)
	msg := err.Error()
	assert.Contains(t, msg, "sync was stopped at the start")
	assert.Contains(t, msg, "context canceled")
	assert.Contains(t, msg, "CheckpointOf")
	assert.NotContains(t, msg, `user 0 ("")`)

	cp := contact.Checkpoint{UserIndex: 2, UserID: "lisi", Cursor: "c2", Batch: "ab12"}
	assert.Equal(t, `member #3 (lisi), within its batch ab12 (cursor "c2")`, cp.String())
}

// Input refused before sending says what WeCom allows, and which item of a
// list is wrong.
func TestRefusalsSayWhatWeComAllows(t *testing.T) {
	t.Parallel()
	_, c := testkit.Setup(t)
	svc := contact.New(c)
	for _, tc := range []struct {
		want string
		err  func() error
	}{
		{"contact: Limit is -1; want 0 (WeCom's default) or more", func() error {
			_, err := svc.ListCustomerStrategies(t.Context(), &contact.ListCustomerStrategiesRequest{Limit: -1})
			return err
		}},
		{"contact: PageSize is -2; want 0 (WeCom's default) or more", func() error {
			_, err := svc.ListUnassigned(t.Context(), &contact.ListUnassignedRequest{PageSize: -2})
			return err
		}},
		{"contact: Limit is -1; want 0 (WeCom's default) or more", func() error {
			_, err := svc.BatchGetByUserMany(t.Context(), &contact.BatchGetByUserRequest{UserIDList: []string{"a"}, Limit: -1}, 0)
			return err
		}},
		{"contact: UserIDList has 101 items; WeCom allows at most 100 per call", func() error {
			_, err := svc.BatchGetByUser(t.Context(), &contact.BatchGetByUserRequest{UserIDList: make([]string, 101)})
			return err
		}},
		{"contact: Cursor is set; BatchGetByUserMany reads each chunk of members from its first page (use BatchGetByUserIter to go on from a cursor)", func() error {
			_, err := svc.BatchGetByUserMany(t.Context(), &contact.BatchGetByUserRequest{UserIDList: []string{"a"}, Cursor: "c"}, 0)
			return err
		}},
		{"contact: reqs[1]: UserID is required", func() error {
			_, err := svc.MarkTagMany(t.Context(), []*contact.MarkTagRequest{
				{UserID: "a", ExternalUserID: "wm1", AddTag: []string{"et1"}}, {ExternalUserID: "wm2", AddTag: []string{"et1"}}}, 0)
			return err
		}},
		{"contact: TransferSuccessMsg is 201 characters long; WeCom allows at most 200", func() error {
			_, err := svc.TransferCustomer(t.Context(), &contact.TransferCustomerRequest{HandoverUserID: "a", TakeoverUserID: "b",
				ExternalUserID: []string{"wm1"}, TransferSuccessMsg: strings.Repeat("谢", 201)})
			return err
		}},
		{"contact: RangeAdd[0]: Type 3 is neither wecom.RangeUser nor wecom.RangeParty", func() error {
			return svc.EditCustomerStrategy(t.Context(), &contact.EditCustomerStrategyRequest{StrategyID: 1, RangeAdd: []wecom.RangeNode{{Type: 3}}})
		}},
	} {
		err := tc.err()
		testkit.WantInvalid(t, err, contact.ErrInvalidArgument)
		assert.EqualError(t, err, tc.want)
	}
}
