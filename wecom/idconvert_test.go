package wecom_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

func TestIDConverterThirdParty(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv, s := suiteEnv(t, testSuiteID)
	installCorp(t, srv, s, "wwcorpA")
	conv := wecom.NewIDConverter(s.Corp("wwcorpA"))

	pairs, err := conv.NewExternalUserIDs(ctx, []string{"wmAAA", "wmsvc_BBB"})
	if err != nil {
		t.Fatal(err)
	}
	if len(pairs) != 2 || pairs[0].ExternalUserID != "wmAAA" || pairs[0].NewExternalUserID != wecomtest.ServiceExternalUserID("wmAAA") ||
		pairs[1].NewExternalUserID != "wmsvc_BBB" {
		t.Fatalf("pairs %+v", pairs)
	}
	pairs, err = conv.GroupChatNewExternalUserIDs(ctx, "wrchat1", []string{"wmCCC"})
	if err != nil || len(pairs) != 1 || pairs[0].NewExternalUserID != wecomtest.ServiceExternalUserID("wmCCC") {
		t.Fatalf("group pairs %+v, %v", pairs, err)
	}

	srv.Corp("wwcorpA").LinkUnionID("union-1", "wmDDD")
	res, err := conv.UnionIDToExternalUserID(ctx, wecom.UnionIDRequest{UnionID: "union-1", OpenID: "open-1", SubjectType: wecom.SubjectProvider})
	if err != nil || res.ExternalUserID != wecomtest.ServiceExternalUserID("wmDDD") || res.PendingID != "" {
		t.Fatalf("linked unionid: %+v, %v", res, err)
	}
	res, err = conv.UnionIDToExternalUserID(ctx, wecom.UnionIDRequest{UnionID: "union-2", OpenID: "open-2"})
	if err != nil || res.ExternalUserID != "" || res.PendingID == "" {
		t.Fatalf("unknown unionid: %+v, %v", res, err)
	}

	tags, err := conv.ExternalTagIDs(ctx, []string{"etTAG1", "etsvc_TAG2", "bogus"})
	if err != nil {
		t.Fatal(err)
	}
	if len(tags.Items) != 2 || tags.Items[0].OpenExternalTagID != "etsvc_etTAG1" || tags.Items[1].OpenExternalTagID != "etsvc_TAG2" ||
		len(tags.Invalid) != 1 || tags.Invalid[0] != "bogus" {
		t.Fatalf("tags %+v", tags)
	}

	// A self-built app's client is refused (48002) by WeCom for these.
	if _, err := wecom.NewIDConverter(srv.Client()).NewExternalUserIDs(ctx, []string{"wmAAA"}); wecom.ErrorCode(err) != wecom.CodeAPIForbidden {
		t.Fatalf("self-built app: %v", err)
	}
}

func TestIDConverterValidatesBeforeCalling(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := wecomtest.NewServer(t)
	conv := wecom.NewIDConverter(srv.Client())
	many := make([]string, 1001)
	for i := range many {
		many[i] = fmt.Sprintf("wm%d", i)
	}
	checks := []struct {
		name string
		err  error
	}{
		{"too many", func() error { _, err := conv.NewExternalUserIDs(ctx, many); return err }()},
		{"none", func() error { _, err := conv.NewExternalUserIDs(ctx, nil); return err }()},
		{"no chat", func() error { _, err := conv.GroupChatNewExternalUserIDs(ctx, "", []string{"wm1"}); return err }()},
		{"group too many", func() error { _, err := conv.GroupChatNewExternalUserIDs(ctx, "wr1", many); return err }()},
		{"no openid", func() error {
			_, err := conv.UnionIDToExternalUserID(ctx, wecom.UnionIDRequest{UnionID: "u"})
			return err
		}()},
		{"bad subject", func() error {
			_, err := conv.UnionIDToExternalUserID(ctx, wecom.UnionIDRequest{UnionID: "u", OpenID: "o", SubjectType: 2})
			return err
		}()},
		{"tags too many", func() error { _, err := conv.ExternalTagIDs(ctx, many); return err }()},
		{"to_service empty", func() error { _, err := conv.ToServiceExternalUserID(ctx, ""); return err }()},
		{"from_service no agent", func() error { _, err := conv.FromServiceExternalUserID(ctx, "wm1", 0); return err }()},
	}
	for _, c := range checks {
		if c.err == nil {
			t.Errorf("%s: accepted", c.name)
		}
	}
	if n := len(srv.Requests()); n != 0 {
		t.Fatalf("%d requests sent for invalid input", n)
	}
	if err := checks[0].err; !strings.Contains(err.Error(), "1000") {
		t.Fatalf("limit not named: %v", err)
	}
}

