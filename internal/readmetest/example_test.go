package readmetest_test

// The production code the README shows (each function below is copied into
// README.md and README.zh-CN.md line for line), and the Examples that wire
// the fake WeCom around it, so that every snippet compiles and runs.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/go-resty/resty/v2"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/scrmkit/scrm/callback"
	"github.com/scrmkit/scrm/contact"
	"github.com/scrmkit/scrm/message"
	"github.com/scrmkit/scrm/redisstore"
	"github.com/scrmkit/scrm/scrmotel"
	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

// launchChannel sets up the path every SCRM leads with: a channel code
// (渠道活码) for one marketing channel; every customer who scans it is
// welcomed by the channel's own message, tagged with the channel's tag and
// given a remark. Run it at start-up (it is safe to run again) and publish
// code.QRCode.
func launchChannel(ctx context.Context, c *wecom.Client, h *callback.Handler) (*contact.ChannelCode, *message.Welcomes, error) {
	contacts := contact.New(c)
	tags, err := contacts.ApplyTaxonomy(ctx, &contact.ApplyTaxonomyRequest{Taxonomy: contact.Taxonomy{
		Groups: []contact.TaxonomyGroup{{Name: "来源", Tags: []string{"春季海报"}}}, // created once, ids by name
	}})
	if err != nil {
		return nil, nil, err
	}
	posterTag, _ := tags.TagID("来源", "春季海报")

	channels, err := contact.NewChannels(contacts, c.Store(), contact.ChannelTemplate{})
	if err != nil {
		return nil, nil, err
	}
	code, err := channels.Ensure(ctx, contact.Channel{ // one contact way per channel, found again after a restart
		Name:   "spring-poster",
		Users:  []string{"zhangsan", "lisi"},
		Tags:   []string{posterTag}, // marked on every customer who scans
		Remark: "{channel}·{name}",  // the member's remark on the customer
	})
	if err != nil {
		return nil, nil, err
	}

	welcomes, err := message.NewWelcomes(message.New(c), message.WelcomeRules{
		Channels: map[string]*message.Welcome{"spring-poster": {Text: "%NICKNAME%，感谢扫码！春季新品八折。"}},
		Default:  &message.Welcome{Text: "欢迎！"},
	},
		message.WithChannelResolver(channels), // which channel a customer came through
		message.WithNameSource(contacts),      // %NICKNAME%
	)
	if err != nil {
		return nil, nil, err
	}
	channels.Register(h) // tags and remark
	welcomes.Register(h) // the welcome, inside the welcome code's 20 seconds
	return code, welcomes, nil
}

// The flagship path against the fake: a scan of the code ends in the
// channel's welcome sent, the tag marked and the remark set.
func Example_launchChannel() {
	ctx := context.Background()
	srv := wecomtest.Start() // stands in for WeCom
	defer srv.Close()
	corp := srv.Corp(srv.CorpID)
	_ = corp.AddStaff("zhangsan", "lisi")
	token, aesKey := "callbackToken", wecomtest.NewEncodingAESKey()
	h, _ := callback.NewHandler(token, aesKey, callback.WithReceiverID(srv.CorpID))
	defer h.Close(ctx)
	hs := httptest.NewServer(h)
	defer hs.Close()
	corp.SetCallback(hs.URL, token, aesKey)

	code, welcomes, err := launchChannel(ctx, srv.Client(), h)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer welcomes.Close(ctx)

	scan, _ := corp.ScanContactWay(ctx, code.ConfigID, "") // a WeChat user scans the code
	_, _ = corp.Messages().WaitWelcome(ctx, scan.ExternalUserID)
	rel, _ := corp.WaitRelation(ctx, scan.UserID, scan.ExternalUserID, func(r wecomtest.Relation) bool {
		return len(r.TagIDs) > 0 && strings.HasPrefix(r.Remark, "spring-poster")
	})
	fmt.Println("welcomed:", len(corp.Messages().WelcomesSent()), "tags:", len(rel.TagIDs), "remark:", rel.Remark)
	// Output:
	// welcomed: 1 tags: 1 remark: spring-poster·Visito
}

