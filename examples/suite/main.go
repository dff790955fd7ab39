// Command suite runs a multi-tenant backend for a third-party app (第三方应用):
// the command callback URL (指令回调) receives suite tickets and
// installations, the data callback URL (数据回调) receives the authorized
// corps' pushes, and every corp's API calls go through suite.Corp(corpID).
//
// With no WECOM_SUITE_ID set it starts the fake WeCom (wecomtest) in-process
// and plays the whole life of a suite against a loopback server: tickets
// arrive by push, three corps install the app (create_auth → permanent
// codes stored), each corp's follow users are listed, one corp uninstalls
// (cancel_auth → its calls fail with wecom.ErrCorpNotAuthorized and the data
// URL refuses its pushes):
//
//	go run ./examples/suite
//
// With WECOM_SUITE_ID, WECOM_SUITE_SECRET, WECOM_CALLBACK_TOKEN,
// WECOM_CALLBACK_AES_KEY and WECOM_PROVIDER_CORP_ID (the provider's own corp
// id, for which WeCom encrypts the URL checks; optionally WECOM_BASE_URL)
// set, it serves the command URL at /suite/command and the data URL at
// /suite/data on -addr (default :8080) until interrupted.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/scrmkit/scrm/callback"
	"github.com/scrmkit/scrm/contact"
	"github.com/scrmkit/scrm/examples/internal/steps"
	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

const (
	demoSuiteID     = "wwdemosuite000001"
	demoSuiteSecret = "demo-suite-secret"
	demoToken       = "demotoken"
)

var demoCorps = []string{"wwdemocorpalpha", "wwdemocorpbeta", "wwdemocorpgamma"}