func TestIDConverterServiceAndBack(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	const tpl = "dktemplate000002"
	srv, dk := suiteEnv(t, tpl)
	installCorp(t, srv, dk, "wwdkcorp2")
	svc, err := wecom.NewIDConverter(dk.Corp("wwdkcorp2")).ToServiceExternalUserID(ctx, "wmEEE")
	if err != nil || svc != wecomtest.ServiceExternalUserID("wmEEE") {
		t.Fatalf("to_service = %q, %v", svc, err)
	}

	// The corp's own self-built app converts back, naming the source app.
	srv.AddSuite(testSuiteID, testSuiteSecret)
	s := wecom.NewSuite(testSuiteID, testSuiteSecret, srv.ClientOptions()...)
	if err := s.SetTicket(ctx, srv.Suite(testSuiteID).IssueTicket()); err != nil {
		t.Fatal(err)
	}
	installCorp(t, srv, s, srv.CorpID)
	selfBuilt := wecom.NewIDConverter(srv.Client())
	back, err := selfBuilt.FromServiceExternalUserID(ctx, svc, srv.Suite(testSuiteID).AgentID(srv.CorpID))
	if err != nil || back != "wmEEE" {
		t.Fatalf("from_service = %q, %v", back, err)
	}
	if _, err := selfBuilt.FromServiceExternalUserID(ctx, svc, 42); wecom.ErrorCode(err) != 40056 {
		t.Fatalf("unknown source agent: %v", err)
	}
}

func TestBatchOpenUserIDToUserID(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv, s := suiteEnv(t, testSuiteID)
	installCorp(t, srv, s, srv.CorpID)
	require.NoError(t, srv.Corp(srv.CorpID).AddStaff("zhangsan"))
	agentID := srv.Suite(testSuiteID).AgentID(srv.CorpID)

	admins, err := s.ListAdmins(ctx, srv.CorpID, agentID)
	require.NoError(t, err)
	require.Len(t, admins, 1)
	lisi := srv.Suite(testSuiteID).OpenUserID(srv.CorpID, "lisi")
	staff := srv.Suite(testSuiteID).OpenUserID(srv.CorpID, "zhangsan")

	conv := wecom.NewIDConverter(srv.Client()) // the corp's self-built app
	res, err := conv.BatchOpenUserIDToUserID(ctx, []string{lisi, admins[0].OpenUserID, "zhangsan", staff, "bogus"}, agentID)
	require.NoError(t, err)
	assert.Equal(t, []wecom.OpenUserIDPair{{OpenUserID: lisi, UserID: "lisi"}, {OpenUserID: admins[0].OpenUserID, UserID: admins[0].UserID},
		{OpenUserID: staff, UserID: "zhangsan"}}, res.UserIDList)
	assert.Equal(t, []string{"zhangsan", "bogus"}, res.InvalidOpenUserIDList)

	// Without source_agentid (ids an intelligent robot got) it is left out.
	res, err = conv.BatchOpenUserIDToUserID(ctx, []string{lisi}, 0)
	require.NoError(t, err)
	assert.Len(t, res.UserIDList, 1)
	assert.NotContains(t, string(srv.Requests()[len(srv.Requests())-1].Body), "source_agentid")

	_, err = conv.BatchOpenUserIDToUserID(ctx, []string{lisi}, agentID+7)
	assert.Equal(t, 40056, wecom.ErrorCode(err))
	// Only a self-built app may call it.
	_, err = wecom.NewIDConverter(s.Corp(srv.CorpID)).BatchOpenUserIDToUserID(ctx, []string{lisi}, agentID)
	assert.Equal(t, wecom.CodeAPIForbidden, wecom.ErrorCode(err))
}

