package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/scrmkit/scrm/contact"
	"github.com/scrmkit/scrm/wecom"
)

func newCheckCommand(a *app) *cobra.Command {
	var (
		c       creds
		contact bool
		timeout time.Duration
	)
	cmd := &cobra.Command{
		Use:   "check",
		Short: "Check that credentials work from this machine, and say what to fix if not",
		Long: `check obtains an access token with the credentials given and calls one harmless
endpoint (get_api_domain_ip, which only lists WeCom's addresses), then says in
plain words how it went. When WeCom refuses, it says what to do: for 40001 which
secret to copy from where in the admin console, for 60020 that this machine's
egress IP must be on the app's trusted IP list and which address WeCom saw, for
48002 and its kin which permission to grant.

With --contact it also calls externalcontact/get_follow_user_list, which needs
the customer-contact permission (客户联系): the check to make before an export.

` + credsHelp,
		Example: `  # A self-built app, from the environment
  export WECOM_CORP_ID=ww0123456789abcdef WECOM_CORP_SECRET=...
  scrm check --contact

  # An agent-developed app (代开发) installed in a corp
  scrm check --suite-id dk0123456789 --corp-id ww0123456789abcdef --permanent-code "$CODE"

  # A third-party app
  WECOM_SUITE_SECRET=... WECOM_SUITE_TICKET=... WECOM_PERMANENT_CODE=... \
    scrm check --suite-id ww0123456789 --corp-id wwabcdef0123456789`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := c.check(); err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			return runCheck(ctx, a, &c, contact)
		},
	}
	c.register(cmd)
	cmd.Flags().BoolVar(&contact, "contact", false, "also call externalcontact/get_follow_user_list (needs the customer-contact permission)")
	cmd.Flags().DurationVar(&timeout, "timeout", 30*time.Second, "give up after this long")
	return cmd
}

// step is one call of the check.
type step struct {
	name string // what it obtains, and the endpoint
	path string // the endpoint, for the explanation
	run  func(ctx context.Context) (string, error)
}

func runCheck(ctx context.Context, a *app, c *creds, withContact bool) error {
	out := a.stdout
	fmt.Fprintf(out, "Checking the %s in corp %s at %s\n", c.kind(), c.corpID, c.base())

	var client *wecom.Client
	var steps []step
	if c.isSuite() {
		s, err := c.suite(ctx, a)
		if err != nil {
			return err
		}
		client = s.Corp(c.corpID)
		if c.suiteTicket != "" {
			steps = append(steps, step{"suite token (service/get_suite_token)", "/cgi-bin/service/get_suite_token",
				func(ctx context.Context) (string, error) { _, err := s.AccessToken(ctx); return "", err }})
		}
		corpToken := "corp token (service/get_corp_token)"
		path := "/cgi-bin/service/get_corp_token"
		if !c.thirdParty() {
			corpToken, path = "corp token (gettoken with the permanent code)", "/cgi-bin/gettoken"
		}
		steps = append(steps, step{corpToken, path,
			func(ctx context.Context) (string, error) { _, err := client.AccessToken(ctx); return "", err }})
	} else {
		client = wecom.New(c.corpID, c.secret, c.options(a)...)
		steps = append(steps, step{"access token (gettoken)", "/cgi-bin/gettoken",
			func(ctx context.Context) (string, error) { _, err := client.AccessToken(ctx); return "", err }})
	}
	steps = append(steps, step{"WeCom's addresses (get_api_domain_ip)", "/cgi-bin/get_api_domain_ip",
		func(ctx context.Context) (string, error) {
			ips, err := client.GetAPIDomainIPs(ctx)
			return fmt.Sprintf("%d address ranges", len(ips)), err
		}})
	if withContact {
		steps = append(steps, step{"customer contact (get_follow_user_list)", "/cgi-bin/externalcontact/get_follow_user_list",
			func(ctx context.Context) (string, error) {
				users, err := contact.New(client).ListFollowUsers(ctx)
				return fmt.Sprintf("%d members with customer contact", len(users)), err
			}})
	}

	width := 0
	for _, s := range steps {
		width = max(width, len(s.name))
	}
	for _, s := range steps {
		fmt.Fprintf(out, "  %s %s ", s.name, strings.Repeat(".", width-len(s.name)+3))
		detail, err := s.run(ctx)
		if err != nil {
			fmt.Fprintf(out, "failed: %s\n\n", shortError(err))
			if advice := explain(err, c, s.path); advice != "" {
				wrap(out, "What to do: "+advice)
			}
			return reported{err}
		}
		if detail != "" {
			fmt.Fprintln(out, "ok:", detail)
		} else {
			fmt.Fprintln(out, "ok")
		}
	}
	fmt.Fprintln(out, "These credentials work from this machine.")
	return nil
}

// shortError is an SDK error without its package prefix: "errcode 40001:
// invalid credential, ...".
func shortError(err error) string {
	var werr *wecom.Error
	if errors.As(err, &werr) {
		return fmt.Sprintf("errcode %d: %s", werr.Code, werr.Msg)
	}
	return err.Error()
}

// wrap writes text in lines of at most 78 columns, breaking at spaces.
func wrap(w io.Writer, text string) {
	const width = 78
	line := 0
	for i, word := range strings.Fields(text) {
		n := columns(word)
		if i > 0 && line+1+n > width {
			fmt.Fprintln(w)
			line = 0
		} else if i > 0 {
			fmt.Fprint(w, " ")
			line++
		}
		fmt.Fprint(w, word)
		line += n
	}
	fmt.Fprintln(w)
}

// columns is the width of s on a terminal: East Asian wide characters
// (CJK, fullwidth forms) take two columns.
func columns(s string) int {
	n := 0
	for _, r := range s {
		switch {
		case r >= 0x1100 && r <= 0x115F, r >= 0x2E80 && r <= 0xA4CF, r >= 0xAC00 && r <= 0xD7A3,
			r >= 0xF900 && r <= 0xFAFF, r >= 0xFE30 && r <= 0xFE4F, r >= 0xFF00 && r <= 0xFF60, r >= 0xFFE0 && r <= 0xFFE6:
			n += 2
		default:
			n++
		}
	}
	return n
}
