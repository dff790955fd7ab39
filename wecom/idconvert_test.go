package wecom_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

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

	srv.LinkUnionID("wwcorpA", "union-1", "wmDDD")
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
	if err := s.SetTicket(ctx, srv.NewSuiteTicket(testSuiteID)); err != nil {
		t.Fatal(err)
	}
	installCorp(t, srv, s, srv.CorpID)
	selfBuilt := wecom.NewIDConverter(srv.Client())
	back, err := selfBuilt.FromServiceExternalUserID(ctx, svc, srv.AgentID(testSuiteID, srv.CorpID))
	if err != nil || back != "wmEEE" {
		t.Fatalf("from_service = %q, %v", back, err)
	}
	if _, err := selfBuilt.FromServiceExternalUserID(ctx, svc, 42); wecom.ErrorCode(err) != 40056 {
		t.Fatalf("unknown source agent: %v", err)
	}
}