func TestBatchExternalUserIDToPendingID(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	now := time.Unix(1_700_000_000, 0)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	srv := wecomtest.NewServer(t, wecomtest.WithClock(clock))
	srv.AddSuite(testSuiteID, testSuiteSecret)
	s := wecom.NewSuite(testSuiteID, testSuiteSecret, srv.ClientOptions()...)
	require.NoError(t, s.SetTicket(ctx, srv.Suite(testSuiteID).IssueTicket()))
	installCorp(t, srv, s, "wwcorpA")
	conv := wecom.NewIDConverter(s.Corp("wwcorpA"))

	// A WeChat user met in the provider's mini program is not a customer
	// yet: a pending_id stands for them.
	res, err := conv.UnionIDToExternalUserID(ctx, wecom.UnionIDRequest{UnionID: "union-9", OpenID: "open-9", SubjectType: wecom.SubjectProvider})
	require.NoError(t, err)
	require.NotEmpty(t, res.PendingID)
	// They become a customer; the pending_id links them back.
	srv.Corp("wwcorpA").LinkUnionID("union-9", "wmNEW")
	newID := wecomtest.ServiceExternalUserID("wmNEW")
	pairs, err := conv.BatchExternalUserIDToPendingID(ctx, "", []string{newID, wecomtest.ServiceExternalUserID("wmOTHER")})
	require.NoError(t, err)
	assert.Equal(t, []wecom.PendingIDPair{{ExternalUserID: newID, PendingID: res.PendingID}}, pairs)
	assert.JSONEq(t, `{"external_userid":["`+newID+`","`+wecomtest.ServiceExternalUserID("wmOTHER")+`"]}`, string(srv.Requests()[len(srv.Requests())-1].Body))

	pairs, err = conv.BatchExternalUserIDToPendingID(ctx, "wrchat1", []string{newID})
	require.NoError(t, err)
	assert.Len(t, pairs, 1)

	// A pending_id lives 90 days.
	mu.Lock()
	now = now.Add(90 * 24 * time.Hour)
	mu.Unlock()
	require.NoError(t, s.SetTicket(ctx, srv.Suite(testSuiteID).IssueTicket()))
	pairs, err = conv.BatchExternalUserIDToPendingID(ctx, "", []string{newID})
	require.NoError(t, err)
	assert.Empty(t, pairs)

	// Third-party and agent-developed apps only.
	_, err = wecom.NewIDConverter(srv.Client()).BatchExternalUserIDToPendingID(ctx, "", []string{newID})
	assert.Equal(t, wecom.CodeAPIForbidden, wecom.ErrorCode(err))
}

