package wecom

import (
	"container/list"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/scrmkit/scrm/internal/kv"
)

// SuiteKind says which kind of multi-tenant app a Suite is.
type SuiteKind int

const (
	// SuiteAuto picks the kind from the suite id: ids starting with "dk"
	// are agent-developed templates, everything else a third-party app.
	SuiteAuto SuiteKind = iota
	// SuiteThirdParty is a third-party app (第三方应用): corp tokens come from
	// service/get_corp_token with the corp's permanent code.
	SuiteThirdParty
	// SuiteAgentDeveloped is an agent-developed app template (代开发应用模板,
	// id "dk..."): the permanent code is the app's secret in the corp and
	// corp tokens come from gettoken.
	SuiteAgentDeveloped
)

// String names the kind.
func (k SuiteKind) String() string {
	switch k {
	case SuiteThirdParty:
		return "third-party"
	case SuiteAgentDeveloped:
		return "agent-developed"
	}
	return "auto"
}

// DefaultMaxCorpClients is how many per-corp clients a Suite keeps unless
// WithMaxCorpClients says otherwise.
const DefaultMaxCorpClients = 1000

// suiteTicketLife is how long WeCom accepts a suite_ticket (30 minutes).
const suiteTicketLife = 30 * time.Minute

// ticketClockSkew is how far in the future a ticket's stamp may lie before
// it is taken for a skewed clock.
const ticketClockSkew = time.Minute

// ErrCorpNotAuthorized is matched (errors.Is) by the errors of calls for a
// corp that has not authorized the suite: no permanent code is stored for
// it, or WeCom rejected the stored one (40084: the corp cancelled the
// authorization, or the code belongs to another suite).
var ErrCorpNotAuthorized = errors.New("wecom: corp has not authorized this suite")

// ErrNoSuiteTicket is matched by the error of a suite call made before any
// suite_ticket was given to SetTicket (WeCom pushes one every 10 minutes to
// the command callback URL; the provider console can push one on demand).
var ErrNoSuiteTicket = errors.New("wecom: no suite_ticket stored yet; wait for WeCom's next push (every 10 minutes) or refresh it in the provider console")

// Suite is a third-party app (第三方应用) or an agent-developed app template
// (代开发应用模板) serving many corps. It keeps the newest suite_ticket, the
// suite_access_token and one permanent code per authorized corp, all in the
// Store, so that every instance sharing the Store sees the same state, and it
// hands out a *Client per authorized corp with Corp.
//
// Store keys (no key ever holds a secret, token or permanent code; values
// do, so treat the Store as secret storage):
//
//	wecom:suite:<suite id>:ticket                          "<unix ms>:<ticket>", the newest ticket
//	wecom:token:suite:<suite id>:<secret fingerprint>      the suite_access_token
//	wecom:suite:<suite id>:corp:<corp id>:permanent_code   the corp's permanent code
//	wecom:suite:<suite id>:corps:<shard>                   JSON array of authorized corp ids, in 64 shards (00 to 3f)
//	wecom:token:suite:<suite id>:corp:<corp id>            the corp's access token
//
// A Suite is safe for concurrent use.
type Suite struct {
	id     string
	kind   SuiteKind
	opts   options
	api    *Client // calls with ?suite_access_token=
	store  Store
	logger *slog.Logger

	mu      sync.Mutex
	max     int
	lru     *list.List               // of *suiteCorp, most recently used first
	clients map[string]*list.Element // corp id → element of lru
}

type suiteCorp struct {
	corpID string
	client *Client
}

