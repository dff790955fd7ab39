package message_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/callback"
	"github.com/scrmkit/scrm/contact"
	"github.com/scrmkit/scrm/internal/testkit"
	"github.com/scrmkit/scrm/message"
	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

// channelFlow is the SCRM path of a channel code on the fake: a taxonomy, a
// channel with its tags and remark, welcome rules, and a callback Handler
// with both helpers registered.
type channelFlow struct {
	srv     *wecomtest.Server
	cb      *wecomtest.Corp
	code    *contact.ChannelCode
	tagID   string
	results *results
}

// unlimited turns the client's limiter off: a benchmark measures the path,
// not WeCom's 10,000 calls a minute per API.
var unlimited = wecom.WithLimiter(wecom.NewMemoryLimiter(wecom.Limit{}, nil))

func setupChannelFlow(t testing.TB, copts []wecom.Option, opts ...callback.Option) *channelFlow {
	t.Helper()
	srv, c := testkit.Setup(t, testkit.WithStaff("zhangsan", "lisi"), testkit.WithClientOptions(copts...))
	store := wecom.NewMemoryStore()
	contacts := contact.New(c)
	tags, err := contacts.ApplyTaxonomy(t.Context(), &contact.ApplyTaxonomyRequest{Taxonomy: contact.Taxonomy{
		Groups: []contact.TaxonomyGroup{{Name: "来源", Tags: []string{"海报", "抖音"}}}}})
	require.NoError(t, err)
	poster, _ := tags.TagID("来源", "海报")
	channels, err := contact.NewChannels(contacts, store, contact.ChannelTemplate{})
	require.NoError(t, err)
	code, err := channels.Ensure(t.Context(), contact.Channel{Name: "X", Users: []string{"zhangsan", "lisi"},
		Tags: []string{poster}, Remark: "{channel}·{date}"})
	require.NoError(t, err)
	rs := newResults()
	welcomes, err := message.NewWelcomes(message.New(c), message.WelcomeRules{
		Channels: map[string]*message.Welcome{"X": {Text: "Welcome from channel X, %NICKNAME%!"}},
		Default:  &message.Welcome{Text: "Welcome!"},
	}, message.WithChannelResolver(channels), message.WithNameSource(contacts), message.WithResultHook(rs.hook))
	require.NoError(t, err)
	t.Cleanup(func() { _ = welcomes.Close(context.Background()) })
	cb := testkit.Callback(t, srv, func(h *callback.Handler) {
		welcomes.Register(h) // first: the welcome does not wait for the tags
		channels.Register(h)
	}, opts...)
	return &channelFlow{srv: srv, cb: cb, code: code, tagID: poster, results: rs}
}

// The whole path of issue 11: a customer scans channel X's code (one
// wecomtest call); the fake pushes add_external_contact with State and
// WelcomeCode; the helpers resolve channel X, tag the customer, set the
// remark and send channel X's welcome.
func TestChannelCodeToWelcome(t *testing.T) {
	t.Parallel()
	for _, mode := range []struct {
		name string
		opts []callback.Option
	}{{"synchronous handler", nil}, {"WithWorkers", []callback.Option{callback.WithWorkers(2, 16)}}} {
		t.Run(mode.name, func(t *testing.T) {
			t.Parallel()
			f := setupChannelFlow(t, nil, mode.opts...)

			scan, err := f.cb.ScanContactWay(t.Context(), f.code.ConfigID, "")
			require.NoError(t, err)
			require.NotEmpty(t, scan.WelcomeCode)
			assert.Equal(t, f.code.State, scan.State)

			res := f.results.next(t)
			assert.Equal(t, message.WelcomeSent, res.Outcome, "%v", res.Err)
			assert.Equal(t, "X", res.Channel)
			assert.Equal(t, message.RuleChannel, res.Rule)

			name := customerName(t, f.srv.Client(), scan.ExternalUserID)
			sent := f.srv.Corp(f.srv.CorpID).Messages().WelcomesSent()
			require.Len(t, sent, 1)
			assert.Equal(t, wecomtest.SentWelcome{WelcomeCode: scan.WelcomeCode, UserID: scan.UserID, ExternalUserID: scan.ExternalUserID,
				Text: "Welcome from channel X, " + name + "!"}, sent[0])
			assert.Equal(t, wecomtest.WelcomeCodeUsed, f.srv.Corp(f.srv.CorpID).Messages().WelcomeCode(scan.WelcomeCode))

			// The tags and remark are applied before the push is answered
			// (synchronously) or by the workers: wait for them.
			require.Eventually(t, func() bool {
				rel, ok := f.srv.Corp(f.srv.CorpID).Relation(scan.UserID, scan.ExternalUserID)
				return ok && slices.Contains(rel.TagIDs, f.tagID) && rel.Remark != ""
			}, 5*time.Second, time.Millisecond)
			rel, _ := f.srv.Corp(f.srv.CorpID).Relation(scan.UserID, scan.ExternalUserID)
			assert.Equal(t, "X·"+time.Now().In(time.FixedZone("CST", 8*3600)).Format("20060102"), rel.Remark)
		})
	}
}

