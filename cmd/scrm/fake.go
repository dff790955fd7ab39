package main

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"

	"github.com/scrmkit/scrm/wecom/wecomtest"
)

// demoWorld is the world scrm fake serves without --world.
//
//go:embed demo.yaml
var demoWorld []byte

func newFakeCommand(a *app) *cobra.Command {
	var (
		addr, worldFile          string
		printDemo                bool
		cbURL, cbToken, cbAESKey string
	)
	cmd := &cobra.Command{
		Use:   "fake",
		Short: "Serve a fake WeCom (wecomtest) for apps and teams that do not write Go",
		Long: `fake runs wecomtest, the SDK's fake WeCom, as a server on --addr: it answers
WeCom's API (gettoken, customer contact, groups, mass sends, acquisition links,
customer service, ...) with WeCom's rules and errcodes, from a world of corps,
members, customers, tags, contact ways and groups held in memory. A frontend or
QA team points its app at it (WECOM_BASE_URL) and develops without a real corp.

The world comes from --world, a small YAML or JSON file (see --print-demo for
the format), or is the built-in demo world: a corp with three members (one
without an interop licence), customer tags, three named customers and 200 more,
two contact ways, a customer group and its join way.

People are played through the control API, JSON over HTTP under /wecomtest/:
  GET  /wecomtest/world                           corps and their ids (contact ways, join ways,
                                                  groups, customers, mass sends)
  PUT  /wecomtest/corps/{corp}/callback           {"url", "token", "aes_key"}: where the corp's
                                                  pushes go (your app's callback URL)
  POST /wecomtest/corps/{corp}/scan               {"config_id"}: a new customer scans a contact
                                                  way; add_external_contact is pushed
  POST /wecomtest/corps/{corp}/join               {"config_id"}: a customer scans a join way; or
                                                  {"chat_id", "userids"}: people are invited
  POST /wecomtest/corps/{corp}/confirm-mass-send  {"msgid"[, "userid"]}: senders confirm a mass send
  POST /wecomtest/corps/{corp}/push               the body (an event's XML) is pushed as WeCom would
An act whose push failed still happened, as in WeCom: its answer says how the
push went ("push", "push_error").

At start it prints the corp id, secret and URLs to use. It stops on Ctrl-C; the
world lives in memory and goes with it.`,
		Example: `  scrm fake --addr 127.0.0.1:8099
  scrm fake --print-demo > world.yaml    # edit, then
  scrm fake --world world.yaml --callback-url http://127.0.0.1:8080/callback \
    --callback-token "$TOKEN" --callback-aes-key "$AES_KEY"

  # play a customer scanning a contact way
  curl -s -X POST http://127.0.0.1:8099/wecomtest/corps/wwfakecorp0000001/scan -d '{"config_id":"cw..."}'`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if printDemo {
				_, err := a.stdout.Write(demoWorld)
				return err
			}
			if cbURL != "" && (cbToken == "" || cbAESKey == "") {
				return usageError{errors.New("--callback-url needs --callback-token and --callback-aes-key ($WECOM_CALLBACK_TOKEN, $WECOM_CALLBACK_AES_KEY)")}
			}
			data, name := demoWorld, "the demo world"
			if worldFile != "" {
				var err error
				if data, err = os.ReadFile(worldFile); err != nil {
					return err
				}
				name = worldFile
			}
			w, err := parseWorld(data)
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			return runFake(cmd.Context(), a, addr, w, callbackSpec{cbURL, cbToken, cbAESKey})
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&addr, "addr", "127.0.0.1:8099", "the address to listen on (\":8099\" for every interface; port 0 picks a free one)")
	fs.StringVar(&worldFile, "world", "", "a YAML or JSON file describing the world (default: the demo world)")
	fs.BoolVar(&printDemo, "print-demo", false, "print the demo world's YAML and exit")
	fs.StringVar(&cbURL, "callback-url", "", "push the first corp's events to this callback URL")
	envFlag(fs, &cbToken, "callback-token", "WECOM_CALLBACK_TOKEN", "the callback's Token", true)
	envFlag(fs, &cbAESKey, "callback-aes-key", "WECOM_CALLBACK_AES_KEY", "the callback's EncodingAESKey", true)
	return cmd
}

type callbackSpec struct{ url, token, aesKey string }

// parseWorld reads a world in YAML (or JSON, which YAML includes) with
// wecomtest.World's JSON field names, refusing unknown ones.
func parseWorld(data []byte) (*wecomtest.World, error) {
	var doc any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	j, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("the world must be a mapping with string keys: %w", err)
	}
	d := json.NewDecoder(bytes.NewReader(j))
	d.DisallowUnknownFields()
	var w wecomtest.World
	if err := d.Decode(&w); err != nil {
		return nil, fmt.Errorf("not a world description (corps: [{staff, tags, customers, contact_ways, groups, join_ways}]): %w", err)
	}
	return &w, nil
}

