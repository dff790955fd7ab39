package wecom_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

// slowStore is a MemoryStore (and Locker) that takes delay for every call,
// as a Store across the network (Redis) does: the gaps between a token's
// rejection and its removal from the Store become wide enough to hit.
type slowStore struct {
	m     *wecom.MemoryStore
	delay time.Duration
	calls atomic.Int64
}

func newSlowStore(delay time.Duration) *slowStore {
	return &slowStore{m: wecom.NewMemoryStore(), delay: delay}
}

func (s *slowStore) pause() {
	s.calls.Add(1)
	time.Sleep(s.delay)
}

func (s *slowStore) Get(ctx context.Context, key string) (string, bool, error) {
	s.pause()
	return s.m.Get(ctx, key)
}

func (s *slowStore) Set(ctx context.Context, key, value string, ttl time.Duration) error {
	s.pause()
	return s.m.Set(ctx, key, value, ttl)
}

func (s *slowStore) Delete(ctx context.Context, key string) error {
	s.pause()
	return s.m.Delete(ctx, key)
}

func (s *slowStore) CompareAndSwap(ctx context.Context, key, old, value string, ttl time.Duration) (bool, error) {
	s.pause()
	return s.m.CompareAndSwap(ctx, key, old, value, ttl)
}

func (s *slowStore) Lock(ctx context.Context, key string, ttl time.Duration) (func(), error) {
	s.pause()
	return s.m.Lock(ctx, key, ttl)
}

// Rounds of the rejection tests: half expiries (42001 / 42009), half
// revocations (40014 / 40082), each with callers goroutines spread over
// instances sharing one slow Store.
const (
	rejectRounds    = 40
	rejectCallers   = 100
	rejectInstances = 4
	storeLatency    = 300 * time.Microsecond
)

