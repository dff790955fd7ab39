package callback_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/scrmkit/scrm/callback"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

// A customer adds a staff member through a contact way: WeCom pushes an
// add_external_contact event, simulated here by the wecomtest pusher.
func Example() {
	const corpID, token = "wwexamplecorp", "exampletoken"
	aesKey := wecomtest.NewEncodingAESKey()

	h, err := callback.NewHandler(token, aesKey,
		callback.WithReceiverID(corpID),
		callback.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		fmt.Println(err)
		return
	}
	h.OnAddExternalContact(func(ctx context.Context, ev *callback.ExternalContactEvent) error {
		fmt.Printf("%s added %s (state %q, welcome code %s)\n", ev.ExternalUserID, ev.UserID, ev.State, ev.WelcomeCode)
		return nil
	})
	srv := httptest.NewServer(h)
	defer srv.Close()

	p := wecomtest.NewPusher(srv.URL, token, aesKey, corpID)

	// The URL check WeCom sends when the callback is saved.
	req, _ := p.VerifyURLRequest(context.Background(), "echo-1234")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Println(err)
		return
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Printf("URL check answered %d %q\n", resp.StatusCode, body)

	// The event, then WeCom re-sending it: the handler runs once.
	ev := wecomtest.AddExternalContactXML(corpID, "zhangsan", "wmCustomer01", "poster-17", "WELCOME01", time.Now())
	for range 2 {
		res, err := p.Push(context.Background(), ev)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("push answered %d %q\n", res.Status(), res.Body())
	}
	// Output:
	// URL check answered 200 "echo-1234"
	// wmCustomer01 added zhangsan (state "poster-17", welcome code WELCOME01)
	// push answered 200 "success"
	// push answered 200 "success"
}
