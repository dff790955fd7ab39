package groupchat_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/scrmkit/scrm/groupchat"
	"github.com/scrmkit/scrm/internal/testkit"
	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

// setup starts a fake WeCom whose default corp has members with customer
// contact (owner1, owner2 and heir unless staff names others) and returns it
// with a Service wired to it.
func setup(t testing.TB, staff ...string) (*wecomtest.Server, *groupchat.Service) {
	t.Helper()
	if len(staff) == 0 {
		staff = []string{"owner1", "owner2", "heir"}
	}
	srv, c := testkit.Setup(t, testkit.WithStaff(staff...))
	return srv, groupchat.New(c)
}

// ids returns the user ids of members, in order.
func ids(members []groupchat.Member) []string {
	out := make([]string, len(members))
	for i, m := range members {
		out[i] = m.UserID
	}
	return out
}

func TestIsNotFound(t *testing.T) {
	t.Parallel()
	for code, want := range map[int]bool{
		wecom.CodeChatNotFound:     true,
		wecom.CodeNotCustomerGroup: true,
		wecom.CodeInvalidConfigID:  true,
		wecom.CodeInvalidParameter: false,
		wecom.CodeAPIForbidden:     false,
	} {
		assert.Equal(t, want, groupchat.IsNotFound(&wecom.Error{Code: code}), "errcode %d", code)
	}
	assert.False(t, groupchat.IsNotFound(nil))
	assert.False(t, groupchat.IsNotFound(groupchat.ErrInvalidArgument))
}

// TestPageLimitsAboveTheMaximumAreClamped: a page size above an endpoint's
// maximum is sent as the maximum, the same way on every paged method;
// groupchat/list, which requires a limit, gets the maximum for 0.
func TestPageLimitsAboveTheMaximumAreClamped(t *testing.T) {
	t.Parallel()
	srv, svc, _ := statSetup(t)
	ctx := t.Context()
	list := &groupchat.ListRequest{Limit: 5000}
	_, _ = svc.List(ctx, list)
	assert.EqualValues(t, 1000, testkit.LastBody(t, srv, "/cgi-bin/externalcontact/groupchat/list")["limit"])
	assert.Equal(t, 5000, list.Limit, "the request is not modified")
	_, _ = svc.List(ctx, &groupchat.ListRequest{})
	assert.EqualValues(t, 1000, testkit.LastBody(t, srv, "/cgi-bin/externalcontact/groupchat/list")["limit"])
	stat := &groupchat.GetStatisticRequest{Limit: 5000, StatWindow: groupchat.StatWindow{DayBeginTime: unix(daysAgo(3)),
		OwnerFilter: &groupchat.OwnerFilter{UserIDList: []string{"owner1"}}}}
	_, _ = svc.GetStatistic(ctx, stat)
	assert.EqualValues(t, 1000, testkit.LastBody(t, srv, "/cgi-bin/externalcontact/groupchat/statistic")["limit"])
	assert.Equal(t, 5000, stat.Limit, "the request is not modified")
}