// corpClient is the one client of a (corp, app): share it between
// goroutines and give every instance of the backend the same Store.
func corpClient(corpID, secret string, store wecom.Store, logger *slog.Logger) *wecom.Client {
	return wecom.New(corpID, secret,
		wecom.WithStore(store),   // tokens fetched once for every instance sharing it
		wecom.WithLogger(logger), // silent without it; tokens and secrets are never logged
	)
}

// springSale creates a mass send (群发) to the customers with a tag. A
// create is never re-sent once it may have reached WeCom: the error then
// says where to look before trying again.
func springSale(ctx context.Context, c *wecom.Client, tagID string) (string, error) {
	task, err := message.New(c).AddMsgTemplate(ctx, &message.AddMsgTemplateRequest{
		Sender:    "zhangsan",
		TagFilter: message.AnyTag(tagID),
		Text:      &message.Text{Content: "春季新品八折，本周有效。"},
	})
	var maybe *wecom.MaybeCreatedError
	var we *wecom.Error
	switch {
	case errors.As(err, &maybe):
		return "", fmt.Errorf("look for the task before sending again (%s): %w", maybe.Hint, err)
	case wecom.IsRateLimited(err): // WeCom's 45009, or the client-side limiter refusing to wait past ctx
		return "", err
	case errors.As(err, &we) && we.Code == wecom.CodeAPIForbidden:
		return "", fmt.Errorf("grant the app the customer-contact permission: %w", err)
	case err != nil:
		return "", err
	}
	return task.MsgID, nil
}

func Example_client() {
	srv := wecomtest.Start()
	defer srv.Close()
	_ = srv.Corp(srv.CorpID).AddStaff("zhangsan")
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	c := corpClient(srv.CorpID, srv.Secret, wecom.NewMemoryStore(), logger)
	c = srv.ClientFor(srv.CorpID) // the same, wired to the fake
	ctx := context.Background()
	customers, _ := srv.Corp(srv.CorpID).SeedCustomers(3, []string{"zhangsan"})
	tag, _ := contact.New(c).AddCorpTag(ctx, &contact.AddCorpTagRequest{GroupName: "来源", Tag: []contact.NewTag{{Name: "海报"}}})
	_ = contact.New(c).MarkTag(ctx, &contact.MarkTagRequest{UserID: "zhangsan", ExternalUserID: customers[0], AddTag: []string{tag.Tag[0].ID}})
	msgID, err := springSale(ctx, c, tag.Tag[0].ID)
	fmt.Println(msgID != "", err)
	// Output:
	// true <nil>
}

// callbackHandler serves one corp's callback URL (GET URL check, POST
// events). Handlers answer WeCom at once and run on a bounded pool; WeCom's
// re-sends run once.
func callbackHandler(token, aesKey, corpID string, logger *slog.Logger) (*callback.Handler, error) {
	h, err := callback.NewHandler(token, aesKey,
		callback.WithReceiverID(corpID), // required: whose pushes this URL accepts
		callback.WithWorkers(8, 1024),   // answered "success" once queued
		callback.WithLogger(logger),
		callback.WithErrorHook(func(ctx context.Context, ev callback.Event, err error) {
			logger.Error("callback handler failed", "kind", ev.Header().Kind(), "err", err)
		}))
	if err != nil {
		return nil, err
	}
	h.OnAddExternalContact(func(ctx context.Context, ev *callback.ExternalContactEvent) error {
		logger.Info("new customer", "member", ev.UserID, "state", ev.State)
		return nil
	})
	return h, nil
}

func Example_callbackHandler() {
	srv := wecomtest.Start()
	defer srv.Close()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	token, aesKey := "callbackToken", wecomtest.NewEncodingAESKey()
	h, err := callbackHandler(token, aesKey, srv.CorpID, logger)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer h.Close(context.Background())
	mux := http.NewServeMux()
	mux.Handle("/wecom/callback", h)
	hs := httptest.NewServer(mux)
	defer hs.Close()
	res, err := wecomtest.NewPusher(hs.URL+"/wecom/callback", token, aesKey, srv.CorpID).VerifyURL(context.Background(), "echo-1")
	fmt.Println(res.Status(), res.Body(), err)
	// Output:
	// 200 echo-1 <nil>
}

