package contact_test

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/callback"
	"github.com/scrmkit/scrm/contact"
	"github.com/scrmkit/scrm/internal/channelstate"
	"github.com/scrmkit/scrm/internal/shapetest"
	"github.com/scrmkit/scrm/wecom"
)

// The contact way of a channel's code: a multi-member way with the derived
// state and a remark naming the channel.
func TestChannelsEnsureShape(t *testing.T) {
	t.Parallel()
	svc, m := shapeService(t)
	chs, err := contact.NewChannels(svc, wecom.NewMemoryStore(), contact.ChannelTemplate{IsExclusive: true})
	require.NoError(t, err)
	state := channelstate.Code("cw")("spring", 0)
	m.Expect(post("add_contact_way", `{"type":2,"scene":2,"remark":"spring#`+state+`","skip_verify":false,"state":"`+state+`",
		"user":["zhangsan"],"party":[3],"is_exclusive":true}`), `{"errcode":0,"errmsg":"ok","config_id":"CFG","qr_code":"https://q/CFG"}`)
	code, err := chs.Ensure(t.Context(), contact.Channel{Name: "spring", Users: []string{"zhangsan"}, Departments: []int{3},
		SkipVerify: wecom.Ptr(false)})
	require.NoError(t, err)
	assert.Equal(t, &contact.ChannelCode{Channel: contact.Channel{Name: "spring", Users: []string{"zhangsan"}, Departments: []int{3},
		SkipVerify: wecom.Ptr(false)}, ConfigID: "CFG", QRCode: "https://q/CFG", State: state}, code)
}

// What a channel does for a new customer: mark its tags, read the customer
// for {name}, set the remark.
func TestChannelsHandleEventShape(t *testing.T) {
	t.Parallel()
	svc, m := shapeService(t)
	chs, err := contact.NewChannels(svc, wecom.NewMemoryStore(), contact.ChannelTemplate{})
	require.NoError(t, err)
	state := channelstate.Code("cw")("fair", 0)
	m.Expect(post("add_contact_way", `{"type":2,"scene":2,"remark":"fair#`+state+`","state":"`+state+`","user":["lisi"]}`),
		`{"errcode":0,"errmsg":"ok","config_id":"CFG"}`)
	_, err = chs.Ensure(t.Context(), contact.Channel{Name: "fair", Users: []string{"lisi"}, Tags: []string{"et1", "et2"}, Remark: "{name}@{channel} {date}"})
	require.NoError(t, err)

	m.Expect(post("mark_tag", `{"userid":"lisi","external_userid":"wmC","add_tag":["et1","et2"]}`), "")
	m.Expect(shapetest.Call{Method: http.MethodGet, Path: "/cgi-bin/externalcontact/get", Query: url.Values{"external_userid": {"wmC"}}},
		`{"errcode":0,"errmsg":"ok","external_contact":{"external_userid":"wmC","name":"李雷","type":1},"follow_user":[]}`)
	m.Expect(post("remark", `{"userid":"lisi","external_userid":"wmC","remark":"李雷@fair 20231115"}`), "")
	ev := &callback.ExternalContactEvent{UserID: "lisi", ExternalUserID: "wmC", State: state}
	ev.ChangeType = callback.ChangeAddExternalContact
	ev.CreateTime = wecom.UnixTime(time.Date(2023, 11, 15, 8, 0, 0, 0, time.UTC).Unix())
	require.NoError(t, chs.HandleEvent(t.Context(), ev))
}