func TestUnionIDToExternalUserID3rd(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv, s := suiteEnv(t, testSuiteID)
	installCorp(t, srv, s, "wwcorpB")
	installCorp(t, srv, s, "wwcorpA")
	srv.Corp("wwcorpA").LinkUnionID("union-x", "wmA1")
	srv.Corp("wwcorpB").LinkUnionID("union-x", "wmB1")

	got, err := s.UnionIDToExternalUserID3rd(ctx, wecom.UnionID3rdRequest{UnionID: "union-x", OpenID: "open-x"})
	require.NoError(t, err)
	assert.Equal(t, []wecom.CorpExternalUserID{
		{CorpID: "wwcorpA", ExternalUserID: wecomtest.ServiceExternalUserID("wmA1")},
		{CorpID: "wwcorpB", ExternalUserID: wecomtest.ServiceExternalUserID("wmB1")},
	}, got)
	last := srv.Requests()[len(srv.Requests())-1]
	assert.NotEmpty(t, last.Query.Get("suite_access_token"), "a suite-token call")
	assert.Empty(t, last.Query.Get("access_token"))

	got, err = s.UnionIDToExternalUserID3rd(ctx, wecom.UnionID3rdRequest{UnionID: "union-x", OpenID: "open-x", CorpID: "wwcorpB"})
	require.NoError(t, err)
	assert.Equal(t, []wecom.CorpExternalUserID{{CorpID: "wwcorpB", ExternalUserID: wecomtest.ServiceExternalUserID("wmB1")}}, got)
	got, err = s.UnionIDToExternalUserID3rd(ctx, wecom.UnionID3rdRequest{UnionID: "stranger", OpenID: "open-y"})
	require.NoError(t, err)
	assert.Empty(t, got)

	// An expired suite token is refreshed and the call made once more.
	srv.Suite(testSuiteID).ExpireTokens()
	_, err = s.UnionIDToExternalUserID3rd(ctx, wecom.UnionID3rdRequest{UnionID: "union-x", OpenID: "open-x"})
	require.NoError(t, err)
}

func TestNewConversionsValidateBeforeCalling(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv, s := suiteEnv(t, testSuiteID)
	srv.ResetRequests()
	conv := wecom.NewIDConverter(srv.Client())
	many := make([]string, 1001)
	for i := range many {
		many[i] = fmt.Sprintf("id%d", i)
	}
	_, err := conv.BatchOpenUserIDToUserID(ctx, nil, 1)
	assert.Error(t, err)
	_, err = conv.BatchOpenUserIDToUserID(ctx, many, 1)
	assert.ErrorContains(t, err, "1000")
	_, err = conv.BatchOpenUserIDToUserID(ctx, []string{"x"}, -1)
	assert.Error(t, err)
	_, err = conv.BatchExternalUserIDToPendingID(ctx, "", nil)
	assert.Error(t, err)
	_, err = conv.BatchExternalUserIDToPendingID(ctx, "", many[:101])
	assert.ErrorContains(t, err, "100")
	_, err = s.UnionIDToExternalUserID3rd(ctx, wecom.UnionID3rdRequest{UnionID: "u"})
	assert.Error(t, err)
	_, err = s.UnionIDToExternalUserID3rd(ctx, wecom.UnionID3rdRequest{OpenID: "o"})
	assert.Error(t, err)
	assert.Empty(t, srv.Requests(), "invalid input reached WeCom")
}

// The fake answers the documented limits itself.
func TestNewConversionsFakeLimits(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv, s := suiteEnv(t, testSuiteID)
	installCorp(t, srv, s, srv.CorpID)
	many := make([]string, 1001)
	for i := range many {
		many[i] = "x"
	}
	err := srv.Client().Post(ctx, "/cgi-bin/batch/openuserid_to_userid", map[string]any{"open_userid_list": many}, nil)
	assert.Equal(t, wecom.CodeInvalidParameter, wecom.ErrorCode(err))
	err = s.Corp(srv.CorpID).Post(ctx, "/cgi-bin/idconvert/batch/external_userid_to_pending_id", map[string]any{"external_userid": many[:101]}, nil)
	assert.Equal(t, wecom.CodeInvalidParameter, wecom.ErrorCode(err))
	err = s.Do(ctx, &wecom.Request{Method: http.MethodPost, Path: "/cgi-bin/service/externalcontact/unionid_to_external_userid_3rd",
		Body: map[string]any{"unionid": "u"}, Op: wecom.OpRead})
	assert.Equal(t, wecom.CodeInvalidParameter, wecom.ErrorCode(err))
}
