package appmsg

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/scrmkit/scrm/internal/kv"
	"github.com/scrmkit/scrm/wecom"
)

// The frequency limits of application messages (90236, 频率限制), which
// Notifier keeps before sending: per app and member, 30 messages a minute
// and 1000 an hour (WeCom drops the excess without an error); per app, the
// corp's account limit × 200 person-times a day (WithDailyQuota).
const (
	memberPerMinute = 30
	memberPerHour   = 1000
)

// Notifier sends one member at a time a message from the app: the task
// reminders, churn alerts and reports a backend sends its staff. It counts
// what it sends per member (and per app and day, WithDailyQuota) in the
// client's Store and refuses, before sending, a message WeCom would drop
// for its frequency limits, with a *NotifyLimitError. Give every instance
// the same Store (redisstore) to count together; the counts are per corp,
// app (agent id) and member.
//
// A refused message is not queued: send it later (NotifyLimitError.RetryAt)
// or fold it into the next one. A message counts once it is handed to
// WeCom, whether or not WeCom answers.
type Notifier struct {
	svc   *Service
	store wecom.Store
	now   func() time.Time
	daily int
}

// NotifierOption configures a Notifier.
type NotifierOption func(*notifierConfig)

type notifierConfig struct {
	store wecom.Store
	daily int
	err   error
}

// WithStore sets where the Notifier counts (default: the client's Store).
func WithStore(s wecom.Store) NotifierOption {
	return func(c *notifierConfig) { c.store = s }
}

// WithDailyQuota sets the app's daily budget in person-times: the corp's
// account limit (账号上限数) × 200, which WeCom applies per app and day
// (China time). Without it the Notifier does not count days. n <= 0 is
// reported by NewNotifier.
func WithDailyQuota(n int) NotifierOption {
	return func(c *notifierConfig) {
		if n <= 0 {
			c.err = fmt.Errorf("appmsg: WithDailyQuota(%d): the quota is the corp's account limit × 200, a positive number", n)
		}
		c.daily = n
	}
}

// NewNotifier returns a Notifier sending through svc, counting in the
// client's Store on the client's clock. It reports an invalid option.
func NewNotifier(svc *Service, opts ...NotifierOption) (*Notifier, error) {
	if svc == nil || svc.c == nil {
		return nil, errors.New("appmsg: NewNotifier needs a Service (appmsg.New(client))")
	}
	var cfg notifierConfig
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	if cfg.err != nil {
		return nil, cfg.err
	}
	if cfg.store == nil {
		cfg.store = svc.c.Store()
	}
	return &Notifier{svc: svc, store: cfg.store, now: svc.c.Now, daily: cfg.daily}, nil
}

// NotifyLimitError is returned, before anything is sent, when a message
// would pass a frequency limit of application messages: WeCom would drop
// it. It matches wecom.ErrRateLimited (wecom.IsRateLimited).
type NotifyLimitError struct {
	UserID string        // the member
	Limit  string        // which limit: "30 a minute per member", "1000 an hour per member" or "N a day per app"
	Wait   time.Duration // how long until the limit admits a message again
}

func (e *NotifyLimitError) Error() string {
	who := "member " + e.UserID
	if e.UserID == "" {
		who = "the app"
	}
	return fmt.Sprintf("appmsg: not sent: %s is at WeCom's limit of application messages (%s), which WeCom enforces by dropping the excess; send again in %v",
		who, e.Limit, e.Wait.Round(time.Second))
}

// Is makes a *NotifyLimitError match wecom.ErrRateLimited.
func (e *NotifyLimitError) Is(target error) bool { return target == wecom.ErrRateLimited }

// memberLog is what the Store keeps per member: the unix milliseconds of
// the sends of the last hour, oldest first.
type memberLog struct {
	Sent []int64 `json:"sent"`
}

