package contact_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/contact"
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
			srv := wecomtest.NewServer(t)
			svc := contact.New(srv.Client())
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