// rejectionRounds runs the rounds: before each, reject (expire on even
// rounds, revoke on odd ones) the token every instance holds; then
// rejectCallers goroutines make one call each through instance i%n
// (call(i)). It returns the calls that failed (each had its one repeat
// after the rejection) and the fetches of each round (fetches(), read
// before and after).
func rejectionRounds(t *testing.T, reject func(round int), call func(ctx context.Context, i int) error, fetches func() int) (failed []string, perRound []int) {
	t.Helper()
	ctx := t.Context()
	var mu sync.Mutex
	for round := range rejectRounds {
		reject(round)
		before := fetches()
		var wg sync.WaitGroup
		for i := range rejectCallers {
			wg.Go(func() {
				if err := call(ctx, i); err != nil {
					mu.Lock()
					failed = append(failed, fmt.Sprintf("round %d caller %d: %v", round, i, err))
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		perRound = append(perRound, fetches()-before)
	}
	return failed, perRound
}

func oneFetchEach() []int {
	out := make([]int, rejectRounds)
	for i := range out {
		out[i] = 1
	}
	return out
}

// After WeCom rejects a token, no call is sent with it again: every call
// of a round succeeds with its one repeat, on every instance, and the round
// costs one fetch for all of them.
func TestTokenRejection_CorpTokenIsNeverSentAgain(t *testing.T) {
	t.Parallel()
	srv := wecomtest.NewServer(t)
	store := newSlowStore(storeLatency)
	corp := srv.Corp(srv.CorpID)
	clients := make([]*wecom.Client, rejectInstances)
	for i := range clients {
		clients[i] = srv.Client(wecom.WithStore(store))
		_, err := clients[i].AccessToken(t.Context())
		require.NoError(t, err)
	}
	require.Equal(t, 1, corp.TokenFetches(), "the instances share the first token")

	failed, perRound := rejectionRounds(t,
		func(round int) {
			if round%2 == 0 {
				corp.ExpireTokens()
			} else {
				corp.RevokeTokens()
			}
		},
		func(ctx context.Context, i int) error {
			var out struct {
				IPList []string `json:"ip_list"`
			}
			return clients[i%rejectInstances].Get(ctx, "/cgi-bin/get_api_domain_ip", nil, &out)
		},
		corp.TokenFetches)
	assert.Empty(t, failed, "calls sent again with the token WeCom had rejected")
	assert.Equal(t, oneFetchEach(), perRound, "token fetches per round")
}

// The same for the access tokens of an authorized corp, which a Suite's
// instances fetch with get_corp_token and share through the Store.
func TestTokenRejection_SuiteCorpTokenIsNeverSentAgain(t *testing.T) {
	t.Parallel()
	srv := wecomtest.NewServer(t)
	store := newSlowStore(storeLatency)
	const suiteID = "wwsuitereject0001"
	srv.AddSuite(suiteID, testSuiteSecret)
	fs := srv.Suite(suiteID)
	authCode, err := fs.Install(t.Context(), srv.CorpID, "")
	require.NoError(t, err)
	corps := make([]*wecom.Client, rejectInstances)
	for i := range corps {
		s := wecom.NewSuite(suiteID, testSuiteSecret, srv.SuiteOptions(wecom.WithStore(store))...)
		require.NoError(t, s.SetTicket(t.Context(), fs.IssueTicket()))
		if i == 0 {
			_, err := s.HandleCreateAuth(t.Context(), authCode)
			require.NoError(t, err)
		}
		corps[i] = s.Corp(srv.CorpID)
		_, err := corps[i].AccessToken(t.Context())
		require.NoError(t, err)
	}
	fetches := func() int { return fs.CorpTokenFetches(srv.CorpID) }
	require.Equal(t, 1, fetches(), "the instances share the first corp token")

	corp := srv.Corp(srv.CorpID)
	failed, perRound := rejectionRounds(t,
		func(round int) {
			if round%2 == 0 {
				corp.ExpireTokens()
			} else {
				corp.RevokeTokens()
			}
		},
		func(ctx context.Context, i int) error {
			var out struct {
				IPList []string `json:"ip_list"`
			}
			return corps[i%rejectInstances].Get(ctx, "/cgi-bin/get_api_domain_ip", nil, &out)
		},
		fetches)
	assert.Empty(t, failed, "calls sent again with the corp token WeCom had rejected")
	assert.Equal(t, oneFetchEach(), perRound, "get_corp_token calls per round")
}

// The same for the suite_access_token, which every instance of a Suite
// shares, and for the provider_access_token of a Provider.
func TestTokenRejection_SuiteTokenIsNeverSentAgain(t *testing.T) {
	t.Parallel()
	srv := wecomtest.NewServer(t)
	store := newSlowStore(storeLatency)
	const suiteID = "wwsuitereject0002"
	srv.AddSuite(suiteID, testSuiteSecret)
	fs := srv.Suite(suiteID)
	authCode, err := fs.Install(t.Context(), srv.CorpID, "")
	require.NoError(t, err)
	suites := make([]*wecom.Suite, rejectInstances)
	for i := range suites {
		suites[i] = wecom.NewSuite(suiteID, testSuiteSecret, srv.SuiteOptions(wecom.WithStore(store))...)
		require.NoError(t, suites[i].SetTicket(t.Context(), fs.IssueTicket()))
		if i == 0 {
			_, err := suites[i].HandleCreateAuth(t.Context(), authCode)
			require.NoError(t, err)
		}
		_, err := suites[i].AccessToken(t.Context())
		require.NoError(t, err)
	}
	require.Equal(t, 1, fs.TokenFetches(), "the instances share the first suite token")

	failed, perRound := rejectionRounds(t,
		func(round int) {
			if round%2 == 0 {
				fs.ExpireTokens()
			} else {
				fs.RevokeTokens()
			}
		},
		func(ctx context.Context, i int) error {
			_, err := suites[i%rejectInstances].GetAuthInfo(ctx, srv.CorpID)
			return err
		},
		fs.TokenFetches)
	assert.Empty(t, failed, "calls sent again with the suite token WeCom had rejected")
	assert.Equal(t, oneFetchEach(), perRound, "get_suite_token calls per round")
}

func TestTokenRejection_ProviderTokenIsNeverSentAgain(t *testing.T) {
	t.Parallel()
	srv := wecomtest.NewServer(t)
	store := newSlowStore(storeLatency)
	const providerCorpID, providerSecret = "wwproviderreject1", "provider-secret-for-tests"
	srv.AddProvider(providerCorpID, providerSecret)
	providers := make([]*wecom.Provider, rejectInstances)
	for i := range providers {
		providers[i] = wecom.NewProvider(providerCorpID, providerSecret, srv.ClientOptions(wecom.WithStore(store))...)
		_, err := providers[i].AccessToken(t.Context())
		require.NoError(t, err)
	}
	fetches := func() int { return srv.Count("/cgi-bin/service/get_provider_token") }
	require.Equal(t, 1, fetches(), "the instances share the first provider token")

	failed, perRound := rejectionRounds(t,
		func(int) { srv.RevokeProviderTokens(providerCorpID) },
		func(ctx context.Context, i int) error {
			var out struct {
				OpenCorpID string `json:"open_corpid"`
			}
			return providers[i%rejectInstances].Post(ctx, "/cgi-bin/service/corpid_to_opencorpid",
				map[string]string{"corpid": srv.CorpID}, &out)
		},
		fetches)
	assert.Empty(t, failed, "calls sent again with the provider token WeCom had rejected")
	assert.Equal(t, oneFetchEach(), perRound, "get_provider_token calls per round")
}
