package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/scrmkit/scrm/wecom"
)

// creds are the credentials of one app in one corp: a self-built app's
// secret, or a suite (third-party app or agent-developed template) with the
// corp's permanent code.
type creds struct {
	corpID, secret, baseURL                          string
	suiteID, suiteSecret, suiteTicket, permanentCode string
}

// credsHelp is the part of a command's Long text that says which
// credentials it takes.
const credsHelp = `Credentials: a self-built app (自建应用) needs --corp-id and --corp-secret (the
app's Secret, or the customer-contact Secret of 客户与上下游 → 客户联系 → API). A
third-party app (第三方应用) needs --suite-id, --suite-secret, --suite-ticket (the
newest one WeCom pushed to the command URL) and, for the corp, --corp-id and
--permanent-code; an agent-developed app (代开发, suite id "dk...") needs
--corp-id and --permanent-code (its secret in the corp), with --suite-id.
--base-url points the command at another server than WeCom's, such as
'scrm fake'.`

func (c *creds) register(cmd *cobra.Command) {
	fs := cmd.Flags()
	envFlag(fs, &c.corpID, "corp-id", "WECOM_CORP_ID", "the corp id (企业ID: 我的企业 → 企业信息)", false)
	envFlag(fs, &c.secret, "corp-secret", "WECOM_CORP_SECRET", "the self-built app's secret", true)
	envFlag(fs, &c.baseURL, "base-url", "WECOM_BASE_URL", "the API's base URL (default "+wecom.DefaultBaseURL+")", false)
	envFlag(fs, &c.suiteID, "suite-id", "WECOM_SUITE_ID", "the suite id of a third-party app or agent-developed template", false)
	envFlag(fs, &c.suiteSecret, "suite-secret", "WECOM_SUITE_SECRET", "the suite's secret", true)
	envFlag(fs, &c.suiteTicket, "suite-ticket", "WECOM_SUITE_TICKET", "the newest suite_ticket pushed to the command URL", true)
	envFlag(fs, &c.permanentCode, "permanent-code", "WECOM_PERMANENT_CODE", "the corp's permanent code for the suite", true)
}

// kind names the app the credentials are for, for messages.
func (c *creds) kind() string {
	switch {
	case c.suiteID == "":
		return "self-built app"
	case strings.HasPrefix(c.suiteID, "dk"):
		return "agent-developed app (代开发) of template " + c.suiteID
	default:
		return "third-party app (第三方应用) of suite " + c.suiteID
	}
}

func (c *creds) isSuite() bool { return c.suiteID != "" }

func (c *creds) thirdParty() bool { return c.isSuite() && !strings.HasPrefix(c.suiteID, "dk") }

// check refuses incomplete credentials, naming what is missing (never a
// value).
func (c *creds) check() error {
	var missing []string
	need := func(v, flag, env string) {
		if v == "" {
			missing = append(missing, fmt.Sprintf("--%s ($%s)", flag, env))
		}
	}
	need(c.corpID, "corp-id", "WECOM_CORP_ID")
	if !c.isSuite() {
		need(c.secret, "corp-secret", "WECOM_CORP_SECRET")
	} else {
		need(c.permanentCode, "permanent-code", "WECOM_PERMANENT_CODE")
		if c.thirdParty() {
			need(c.suiteSecret, "suite-secret", "WECOM_SUITE_SECRET")
			need(c.suiteTicket, "suite-ticket", "WECOM_SUITE_TICKET")
		}
	}
	if len(missing) > 0 {
		return usageError{fmt.Errorf("the %s needs %s", c.kind(), strings.Join(missing, ", "))}
	}
	return nil
}

func (c *creds) options(a *app) []wecom.Option {
	opts := []wecom.Option{wecom.WithLogger(a.logger())}
	if c.baseURL != "" {
		opts = append(opts, wecom.WithBaseURL(c.baseURL))
	}
	return opts
}

// suite returns the Suite of suite credentials, with the ticket (third
// party) and the corp's permanent code stored.
func (c *creds) suite(ctx context.Context, a *app) (*wecom.Suite, error) {
	var opts []wecom.SuiteOption
	for _, o := range c.options(a) {
		opts = append(opts, o)
	}
	s := wecom.NewSuite(c.suiteID, c.suiteSecret, opts...)
	if c.suiteTicket != "" {
		if err := s.SetTicket(ctx, c.suiteTicket); err != nil {
			return nil, err
		}
	}
	if err := s.SetPermanentCode(ctx, c.corpID, c.permanentCode); err != nil {
		return nil, err
	}
	return s, nil
}

// client returns the client of the corp's app.
func (c *creds) client(ctx context.Context, a *app) (*wecom.Client, error) {
	if err := c.check(); err != nil {
		return nil, err
	}
	if !c.isSuite() {
		return wecom.New(c.corpID, c.secret, c.options(a)...), nil
	}
	s, err := c.suite(ctx, a)
	if err != nil {
		return nil, err
	}
	return s.Corp(c.corpID), nil
}