// NewSuite returns a Suite for a third-party app (suite id "ww..."/"wx...",
// legacy "tj...") or an agent-developed app template (id "dk..."), with the
// suite secret from the provider console. Give every instance that serves
// the suite the same Store (WithStore) so that tickets, tokens and permanent
// codes are shared. Every Option applies to the suite's own calls and to
// the clients of its corps; WithSuiteKind, WithMaxCorpClients and
// WithProviderCorpID set what is particular to suites.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/90600
// and https://developer.work.weixin.qq.com/document/path/97162
func NewSuite(suiteID, suiteSecret string, opts ...SuiteOption) *Suite {
	o := defaultOptions()
	for _, opt := range opts {
		if opt != nil {
			opt.applySuite(&o)
		}
	}
	o.withoutTokenSource("NewSuite") // a Suite makes its own token sources
	o.fill()                         // one Store and one Limiter for the suite and all its corps
	if o.err == nil && o.rc == nil {
		// One resty client for the suite and all its corps.
		rc, err := restyFor(&o)
		o.rc = rc
		o.recordErr(err)
	}
	kind := o.suiteKind
	if kind == SuiteAuto {
		kind = SuiteThirdParty
		if strings.HasPrefix(suiteID, "dk") {
			kind = SuiteAgentDeveloped
		}
	}
	max := o.maxCorpClients
	if max <= 0 {
		max = DefaultMaxCorpClients
	}
	s := &Suite{
		id: suiteID, kind: kind, opts: o, store: o.store, logger: o.logger,
		max: max, lru: list.New(), clients: map[string]*list.Element{},
	}
	s.api = newClient(suiteID, o)
	s.api.tokenParam = "suite_access_token"
	key := "wecom:token:suite:" + suiteID + ":" + secretFingerprint(suiteSecret)
	s.api.tokens = s.api.newTokenCache(key, s.fetchSuiteToken(suiteSecret), TokenSuite, suiteID, "")
	return s
}

// ID returns the suite id.
func (s *Suite) ID() string { return s.id }

// Kind returns the kind of app (never SuiteAuto).
func (s *Suite) Kind() SuiteKind { return s.kind }

// Store returns the Store the suite keeps its state in (WithStore), for
// helpers that keep suite-wide state beside it (package callback keeps
// auth-code exchanges waiting for a ticket there).
func (s *Suite) Store() Store { return s.store }

// ProviderCorpID returns the provider's own corp id given with
// WithProviderCorpID, or "" when none was given.
func (s *Suite) ProviderCorpID() string { return s.opts.providerCorpID }

func (s *Suite) ticketKey() string { return "wecom:suite:" + s.id + ":ticket" }

// corpIndexShards is how many keys the authorized-corp index is spread
// over: an install rewrites one shard, so installing N corps costs about
// N²/corpIndexShards instead of N² (10,000 installs rewrote 10,000 JSON
// arrays of up to 10,000 ids, 29 s in memory, before the index was split).
const corpIndexShards = 64

func (s *Suite) corpsKey(corpID string) string {
	return s.corpsShardKey(int(fnv32(corpID) % corpIndexShards))
}

func (s *Suite) corpsShardKey(shard int) string {
	const hexdigits = "0123456789abcdef"
	return "wecom:suite:" + s.id + ":corps:" + string([]byte{hexdigits[shard>>4], hexdigits[shard&15]})
}

// fnv32 is FNV-1a, for spreading corp ids over the index shards.
func fnv32(s string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h ^= uint32(s[i])
		h *= 16777619
	}
	return h
}
func (s *Suite) codeKey(corpID string) string {
	return "wecom:suite:" + s.id + ":corp:" + corpID + ":permanent_code"
}
func (s *Suite) refusedKey(corpID string) string {
	return "wecom:suite:" + s.id + ":corp:" + corpID + ":refused"
}
func (s *Suite) corpTokenKey(corpID string) string {
	return "wecom:token:suite:" + s.id + ":corp:" + corpID
}

// SetTicket stores a suite_ticket received now. Use SetTicketAt with the
// callback's TimeStamp when it is known.
func (s *Suite) SetTicket(ctx context.Context, ticket string) error {
	return s.SetTicketAt(ctx, ticket, s.opts.now())
}