func runFake(ctx context.Context, a *app, addr string, w *wecomtest.World, cb callbackSpec) error {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := wecomtest.Start(wecomtest.WithListener(l))
	defer srv.Close()
	if err := srv.Seed(ctx, w); err != nil {
		return err
	}
	first := srv.CorpID
	if len(w.Corps) > 0 && w.Corps[0].ID != "" {
		first = w.Corps[0].ID
	}
	if cb.url != "" {
		srv.Corp(first).SetCallback(cb.url, cb.token, cb.aesKey)
	}
	view, err := fetchWorld(ctx, srv)
	if err != nil {
		return err
	}
	printFake(a.stdout, displayURL(l.Addr()), first, view)
	<-ctx.Done()
	fmt.Fprintln(a.stderr, "Stopping the fake WeCom.")
	return nil
}

// displayURL is the URL to give clients: an unspecified host (":8099")
// is shown as loopback.
func displayURL(addr net.Addr) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return "http://" + addr.String()
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// fakeView is what the start message shows of GET /wecomtest/world.
type fakeView struct {
	Corps []struct {
		ID          string   `json:"id"`
		Secret      string   `json:"secret"`
		Callback    string   `json:"callback"`
		Staff       []string `json:"staff"`
		Customers   int      `json:"customers"`
		Tags        []struct{ ID, Group, Name string }
		ContactWays []struct {
			ConfigID string   `json:"config_id"`
			State    string   `json:"state"`
			Users    []string `json:"users"`
		} `json:"contact_ways"`
		Groups []struct {
			ChatID  string `json:"chat_id"`
			Name    string `json:"name"`
			Members int    `json:"members"`
		} `json:"groups"`
		JoinWays []struct {
			ConfigID string `json:"config_id"`
			State    string `json:"state"`
		} `json:"join_ways"`
	} `json:"corps"`
}

func fetchWorld(ctx context.Context, srv *wecomtest.Server) (*fakeView, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/wecomtest/world", nil)
	if err != nil {
		return nil, err
	}
	resp, err := srv.HTTPClient().Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var v fakeView
	if err := json.NewDecoder(io.LimitReader(resp.Body, 64<<20)).Decode(&v); err != nil {
		return nil, fmt.Errorf("reading the fake's world: %w", err)
	}
	return &v, nil
}

func printFake(out io.Writer, base, first string, v *fakeView) {
	fmt.Fprintf(out, "Fake WeCom (wecomtest) serving at %s\n\n", base)
	for i, c := range v.Corps {
		if c.ID != first && len(c.Staff) == 0 && i == 0 {
			continue // the server's own corp, unused by the world
		}
		if c.ID == first {
			fmt.Fprintln(out, "Point the app at it:")
			fmt.Fprintf(out, "  WECOM_BASE_URL=%s\n  WECOM_CORP_ID=%s\n  WECOM_CORP_SECRET=%s\n\n", base, c.ID, c.Secret)
		}
		fmt.Fprintf(out, "Corp %s (secret %s): %d members, %d customers, %d tags\n", c.ID, c.Secret, len(c.Staff), c.Customers, len(c.Tags))
		if c.Callback != "" {
			fmt.Fprintf(out, "  pushes to         %s\n", c.Callback)
		}
		for _, w := range c.ContactWays {
			fmt.Fprintf(out, "  contact way       %s  state %q  members %s\n", w.ConfigID, w.State, strings.Join(w.Users, ", "))
		}
		for _, g := range c.Groups {
			fmt.Fprintf(out, "  group             %s  %q  %d members\n", g.ChatID, g.Name, g.Members)
		}
		for _, w := range c.JoinWays {
			fmt.Fprintf(out, "  join way          %s  state %q\n", w.ConfigID, w.State)
		}
		fmt.Fprintln(out)
	}
	corp := base + "/wecomtest/corps/" + first
	scan, join := "CONFIG_ID", "CONFIG_ID"
	for _, c := range v.Corps {
		if c.ID == first {
			if len(c.ContactWays) > 0 {
				scan = c.ContactWays[0].ConfigID
			}
			if len(c.JoinWays) > 0 {
				join = c.JoinWays[0].ConfigID
			}
		}
	}
	fmt.Fprintf(out, `Play people with the control API (JSON in and out):
  curl -s %[1]s/wecomtest/world
  curl -s -X PUT %[2]s/callback -d '{"url":"http://127.0.0.1:8080/callback","token":"TOKEN","aes_key":"AES_KEY"}'
  curl -s -X POST %[2]s/scan -d '{"config_id":"%[3]s"}'
  curl -s -X POST %[2]s/join -d '{"config_id":"%[4]s"}'
  curl -s -X POST %[2]s/confirm-mass-send -d '{"msgid":"MSGID"}'
  curl -s -X POST %[2]s/push --data-binary @event.xml
Stop with Ctrl-C.
`, base, corp, scan, join)
}