// BenchmarkChannelCodeToWelcome is the whole path per customer: the scan
// (one wecomtest call: customer added, welcome code issued, the event
// encrypted and pushed), the Handler (decrypt, de-dup, dispatch), the
// welcome resolved by channel and sent (send_welcome_msg) on the Welcomes'
// goroutine, the tag marked and the remark set. push-to-welcome-µs is the
// time from the push to the welcome's acceptance by the fake.
func BenchmarkChannelCodeToWelcome(b *testing.B) {
	f := setupChannelFlow(b, []wecom.Option{unlimited})
	benchScans(b, f.cb, f.code.ConfigID, f.results)
}

// BenchmarkChannelCodeToWelcomeHandWritten is the reference: a handler
// written by hand for the one channel, doing the same calls with nothing
// looked up: read the name and send the welcome on a goroutine, mark the
// tag and set the remark.
func BenchmarkChannelCodeToWelcomeHandWritten(b *testing.B) {
	srv, c := testkit.Setup(b, testkit.WithStaff("zhangsan", "lisi"), testkit.WithClientOptions(unlimited))
	contacts, msgs := contact.New(c), message.New(c)
	g, err := contacts.AddCorpTag(b.Context(), &contact.AddCorpTagRequest{GroupName: "来源", Tag: []contact.NewTag{{Name: "海报"}}})
	require.NoError(b, err)
	way, err := contacts.AddContactWay(b.Context(), &contact.AddContactWayRequest{Type: contact.ContactWayMulti, Scene: contact.SceneQRCode,
		State: "X", User: []string{"zhangsan", "lisi"}})
	require.NoError(b, err)
	rs := newResults()
	cb := testkit.Callback(b, srv, func(h *callback.Handler) {
		h.OnAddExternalContact(func(ctx context.Context, ev *callback.ExternalContactEvent) error {
			go func() {
				ctx := context.WithoutCancel(ctx)
				name, err := contacts.CustomerName(ctx, ev.ExternalUserID)
				if err == nil {
					err = msgs.SendWelcomeMsg(ctx, &message.SendWelcomeMsgRequest{WelcomeCode: ev.WelcomeCode,
						Text: &message.Text{Content: "Welcome from channel X, " + name + "!"}})
				}
				rs.hook(ctx, &message.WelcomeResult{Outcome: message.WelcomeSent, Err: err, Done: time.Now()})
			}()
			err := contacts.MarkTag(ctx, &contact.MarkTagRequest{UserID: ev.UserID, ExternalUserID: ev.ExternalUserID, AddTag: []string{g.Tag[0].ID}})
			if err != nil {
				return err
			}
			return contacts.Remark(ctx, &contact.RemarkRequest{UserID: ev.UserID, ExternalUserID: ev.ExternalUserID,
				Remark: "X·" + time.Now().In(time.FixedZone("CST", 8*3600)).Format("20060102")})
		})
	})
	benchScans(b, cb, way.ConfigID, rs)
}

func benchScans(b *testing.B, cb *wecomtest.Corp, configID string, rs *results) {
	var total time.Duration
	b.ReportAllocs()
	for b.Loop() {
		start := time.Now()
		if _, err := cb.ScanContactWay(b.Context(), configID, ""); err != nil {
			b.Fatal(err)
		}
		res := rs.next(b)
		if res.Outcome != message.WelcomeSent || res.Err != nil {
			b.Fatal(res.Outcome, res.Err)
		}
		total += res.Done.Sub(start)
	}
	b.ReportMetric(float64(total.Microseconds())/float64(b.N), "push-to-welcome-µs")
}