// SetTicketAt stores the suite_ticket WeCom pushed at time at (the
// TimeStamp of the suite_ticket callback). The newest ticket wins: a ticket
// older than the stored one is ignored, also when several instances store
// tickets at once (the Store's CompareAndSwap decides). WeCom accepts a
// ticket for 30 minutes; always using the newest is what its docs ask.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/90628
func (s *Suite) SetTicketAt(ctx context.Context, ticket string, at time.Time) error {
	if ticket == "" {
		return errors.New("wecom: SetTicket: empty suite_ticket")
	}
	if strings.ContainsAny(ticket, "\r\n") {
		return errors.New("wecom: SetTicket: suite_ticket contains a line break")
	}
	now := s.opts.now()
	if at.After(now.Add(ticketClockSkew)) {
		// A stamp from the future would make every real ticket look older.
		s.logger.Warn("wecom: suite_ticket stamped in the future; using the local time", "suite", s.id, "at", at)
		at = now
	}
	val := encodeTicket(at, ticket)
	stored := false
	err := kv.Update(ctx, s.store, s.ticketKey(), 0, func(cur string, ok bool) (string, error) {
		stored = false
		if ok {
			// A stored ticket wins unless it is malformed, stamped in the
			// future (a skewed clock wrote it) or past WeCom's 30 minutes.
			if curAt, curTicket, valid := decodeTicket(cur); valid &&
				!curAt.After(now.Add(ticketClockSkew)) && now.Sub(curAt) < suiteTicketLife {
				if curTicket == ticket || !at.After(curAt) {
					return cur, nil // same or older than the stored one
				}
			}
		}
		stored = true
		return val, nil
	})
	if errors.Is(err, kv.ErrContention) {
		return errors.New("wecom: SetTicket: store kept changing; ticket not stored")
	}
	if err != nil {
		return fmt.Errorf("wecom: SetTicket: store: %w", err)
	}
	if stored {
		s.logger.Debug("wecom: stored suite_ticket", "suite", s.id, "at", at)
	}
	return nil
}

func encodeTicket(at time.Time, ticket string) string {
	return strconv.FormatInt(at.UnixMilli(), 10) + ":" + ticket
}

func decodeTicket(v string) (time.Time, string, bool) {
	ms, t, ok := strings.Cut(v, ":")
	if !ok || t == "" {
		return time.Time{}, "", false
	}
	n, err := strconv.ParseInt(ms, 10, 64)
	if err != nil {
		return time.Time{}, "", false
	}
	return time.UnixMilli(n), t, true
}

// ticket returns the newest stored ticket and when it was pushed.
func (s *Suite) ticket(ctx context.Context) (string, time.Time, error) {
	v, ok, err := s.store.Get(ctx, s.ticketKey())
	if err != nil {
		return "", time.Time{}, fmt.Errorf("wecom: suite %s: read suite_ticket: %w", s.id, err)
	}
	if !ok {
		return "", time.Time{}, ErrNoSuiteTicket
	}
	at, t, valid := decodeTicket(v)
	if !valid {
		return "", time.Time{}, fmt.Errorf("wecom: suite %s: stored suite_ticket is malformed: %w", s.id, ErrNoSuiteTicket)
	}
	return t, at, nil
}

// fetchSuiteToken is the FetchFunc of the suite_access_token.
func (s *Suite) fetchSuiteToken(secret string) FetchFunc {
	return func(ctx context.Context) (string, time.Duration, error) {
		ticket, at, err := s.ticket(ctx)
		if err != nil {
			return "", 0, err
		}
		body := struct {
			SuiteID     string `json:"suite_id"`
			SuiteSecret string `json:"suite_secret"`
			SuiteTicket string `json:"suite_ticket"`
		}{s.id, secret, ticket}
		var out struct {
			SuiteAccessToken string `json:"suite_access_token"`
			ExpiresIn        int    `json:"expires_in"`
		}
		// The secret and the ticket are added below resty (wireBody).
		err = s.api.doUnauthenticated(ctx, &Request{Method: http.MethodPost,
			Path: "/cgi-bin/service/get_suite_token", Body: suiteIDBody{s.id}, wireBody: body, Out: &out, Op: OpRead})
		if ErrorCode(err) == CodeInvalidSuiteTicket {
			age := s.opts.now().Sub(at).Round(time.Second)
			return "", 0, fmt.Errorf("%w (the newest stored suite_ticket is %v old; WeCom accepts one for 30 minutes and pushes a new one every 10)", err, age)
		}
		if err != nil {
			return "", 0, err
		}
		return out.SuiteAccessToken, time.Duration(out.ExpiresIn) * time.Second, nil
	}
}