// serveSuite serves a third-party app's two callback URLs: the command URL
// (tickets, installs, uninstalls, handled by the SDK) and the data URL
// (events of the authorized corps, and no one else's).
func serveSuite(mux *http.ServeMux, suite *wecom.Suite, token, aesKey string, installed func(corpID string)) (shutdown func(context.Context) error, err error) {
	cmd, err := callback.NewSuiteCommandHandler(suite, token, aesKey, callback.WithSuiteHooks(callback.SuiteHooks{
		Authorized: func(ctx context.Context, ev *callback.CreateAuthEvent, info *wecom.PermanentCodeInfo) error {
			installed(info.AuthCorpInfo.CorpID) // the permanent code is stored; the corp's client works
			return nil
		},
	}))
	if err != nil {
		return nil, err
	}
	data, err := callback.NewSuiteDataHandler(suite, token, aesKey)
	if err != nil {
		return nil, err
	}
	data.OnAddExternalContact(func(ctx context.Context, ev *callback.ExternalContactEvent) error {
		followers, err := contact.New(suite.Corp(ev.CorpID())).ListFollowUsers(ctx) // act for that corp
		_ = followers
		return err
	})
	mux.Handle("/suite/command", cmd)
	mux.Handle("/suite/data", data)
	return func(ctx context.Context) error { return errors.Join(cmd.Close(ctx), data.Close(ctx)) }, nil
}

func Example_serveSuite() {
	ctx := context.Background()
	srv := wecomtest.Start()
	defer srv.Close()
	fake := srv.AddSuite("wwsuite00000001", "suite-secret")
	suite := wecom.NewSuite("wwsuite00000001", "suite-secret",
		srv.SuiteOptions(wecom.WithProviderCorpID("wwprovider000001"))...)
	token, aesKey := "callbackToken", wecomtest.NewEncodingAESKey()
	mux := http.NewServeMux()
	installed := make(chan string, 1)
	shutdown, err := serveSuite(mux, suite, token, aesKey, func(corpID string) { installed <- corpID })
	if err != nil {
		fmt.Println(err)
		return
	}
	defer shutdown(ctx)
	hs := httptest.NewServer(mux)
	defer hs.Close()
	fake.SetCallback(hs.URL+"/suite/command", token, aesKey)
	_, _ = fake.PushNewTicket(ctx)                   // WeCom's ticket push, every 10 minutes
	_, _ = fake.Install(ctx, "wwcorp0000000001", "") // an admin installs the app
	corpID := <-installed
	_, err = suite.Corp(corpID).AccessToken(ctx)
	fmt.Println("installed:", corpID, "corp token:", err == nil)
	// Output:
	// installed: wwcorp0000000001 corp token: true
}

// A test of production code against the fake: a customer who scans the
// channel code is welcomed by name. (This is the README's "Testing with the
// fake" snippet.)
func TestLaunchChannelWelcomesByName(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	srv := wecomtest.NewServer(t) // closed when the test ends
	corp := srv.Corp(srv.CorpID)
	require.NoError(t, corp.AddStaff("zhangsan", "lisi"))
	token, aesKey := "callbackToken", wecomtest.NewEncodingAESKey()
	h, err := callback.NewHandler(token, aesKey, callback.WithReceiverID(srv.CorpID))
	require.NoError(t, err)
	hs := httptest.NewServer(h)
	t.Cleanup(hs.Close)
	corp.SetCallback(hs.URL, token, aesKey) // the fake pushes its events here

	code, welcomes, err := launchChannel(ctx, srv.Client(), h)
	require.NoError(t, err)
	t.Cleanup(func() { _ = welcomes.Close(context.Background()) })

	scan, err := corp.ScanContactWay(ctx, code.ConfigID, "") // add_external_contact, with a welcome code
	require.NoError(t, err)
	w, err := corp.Messages().WaitWelcome(ctx, scan.ExternalUserID)
	require.NoError(t, err)
	require.Contains(t, w.Text, "感谢扫码") // %NICKNAME% became the customer's name
	require.NotContains(t, w.Text, "%NICKNAME%")
}