func main() {
	addr := flag.String("addr", ":8080", "listen address when serving a real suite (WECOM_SUITE_ID set)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Stdout, os.Getenv, *addr); err != nil {
		fmt.Fprintln(os.Stderr, "suite failed:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, out io.Writer, getenv func(string) string, addr string) error {
	if getenv("WECOM_SUITE_ID") != "" {
		return serve(ctx, out, getenv, addr)
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	return demo(ctx, out)
}

// handlers builds the command and data handlers of suite, served by one mux.
func handlers(suite *wecom.Suite, token, aesKey string, logger *slog.Logger, hooks callback.SuiteHooks, opts ...callback.Option) (http.Handler, func(), *callback.Handler, error) {
	cmd, err := callback.NewSuiteCommandHandler(suite, token, aesKey, append([]callback.Option{callback.WithLogger(logger), callback.WithSuiteHooks(hooks)}, opts...)...)
	if err != nil {
		return nil, nil, nil, err
	}
	data, err := callback.NewSuiteDataHandler(suite, token, aesKey, callback.WithLogger(logger))
	if err != nil {
		_ = cmd.Close(context.Background())
		return nil, nil, nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("/suite/command", cmd)
	mux.Handle("/suite/data", data)
	closeAll := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = cmd.Close(ctx)
		_ = data.Close(ctx)
	}
	return mux, closeAll, data, nil
}

// serve runs the callback URLs of a real suite until ctx ends.
func serve(ctx context.Context, out io.Writer, getenv func(string) string, addr string) error {
	s := steps.New(out, 34)
	var (
		mux      http.Handler
		closeAll func()
		ln       net.Listener
	)
	if err := s.Do("configure", func() (string, error) {
		id, secret := getenv("WECOM_SUITE_ID"), getenv("WECOM_SUITE_SECRET")
		token, key := getenv("WECOM_CALLBACK_TOKEN"), getenv("WECOM_CALLBACK_AES_KEY")
		provider := getenv("WECOM_PROVIDER_CORP_ID")
		if secret == "" || token == "" || key == "" || provider == "" {
			return "", errors.New("WECOM_SUITE_SECRET, WECOM_CALLBACK_TOKEN, WECOM_CALLBACK_AES_KEY and WECOM_PROVIDER_CORP_ID are required with WECOM_SUITE_ID")
		}
		// URL checks of both callback URLs are encrypted for the provider's corp id.
		opts := []wecom.SuiteOption{wecom.WithProviderCorpID(provider)}
		if base := getenv("WECOM_BASE_URL"); base != "" {
			opts = append(opts, wecom.WithBaseURL(base))
		}
		suite := wecom.NewSuite(id, secret, opts...)
		hooks := callback.SuiteHooks{
			Authorized: func(_ context.Context, _ *callback.CreateAuthEvent, info *wecom.PermanentCodeInfo) error {
				fmt.Fprintf(out, "    corp %s (%s) installed the app\n", info.AuthCorpInfo.CorpID, info.AuthCorpInfo.CorpName)
				return nil
			},
			Cancelled: func(_ context.Context, ev *callback.CancelAuthEvent) error {
				fmt.Fprintf(out, "    corp %s removed the app\n", ev.AuthCorpID)
				return nil
			},
		}
		var err error
		mux, closeAll, _, err = handlers(suite, token, key, slog.Default(), hooks)
		if err != nil {
			return "", err
		}
		ln, err = net.Listen("tcp", addr)
		if err != nil {
			closeAll()
			return "", err
		}
		return "suite " + id, nil
	}); err != nil {
		return err
	}
	defer closeAll()
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	fmt.Fprintf(out, "    command URL http://%s/suite/command, data URL http://%s/suite/data; Ctrl-C stops\n", ln.Addr(), ln.Addr())
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return s.Do("shut down", func() (string, error) { return "", hs.Shutdown(sctx) })
}

// waitFor polls cond until it holds or ctx ends.
func waitFor(ctx context.Context, cond func() (bool, error)) error {
	for {
		ok, err := cond()
		if ok || err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// demo plays a suite's life against the fake WeCom.
func demo(ctx context.Context, out io.Writer) error {
	s := steps.New(out, 34)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	var (
		fake     *wecomtest.Server
		suite    *wecom.Suite
		key      = wecomtest.NewEncodingAESKey()
		srv      *httptest.Server
		closeAll func()
		data     *callback.Handler
		cb       *wecomtest.Suite
		dataSeen atomic.Int64
		failed   atomic.Pointer[error] // the last failure the command handler reported
	)
	if err := s.Do("start the fake WeCom", func() (string, error) {
		fake = wecomtest.Start()
		fake.AddSuite(demoSuiteID, demoSuiteSecret)
		return "no WECOM_SUITE_ID: fake WeCom at " + fake.URL, nil
	}); err != nil {
		return err
	}
	defer fake.Close()

	if err := s.Do("serve the callback URLs", func() (string, error) {
		suite = wecom.NewSuite(demoSuiteID, demoSuiteSecret, fake.SuiteOptions(wecom.WithLogger(quiet))...)
		var (
			mux http.Handler
			err error
		)
		mux, closeAll, data, err = handlers(suite, demoToken, key, quiet, callback.SuiteHooks{},
			callback.WithErrorHook(func(_ context.Context, _ callback.Event, err error) { failed.Store(&err) }))
		if err != nil {
			return "", err
		}
		data.OnAddExternalContact(func(context.Context, *callback.ExternalContactEvent) error {
			dataSeen.Add(1)
			return nil
		})
		srv = httptest.NewServer(mux)
		return srv.URL + "/suite/command and /suite/data", nil
	}); err != nil {
		return err
	}
	defer closeAll()
	defer srv.Close()
	// handlerErr reports what the command handler failed with, if anything.
	handlerErr := func() error {
		if p := failed.Load(); p != nil {
			return fmt.Errorf("command handler: %w", *p)
		}
		return nil
	}

	cb = fake.Suite(demoSuiteID).SetCallback(srv.URL+"/suite/command", demoToken, key)
	stopTickets := cb.StartTicketPush(10 * time.Minute) // the first push is immediate
	defer stopTickets()
	if err := s.Do("suite_ticket arrives by push", func() (string, error) {
		err := waitFor(ctx, func() (bool, error) {
			if err := handlerErr(); err != nil {
				return false, err
			}
			_, err := suite.AccessToken(ctx)
			if errors.Is(err, wecom.ErrNoSuiteTicket) {
				return false, nil
			}
			return err == nil, err
		})
		return "suite_access_token obtained with the pushed ticket", err
	}); err != nil {
		return err
	}

	for i, corp := range demoCorps {
		if err := s.Do("install "+corp, func() (string, error) {
			if _, err := cb.Install(ctx, corp, ""); err != nil {
				return "", err
			}
			err := waitFor(ctx, func() (bool, error) {
				if err := handlerErr(); err != nil {
					return false, err
				}
				return suite.IsAuthorized(ctx, corp)
			})
			if err != nil {
				return "", err
			}
			staff := make([]string, i+2)
			for j := range staff {
				staff[j] = fmt.Sprintf("member%d", j+1)
			}
			return "create_auth pushed, permanent code stored", fake.Corp(corp).AddStaff(staff...)
		}); err != nil {
			return err
		}
	}
	if err := s.Do("authorized corps", func() (string, error) {
		corps, err := suite.AuthorizedCorps(ctx)
		if err == nil && len(corps) != len(demoCorps) {
			err = fmt.Errorf("%d corps authorized, want %d", len(corps), len(demoCorps))
		}
		return fmt.Sprint(corps), err
	}); err != nil {
		return err
	}

	for _, corp := range demoCorps {
		if err := s.Do("follow users of "+corp, func() (string, error) {
			users, err := contact.New(suite.Corp(corp)).ListFollowUsers(ctx)
			return fmt.Sprintf("%d members with customer contact", len(users)), err
		}); err != nil {
			return err
		}
	}

	pushData := func(corp string) (*wecomtest.PushResult, error) {
		p := wecomtest.NewPusher(srv.URL+"/suite/data", demoToken, key, corp)
		p.Attempts = 1
		return p.Push(ctx, wecomtest.AddExternalContactXML(corp, "member1", "wmdemo-"+corp, "", "", time.Now()))
	}
	if err := s.Do("data URL accepts each corp", func() (string, error) {
		for _, corp := range demoCorps {
			if _, err := pushData(corp); err != nil {
				return "", fmt.Errorf("%s: %w", corp, err)
			}
		}
		return fmt.Sprintf("%d add_external_contact pushes handled", dataSeen.Load()), nil
	}); err != nil {
		return err
	}

	gone := demoCorps[len(demoCorps)-1]
	if err := s.Do("uninstall "+gone, func() (string, error) {
		if err := cb.Uninstall(ctx, gone); err != nil {
			return "", err
		}
		err := waitFor(ctx, func() (bool, error) {
			if err := handlerErr(); err != nil {
				return false, err
			}
			ok, err := suite.IsAuthorized(ctx, gone)
			return !ok, err
		})
		return "cancel_auth pushed, corp forgotten", err
	}); err != nil {
		return err
	}
	if err := s.Do("calls for "+gone+" fail", func() (string, error) {
		_, err := contact.New(suite.Corp(gone)).ListFollowUsers(ctx)
		if !errors.Is(err, wecom.ErrCorpNotAuthorized) {
			return "", fmt.Errorf("got %v, want an error matching wecom.ErrCorpNotAuthorized", err)
		}
		return "wecom.ErrCorpNotAuthorized", nil
	}); err != nil {
		return err
	}
	if err := s.Do("data URL refuses "+gone, func() (string, error) {
		res, err := pushData(gone)
		if err == nil || res.Status() != http.StatusForbidden {
			return "", fmt.Errorf("answered %d, want 403", res.Status())
		}
		return "403", nil
	}); err != nil {
		return err
	}
	if err := s.Do("the other corps still work", func() (string, error) {
		for _, corp := range demoCorps[:len(demoCorps)-1] {
			if _, err := contact.New(suite.Corp(corp)).ListFollowUsers(ctx); err != nil {
				return "", fmt.Errorf("%s: %w", corp, err)
			}
		}
		return fmt.Sprintf("%d corps", len(demoCorps)-1), nil
	}); err != nil {
		return err
	}
	return s.Do("stop", func() (string, error) {
		if err := stopTickets(); err != nil {
			return "", err
		}
		return fmt.Sprintf("%d permanent-code exchanges, %d suite tokens, in all",
			fake.Count("/cgi-bin/service/v2/get_permanent_code"), fake.Suite(demoSuiteID).TokenFetches()), nil
	})
}
