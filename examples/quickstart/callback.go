package main

import (
	"context"
	"fmt"
	"net/http/httptest"
	"time"

	"github.com/scrmkit/scrm/callback"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

// customerAdds plays a WeChat user scanning the channel code: the fake adds
// the relation, then pushes the add_external_contact event, encrypted as
// WeCom does, to a callback handler served on loopback.
func (f *flow) customerAdds() (string, error) {
	token, aesKey := "quickstartToken", wecomtest.NewEncodingAESKey()
	h, err := callback.NewHandler(token, aesKey, callback.WithReceiverID(f.fake.CorpID))
	if err != nil {
		return "", err
	}
	got := make(chan *callback.ExternalContactEvent, 1)
	h.OnAddExternalContact(func(_ context.Context, ev *callback.ExternalContactEvent) error {
		select {
		case got <- ev:
		default:
		}
		return nil
	})
	srv := httptest.NewServer(h)
	defer srv.Close()

	ext, err := f.fake.AddCustomerViaContactWay(f.fake.CorpID, f.configID, "")
	if err != nil {
		return "", err
	}
	f.customer = ext
	pusher := wecomtest.NewPusher(srv.URL, token, aesKey, f.fake.CorpID)
	xml := wecomtest.AddExternalContactXML(f.fake.CorpID, f.staff, ext, "quickstart-ad-1", "WELCOMECODE-demo", time.Now())
	if _, err := pusher.Push(f.ctx, xml); err != nil {
		return "", err
	}
	select {
	case ev := <-got:
		return fmt.Sprintf("add_external_contact: %s added %s, state %q, welcome code present: %v",
			ev.ExternalUserID, ev.UserID, ev.State, ev.WelcomeCode != ""), nil
	case <-time.After(5 * time.Second):
		return "", fmt.Errorf("the callback handler never saw the event")
	}
}