// overResty sends the SDK's calls through the application's own resty
// client (timeout, proxy, TLS, tracing and logging middlewares). Its
// middlewares never see a token or a secret: the SDK adds them below resty.
func overResty(corpID, secret string, rc *resty.Client, opts ...wecom.Option) *wecom.Client {
	rc.SetTimeout(10 * time.Second)
	rc.OnBeforeRequest(func(_ *resty.Client, r *resty.Request) error {
		slog.Debug("wecom call", "method", r.Method, "url", r.URL) // no access_token in r.URL
		return nil
	})
	return wecom.New(corpID, secret, append(opts, wecom.WithRestyClient(rc))...)
}

func Example_overResty() {
	srv := wecomtest.Start()
	defer srv.Close()
	c := overResty(srv.CorpID, srv.Secret, resty.New(), wecom.WithBaseURL(srv.URL))
	_, err := c.AccessToken(context.Background())
	fmt.Println(err)
	// Output:
	// <nil>
}

// observed reports what a client and a callback handler do as
// OpenTelemetry spans and metrics, to the providers the service already
// exports with.
func observed(corpID, secret, token, aesKey string, tp trace.TracerProvider, mp metric.MeterProvider, opts ...wecom.Option) (*wecom.Client, *callback.Handler, error) {
	obs, err := scrmotel.New(scrmotel.WithTracerProvider(tp), scrmotel.WithMeterProvider(mp))
	if err != nil {
		return nil, nil, err
	}
	c := wecom.New(corpID, secret, append(opts, wecom.WithObserver(obs))...)
	h, err := callback.NewHandler(token, aesKey, callback.WithReceiverID(corpID), callback.WithObserver(obs))
	return c, h, err
}

func Example_observed() {
	srv := wecomtest.Start()
	defer srv.Close()
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	c, h, err := observed(srv.CorpID, srv.Secret, "token", wecomtest.NewEncodingAESKey(), tp, mp, wecom.WithBaseURL(srv.URL))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer h.Close(context.Background())
	_, _ = c.AccessToken(context.Background())
	fmt.Println(spans.Ended()[0].Name())
	// Output:
	// wecom /cgi-bin/gettoken
}

// sharedInstance is one of several instances of a backend serving the same
// corp: tokens, WeCom's frequency limits, callback de-duplication and the
// callback queue live in one Redis, so the instances fetch each token once,
// stay under WeCom's limits together and run each push once.
func sharedInstance(ctx context.Context, rdb redis.UniversalClient, key []byte, corpID, secret, token, aesKey string, opts ...wecom.Option) (*wecom.Client, *callback.Handler, error) {
	store, err := redisstore.New(ctx, rdb, redisstore.WithEncryptionKey(key)) // secrets sealed at rest
	if err != nil {
		return nil, nil, err
	}
	limiter := store.NewLimiter(wecom.DefaultLimit(), nil) // counted across instances
	c := wecom.New(corpID, secret, append(opts, wecom.WithStore(store), wecom.WithLimiter(limiter))...)
	queue, err := store.NewQueue(redisstore.WithName("callbacks")) // pushes stored before "success", run by any instance
	if err != nil {
		return nil, nil, err
	}
	h, err := callback.NewHandler(token, aesKey, callback.WithReceiverID(corpID), callback.WithQueue(queue))
	if err != nil {
		return nil, nil, err
	}
	return c, h, nil // register the handler functions on h, then h.Start()
}

func Example_sharedInstance() {
	ctx := context.Background()
	mr, _ := miniredis.Run() // stands in for the shared Redis
	defer mr.Close()
	srv := wecomtest.Start()
	defer srv.Close()
	key := make([]byte, 32) // from the secret manager
	var clients []*wecom.Client
	for range 2 { // two instances
		rdb := redis.NewClient(&redis.Options{Addr: mr.Addr()})
		defer rdb.Close()
		c, h, err := sharedInstance(ctx, rdb, key, srv.CorpID, srv.Secret, "token", wecomtest.NewEncodingAESKey(),
			wecom.WithBaseURL(srv.URL))
		if err != nil {
			fmt.Println(err)
			return
		}
		h.Start() // after registering the handler functions: the queue's workers begin
		defer h.Close(ctx)
		clients = append(clients, c)
	}
	for _, c := range clients {
		_, _ = c.AccessToken(ctx)
	}
	fmt.Println("token fetches for two instances:", srv.Corp(srv.CorpID).TokenFetches())
	// Output:
	// token fetches for two instances: 1
}
