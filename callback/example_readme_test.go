package callback_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/scrmkit/scrm/callback"
	"github.com/scrmkit/scrm/contact"
	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

// The callbacks snippet of README.md: a handler on a worker pool, with
// failures reported to the error hook.
func Example_readme() {
	const corpID, token = "wwexamplecorp", "exampletoken"
	encodingAESKey := wecomtest.NewEncodingAESKey()
	mux := http.NewServeMux()
	done := make(chan struct{})

	h, err := callback.NewHandler(token, encodingAESKey, callback.WithReceiverID(corpID),
		callback.WithWorkers(8, 1024), // answer WeCom at once, work on a bounded pool
		callback.WithErrorHook(func(ctx context.Context, ev callback.Event, err error) {
			// WeCom already has its "success": record the event to retry it
			fmt.Println("failed:", err)
		}))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer h.Close(context.Background())
	h.OnAddExternalContact(func(ctx context.Context, ev *callback.ExternalContactEvent) error {
		// ev.State tells which channel code; ev.WelcomeCode is valid for 20 seconds
		fmt.Println(ev.ExternalUserID, "came through", ev.State)
		close(done)
		return nil
	})
	mux.Handle("/wecom/callback", h) // GET URL check, POST events; WeCom's re-sends run once

	srv := httptest.NewServer(mux)
	defer srv.Close()
	p := wecomtest.NewPusher(srv.URL+"/wecom/callback", token, encodingAESKey, corpID)
	if _, err := p.Push(context.Background(), wecomtest.AddExternalContactXML(corpID, "zhangsan", "wmC1", "poster-17", "", time.Now())); err != nil {
		fmt.Println(err)
	}
	<-done
	// Output: wmC1 came through poster-17
}

// The third-party snippet of README.md: a suite, its two callback URLs and
// one authorized corp's calls.
func Example_suite() {
	fake := wecomtest.Start()
	defer fake.Close()
	const suiteID, suiteSecret, providerCorpID, token = "wwexamplesuite01", "suite-secret", "wwexampleprovider", "suitetoken"
	aesKey := wecomtest.NewEncodingAESKey()
	fake.AddSuite(suiteID, suiteSecret)
	sharedStore := wecom.NewMemoryStore() // shared by every instance (redisstore)
	ctx := context.Background()
	mux := http.NewServeMux()
	installed := make(chan string, 1)
	hooks := callback.SuiteHooks{Authorized: func(_ context.Context, _ *callback.CreateAuthEvent, info *wecom.PermanentCodeInfo) error {
		installed <- info.AuthCorpInfo.CorpID
		return nil
	}}

	err := func() error {
		suite := wecom.NewSuite(suiteID, suiteSecret, fake.SuiteOptions(
			wecom.WithStore(sharedStore),
			wecom.WithProviderCorpID(providerCorpID))...) // WeCom encrypts both URL checks for it
		cmd, err := callback.NewSuiteCommandHandler(suite, token, aesKey, callback.WithSuiteHooks(hooks)) // tickets, installs, uninstalls
		if err != nil {
			return err
		}
		defer cmd.Close(ctx)
		data, err := callback.NewSuiteDataHandler(suite, token, aesKey) // events from authorized corps only
		if err != nil {
			return err
		}
		defer data.Close(ctx)
		mux.Handle("/suite/command", cmd)
		mux.Handle("/suite/data", data)

		srv := httptest.NewServer(mux)
		defer srv.Close()
		cb := fake.Suite(suiteID).SetCallback(srv.URL+"/suite/command", token, aesKey)
		if _, err := cb.PushNewTicket(ctx); err != nil {
			return err
		}
		if _, err := cb.Install(ctx, "wwexamplecorpA", ""); err != nil {
			return err
		}
		corpID := <-installed

		corp := suite.Corp(corpID) // a *wecom.Client for one authorized corp
		users, err := contact.New(corp).ListFollowUsers(ctx)
		fmt.Println(corpID, "has", len(users), "members with customer contact")
		return err
	}()
	fmt.Println(err)
	// Output:
	// wwexamplecorpA has 0 members with customer contact
	// <nil>
}