// AccessToken returns the suite_access_token, cached and refreshed like a
// corp token (40082/42009 drop it and refetch once).
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/90600
func (s *Suite) AccessToken(ctx context.Context) (string, error) {
	return s.api.AccessToken(ctx)
}

// Do calls a suite-level endpoint (one that takes ?suite_access_token=)
// not wrapped by the SDK.
func (s *Suite) Do(ctx context.Context, r *Request) error { return s.api.Do(ctx, r) }

// Corp returns the *Client that acts for an authorized corp. Its tokens
// come from service/get_corp_token (third-party apps) or gettoken with the
// permanent code as secret (agent-developed apps), using the permanent code
// stored by HandleCreateAuth; each corp has its own tokens and rate limits.
// A corp without a stored permanent code gets an error matching
// ErrCorpNotAuthorized on its first call. Clients are cached (see
// WithMaxCorpClients), so calling Corp for every request is cheap.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/90605
func (s *Suite) Corp(corpID string) *Client {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.clients[corpID]; ok {
		s.lru.MoveToFront(e)
		return e.Value.(*suiteCorp).client
	}
	o := s.opts
	o.agentSource = s.agentSource(corpID)
	c := newClient(corpID, o)
	fetch := s.fetchCorpToken(c)
	c.tokens = c.newTokenCache(s.corpTokenKey(corpID), fetch, TokenCorp, corpID, s.id)
	s.clients[corpID] = s.lru.PushFront(&suiteCorp{corpID: corpID, client: c})
	for s.lru.Len() > s.max {
		last := s.lru.Back()
		s.lru.Remove(last)
		delete(s.clients, last.Value.(*suiteCorp).corpID)
	}
	return c
}

// dropClient forgets the cached client of corpID, so that the next Corp
// builds a new one (with no token in memory).
func (s *Suite) dropClient(corpID string) {
	s.mu.Lock()
	if e, ok := s.clients[corpID]; ok {
		s.lru.Remove(e)
		delete(s.clients, corpID)
	}
	s.mu.Unlock()
}

// cachedClients reports how many corp clients are cached (tests).
func (s *Suite) cachedClients() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lru.Len()
}

// corpAuthError is the error for a corp that has not (or no longer)
// authorized the suite.
type corpAuthError struct {
	suite, corp string
	err         error // WeCom's answer, if any
	refused     bool  // WeCom refused this code recently; not sent again
}

func (e *corpAuthError) Error() string {
	if e.refused {
		return fmt.Sprintf("wecom: suite %s: corp %s: WeCom refused the stored permanent code less than %v ago; not sending it again (the corp may have cancelled the authorization, or the code was reset)", e.suite, e.corp, refusedFor)
	}
	if e.corp == "" {
		return fmt.Sprintf("wecom: suite %s: Corp was given an empty corp id; pass an authorized corp's id (the AuthCorpId of its callbacks, or one of Suite.AuthorizedCorps)", e.suite)
	}
	if e.err == nil {
		return fmt.Sprintf("wecom: suite %s: corp %s has not installed the app, or has removed it: no permanent code is stored for it. "+
			"Its calls work once it installs the app (the command handler stores the code from create_auth; "+
			"a code obtained elsewhere goes in with SetPermanentCode)", e.suite, e.corp)
	}
	return fmt.Sprintf("wecom: suite %s: corp %s: permanent code rejected; the corp has probably cancelled the authorization: %v", e.suite, e.corp, e.err)
}

func (e *corpAuthError) Unwrap() []error {
	if e.err == nil {
		return []error{ErrCorpNotAuthorized}
	}
	return []error{ErrCorpNotAuthorized, e.err}
}

// permanentCode returns the stored permanent code of corpID.
func (s *Suite) permanentCode(ctx context.Context, corpID string) (string, error) {
	code, ok, err := s.store.Get(ctx, s.codeKey(corpID))
	if err != nil {
		return "", fmt.Errorf("wecom: suite %s: corp %s: read permanent code: %w", s.id, corpID, err)
	}
	if !ok || code == "" {
		return "", &corpAuthError{suite: s.id, corp: corpID}
	}
	return code, nil
}