// Notify sends msg to one member (userID; an open_userid for third-party
// apps) from the client's app, unless a frequency limit refuses it. The
// answer tells whether WeCom refused the member (Receipt.Complete).
// Like Send, it is a write, never re-sent once it may have reached WeCom,
// and a message given as a file is sent with the MediaCache's media id.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/90236
func (n *Notifier) Notify(ctx context.Context, userID string, msg Message) (*Receipt, error) {
	req := &SendRequest{ToUser: []string{userID}, Message: msg}
	if err := check.Required("userID", userID); err != nil {
		return nil, err
	}
	if err := req.checkMessage(); err != nil {
		return nil, err
	}
	if err := req.checkRecipients(true); err != nil {
		return nil, err
	}
	agentID, err := n.svc.c.AgentID(ctx)
	if err != nil {
		return nil, err
	}
	if err := n.reserve(ctx, agentID, userID); err != nil {
		return nil, err
	}
	return n.svc.sendWithMedia(ctx, req.body(agentID, req.ToUser, nil, nil))
}

func (n *Notifier) keyPrefix(agentID int) string {
	return "scrm:appmsg:notify:" + n.svc.c.CorpID() + ":" + strconv.Itoa(agentID) + ":"
}

// reserve counts one send to userID now, or refuses it.
func (n *Notifier) reserve(ctx context.Context, agentID int, userID string) error {
	now := n.now()
	ms := now.UnixMilli()
	key := n.keyPrefix(agentID) + "user:" + userID
	err := kv.UpdateJSON(ctx, n.store, key, time.Hour, func(cur memberLog, _ bool) (*memberLog, error) {
		// keep the last hour
		hourAgo := ms - time.Hour.Milliseconds()
		i := 0
		for i < len(cur.Sent) && cur.Sent[i] <= hourAgo {
			i++
		}
		sent := cur.Sent[i:]
		if len(sent) >= memberPerHour {
			return nil, &NotifyLimitError{UserID: userID, Limit: "1000 an hour per member",
				Wait: time.Duration(sent[len(sent)-memberPerHour]-hourAgo) * time.Millisecond}
		}
		minuteAgo := ms - time.Minute.Milliseconds()
		inMinute := 0
		for j := len(sent) - 1; j >= 0 && sent[j] > minuteAgo; j-- {
			inMinute++
		}
		if inMinute >= memberPerMinute {
			oldest := sent[len(sent)-memberPerMinute]
			return nil, &NotifyLimitError{UserID: userID, Limit: "30 a minute per member",
				Wait: time.Duration(oldest-minuteAgo) * time.Millisecond}
		}
		return &memberLog{Sent: append(append([]int64(nil), sent...), ms)}, nil
	})
	var le *NotifyLimitError
	if err != nil && !errors.As(err, &le) {
		return fmt.Errorf("appmsg: counting the message in the Store failed; not sent: %w", err)
	}
	if err != nil || n.daily <= 0 {
		return err
	}
	if err := n.reserveDay(ctx, agentID, now); err != nil {
		// not sent after all: the member's count gives the send back
		_ = kv.UpdateJSON(context.WithoutCancel(ctx), n.store, key, time.Hour, func(cur memberLog, _ bool) (*memberLog, error) {
			for i := len(cur.Sent) - 1; i >= 0; i-- {
				if cur.Sent[i] == ms {
					cur.Sent = append(cur.Sent[:i:i], cur.Sent[i+1:]...)
					break
				}
			}
			return &cur, nil
		})
		return err
	}
	return nil
}

// china is WeCom's day: UTC+8.
var china = time.FixedZone("CST", 8*3600)

// reserveDay counts one person-time against the app's daily quota.
func (n *Notifier) reserveDay(ctx context.Context, agentID int, now time.Time) error {
	day := now.In(china)
	next := time.Date(day.Year(), day.Month(), day.Day()+1, 0, 0, 0, 0, china)
	key := n.keyPrefix(agentID) + "day:" + day.Format("20060102")
	err := kv.UpdateJSON(ctx, n.store, key, next.Sub(now)+time.Hour, func(cur int, _ bool) (*int, error) {
		if cur >= n.daily {
			return nil, &NotifyLimitError{Limit: strconv.Itoa(n.daily) + " a day per app", Wait: next.Sub(now)}
		}
		cur++
		return &cur, nil
	})
	var le *NotifyLimitError
	if err != nil && !errors.As(err, &le) {
		return fmt.Errorf("appmsg: counting the message in the Store failed; not sent: %w", err)
	}
	return err
}