// refusedFor is how long a permanent code WeCom refused (40084, or 40001
// for an agent-developed app's secret) is not offered again. Repeated
// wrong-secret gettoken calls get the caller's IP banned for an hour, for
// every corp it serves.
const refusedFor = 5 * time.Minute

// fetchCorpToken is the FetchFunc of a corp client. It reads the permanent
// code at every fetch, so that a reset code is picked up. A code WeCom has
// refused is not sent again for refusedFor (shared through the Store): the
// call fails at once with ErrCorpNotAuthorized.
func (s *Suite) fetchCorpToken(c *Client) FetchFunc {
	return func(ctx context.Context) (string, time.Duration, error) {
		code, err := s.permanentCode(ctx, c.corpID)
		if err != nil {
			return "", 0, err
		}
		fp := secretFingerprint(code)
		if mark, ok, err := s.store.Get(ctx, s.refusedKey(c.corpID)); err == nil && ok && mark == fp {
			return "", 0, &corpAuthError{suite: s.id, corp: c.corpID, refused: true}
		}
		refused := func(err error) error {
			if serr := s.store.Set(ctx, s.refusedKey(c.corpID), fp, refusedFor); serr != nil {
				s.logger.Warn("wecom: remembering a refused permanent code failed", "suite", s.id, "corp", c.corpID, "error", serr)
			}
			return &corpAuthError{suite: s.id, corp: c.corpID, err: err}
		}
		if s.kind == SuiteAgentDeveloped {
			tok, ttl, err := c.gettoken(code)(ctx)
			if err != nil && IsInvalidSecret(err) {
				return "", 0, refused(err)
			}
			return tok, ttl, err
		}
		body := struct {
			AuthCorpID    string `json:"auth_corpid"`
			PermanentCode string `json:"permanent_code"`
		}{c.corpID, code}
		var out struct {
			AccessToken string `json:"access_token"`
			ExpiresIn   int    `json:"expires_in"`
		}
		err = s.api.Do(ctx, &Request{Method: http.MethodPost, Path: "/cgi-bin/service/get_corp_token",
			Body: corpIDBody{c.corpID}, wireBody: body, Out: &out, Op: OpRead})
		if ErrorCode(err) == CodeInvalidPermanentCode {
			return "", 0, refused(err)
		}
		if err != nil {
			return "", 0, err
		}
		return out.AccessToken, time.Duration(out.ExpiresIn) * time.Second, nil
	}
}

// IsAuthorized reports whether a permanent code is stored for corpID. A
// corp that cancelled the authorization stays reported until ForgetCorp
// (call it on the cancel_auth callback); its calls fail with
// ErrCorpNotAuthorized meanwhile.
func (s *Suite) IsAuthorized(ctx context.Context, corpID string) (bool, error) {
	_, err := s.permanentCode(ctx, corpID)
	if errors.Is(err, ErrCorpNotAuthorized) {
		return false, nil
	}
	return err == nil, err
}

// ReceiveIDAllowed reports whether id may be the receiveid WeCom puts at
// the end of a decrypted callback for this suite: the suite id (command
// callbacks, 指令回调) or a corp that authorized it (data callbacks,
// 数据回调, where one URL serves every corp). A callback handler verifying
// the signature first can use it as its "is this one of ours?" check; the
// provider's own corp id (seen on URL verification) is not known to the
// Suite and must be allowed by the caller if wanted.
func (s *Suite) ReceiveIDAllowed(ctx context.Context, id string) (bool, error) {
	if id == "" {
		return false, nil
	}
	if id == s.id {
		return true, nil
	}
	return s.IsAuthorized(ctx, id)
}

// AuthorizedCorps returns the ids of the corps with a stored permanent code,
// sorted, from an index kept in the Store (spread over 64 keys).
func (s *Suite) AuthorizedCorps(ctx context.Context) ([]string, error) {
	var all []string
	for shard := range corpIndexShards {
		key := s.corpsShardKey(shard)
		v, ok, err := s.store.Get(ctx, key)
		if err != nil {
			return nil, fmt.Errorf("wecom: suite %s: read corp index: %w", s.id, err)
		}
		if !ok {
			continue
		}
		ids, err := decodeCorpIndex(v)
		if err != nil {
			return nil, fmt.Errorf("wecom: suite %s: corp index %s: %w", s.id, key, err)
		}
		all = append(all, ids...)
	}
	sort.Strings(all)
	return all, nil
}

func decodeCorpIndex(v string) ([]string, error) {
	var ids []string
	if v == "" {
		return nil, nil
	}
	if err := json.Unmarshal([]byte(v), &ids); err != nil {
		return nil, fmt.Errorf("malformed: %w", err)
	}
	return ids, nil
}

// syncIndex makes the corp index agree with whether a permanent code is
// stored for corpID: present if it is, absent if not. Installs and
// uninstalls call it after changing the code, so whichever of two racing
// calls (on any instance) runs last leaves the index matching the code. The
// code key stays the authority (IsAuthorized); the index only lists. A
// malformed index is reported, never rebuilt by throwing the other corps
// away.
func (s *Suite) syncIndex(ctx context.Context, corpID string) error {
	const attempts = 64
	key := s.corpsKey(corpID)
	for range attempts {
		wrote := false
		err := kv.UpdateJSON(ctx, s.store, key, 0, func(ids []string, ok bool) (*[]string, error) {
			wrote = false
			_, has, err := s.store.Get(ctx, s.codeKey(corpID))
			if err != nil {
				return nil, err
			}
			pos := sort.SearchStrings(ids, corpID)
			present := pos < len(ids) && ids[pos] == corpID
			switch {
			case has == present:
				if !ok {
					return nil, nil
				}
				return &ids, nil // unchanged: nothing is written
			case has:
				ids = slices.Insert(ids, pos, corpID)
			default:
				ids = slices.Delete(ids, pos, pos+1)
			}
			wrote = true
			if len(ids) == 0 {
				return nil, nil
			}
			return &ids, nil
		})
		if errors.Is(err, kv.ErrCorrupt) {
			return fmt.Errorf("%w; delete or repair the key %s", err, key)
		}
		if err != nil {
			return err
		}
		if !wrote {
			return nil
		}
		// Written: check again, since the code may have changed after it
		// was read and its own sync may have found the index unchanged.
	}
	return fmt.Errorf("the index kept changing over %d attempts", attempts)
}

// storeAuthorization saves a corp's (new) permanent code and drops what was
// cached for the old one.
func (s *Suite) storeAuthorization(ctx context.Context, corpID, code string) error {
	if corpID == "" || code == "" {
		return fmt.Errorf("wecom: suite %s: WeCom answered without corp id or permanent code", s.id)
	}
	if err := s.store.Set(ctx, s.codeKey(corpID), code, 0); err != nil {
		return fmt.Errorf("wecom: suite %s: corp %s: store permanent code: %w", s.id, corpID, err)
	}
	if err := s.store.Delete(ctx, s.refusedKey(corpID)); err != nil {
		s.logger.Warn("wecom: clearing a refused-code mark failed", "suite", s.id, "corp", corpID, "error", err)
	}
	s.forgetAgentID(ctx, corpID)
	if err := s.dropCorpToken(ctx, corpID); err != nil {
		s.logger.Warn("wecom: dropping the old corp token failed", "suite", s.id, "corp", corpID, "error", err)
	}
	s.dropClient(corpID)
	if err := s.syncIndex(ctx, corpID); err != nil {
		return fmt.Errorf("wecom: suite %s: corp %s: permanent code stored, but the authorized-corp index was not updated: %w", s.id, corpID, err)
	}
	return nil
}

// dropCorpToken deletes the corp's stored token. With a Locker store it does
// so under the token's fetch lock, so that a fetch that read the old
// permanent code cannot store its token after the delete.
func (s *Suite) dropCorpToken(ctx context.Context, corpID string) error {
	key := s.corpTokenKey(corpID)
	if l, ok := s.store.(Locker); ok {
		unlock, err := l.Lock(ctx, key+":lock", fetchTimeout)
		if err != nil {
			return err
		}
		defer unlock()
	}
	return s.store.Delete(ctx, key)
}

// HandleCreateAuth exchanges the temporary auth code of an installation
// (from the create_auth callback or the install redirect) for the corp's
// permanent code with service/v2/get_permanent_code and stores it. The
// exchange is not repeated after a failure that may have reached WeCom: an
// auth code works once. When the exchange succeeded but the Store failed,
// the answer is returned along with the error, so that the permanent code
// is not lost: store it later with SetPermanentCode.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/100776
func (s *Suite) HandleCreateAuth(ctx context.Context, authCode string) (*PermanentCodeInfo, error) {
	info, err := s.GetPermanentCode(ctx, authCode)
	if err != nil {
		return nil, err
	}
	if err := s.storeAuthorization(ctx, info.AuthCorpInfo.CorpID, info.PermanentCode); err != nil {
		return info, err
	}
	s.logger.Debug("wecom: corp authorized the suite", "suite", s.id, "corp", info.AuthCorpInfo.CorpID)
	return info, nil
}

// HandleResetPermanentCode handles the reset_permanent_code callback of an
// agent-developed app template (the provider clicked 重新获取secret): as
// 97175 says, the callback's auth code is exchanged through the
// agent-developed secret flow (代开发授权应用secret的获取, 97163), which is
// service/v2/get_permanent_code with the template's suite_access_token; the
// answer's permanent_code is the app's new secret. It stores the new secret
// and drops the token obtained with the old one. Third-party suites have no
// such event: they get an error and nothing is sent. Like HandleCreateAuth,
// it returns the answer along with the error when only the Store failed.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/97175
// and https://developer.work.weixin.qq.com/document/path/97163
func (s *Suite) HandleResetPermanentCode(ctx context.Context, authCode string) (*PermanentCodeInfo, error) {
	if s.kind != SuiteAgentDeveloped {
		return nil, fmt.Errorf("wecom: suite %s is a %s app: reset_permanent_code exists for agent-developed templates (dk...) only; nothing was sent", s.id, s.kind)
	}
	info, err := s.GetPermanentCode(ctx, authCode)
	if err != nil {
		return nil, err
	}
	if err := s.storeAuthorization(ctx, info.AuthCorpInfo.CorpID, info.PermanentCode); err != nil {
		return info, err
	}
	s.logger.Debug("wecom: permanent code reset", "suite", s.id, "corp", info.AuthCorpInfo.CorpID)
	return info, nil
}

// SetPermanentCode stores a permanent code obtained elsewhere: one that
// HandleCreateAuth returned along with a Store error, or codes migrated
// from another system. The corp's cached token and client are dropped.
func (s *Suite) SetPermanentCode(ctx context.Context, corpID, permanentCode string) error {
	if corpID == "" || permanentCode == "" {
		return fmt.Errorf("wecom: suite %s: SetPermanentCode: corp id and permanent code are required", s.id)
	}
	return s.storeAuthorization(ctx, corpID, permanentCode)
}

// ForgetCorp deletes what is stored for corpID (permanent code, token,
// index entry): call it on the cancel_auth callback.
func (s *Suite) ForgetCorp(ctx context.Context, corpID string) error {
	var errs []error
	if err := s.store.Delete(ctx, s.codeKey(corpID)); err != nil {
		errs = append(errs, err)
	}
	if err := s.dropCorpToken(ctx, corpID); err != nil {
		errs = append(errs, err)
	}
	if err := s.store.Delete(ctx, s.refusedKey(corpID)); err != nil {
		errs = append(errs, err)
	}
	s.forgetAgentID(ctx, corpID)
	if err := s.syncIndex(ctx, corpID); err != nil {
		errs = append(errs, err)
	}
	s.dropClient(corpID)
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("wecom: suite %s: forget corp %s: %w", s.id, corpID, err)
	}
	s.logger.Debug("wecom: corp authorization forgotten", "suite", s.id, "corp", corpID)
	return nil
}

// RefreshAuthInfo fetches the corp's current authorization (agent,
// visibility, privileges) with service/v2/get_auth_info: call it on the
// change_auth callback.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/100795
func (s *Suite) RefreshAuthInfo(ctx context.Context, corpID string) (*AuthInfo, error) {
	return s.GetAuthInfo(ctx, corpID)
}
