package message

import (
	"context"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/scrmkit/scrm/wecom"
)

// SendTotals counts the recipients of a mass send by what became of them,
// the figures a report of the send gives: sent, not sent (yet), and failed,
// with why.
type SendTotals struct {
	Sent    int // delivered (status 1)
	NotSent int // not sent: the sender has not sent it (yet) (status 0)
	// Failed counts the recipients the send could not reach, by reason.
	Failed SendFailures
}

// SendFailures counts the recipients a mass send could not reach, by
// reason.
type SendFailures struct {
	// NotFriend: the customer is no longer the sender's customer, either
	// having deleted the member or deleted by the member (status 2).
	NotFriend int
	// Quota: the recipient had received all the mass sends it may in the
	// period (since 2025-11 as many a month as the month has days, unless
	// the admin set one a day or seven a week) (status 3).
	Quota int
	// Other: a status WeCom added after this SDK was written.
	Other int
}

// Total is the number of failed recipients.
func (f SendFailures) Total() int { return f.NotFriend + f.Quota + f.Other }

// Total is the number of recipients counted.
func (t SendTotals) Total() int { return t.Sent + t.NotSent + t.Failed.Total() }

// Add adds o to t, e.g. to total the tasks of one MassSend.
func (t *SendTotals) Add(o SendTotals) {
	t.Sent += o.Sent
	t.NotSent += o.NotSent
	t.Failed.NotFriend += o.Failed.NotFriend
	t.Failed.Quota += o.Failed.Quota
	t.Failed.Other += o.Failed.Other
}

func (t *SendTotals) add(st SendStatus) {
	switch st {
	case SendUnsent:
		t.NotSent++
	case SendSent:
		t.Sent++
	case SendNotFriend:
		t.Failed.NotFriend++
	case SendQuotaReached:
		t.Failed.Quota++
	default:
		t.Failed.Other++
	}
}

// MassSendResultsRequest names the mass send MassSendResults reads.
type MassSendResultsRequest struct {
	MsgID string
	// Concurrency bounds how many senders' results are read at once
	// (wecom.DefaultBatchConcurrency when <= 0).
	Concurrency int
	// With StartTime and EndTime (at most a month apart, around the
	// creation), the task's own record is looked up in
	// get_groupmsg_list_v2 too, for MassSendReport.Record. ChatType
	// defaults to ChatSingle.
	ChatType           ChatType
	StartTime, EndTime time.Time
	// Interval is the first pause while WeCom is still dispatching the send
	// (errcode 41063, IsDispatching: for a while after AddMsgTemplate): the
	// reading waits, as MomentJob.Wait does, with pauses growing from
	// Interval (default 1 s) to MaxInterval (default 30 s), until WeCom
	// answers or ctx ends.
	Interval, MaxInterval time.Duration
	// Sleep pauses for d or until ctx ends (default: a timer). Tests give
	// one that moves a fake clock instead.
	Sleep func(ctx context.Context, d time.Duration) error
}

// SenderResult is one sender's part of a mass send.
type SenderResult struct {
	Task   GroupMsgTask
	Totals SendTotals // over this sender's recipients
}

// MassSendReport is what MassSendResults found.
type MassSendReport struct {
	MsgID  string
	Record *GroupMsg // nil unless a window was given and the record found in it
	// Senders has every sender's task status, in WeCom's order.
	Senders []SenderResult
	// SendersSent counts the senders who have sent.
	SendersSent int
	Totals      SendTotals // over every recipient
}

// MassSendResults reads the results of one mass send: every sender's task
// (get_groupmsg_task), then every recipient of every sender
// (get_groupmsg_send_result), the senders read req.Concurrency at a time,
// all pages of each, under the client's rate limiter. Right after
// AddMsgTemplate WeCom is still dispatching the send and answers 41063: the
// reading waits for it, with growing pauses (req.Interval), until it answers
// or ctx ends, so it can be called straight after the send. Each recipient's
// SendResult is passed to each as soon as it is read (each may be nil; it is
// called from the calling goroutine, one result at a time; returning an
// error stops the reading and returns that error). The report holds the
// totals per status, overall and per sender; after an error, what was read
// until then. Group sends list only the groups sent to. With a window, the
// task's record is looked up in get_groupmsg_list_v2 meanwhile.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/93338
func (s *Service) MassSendResults(ctx context.Context, req *MassSendResultsRequest, each func(*SendResult) error) (*MassSendReport, error) {
	if req == nil {
		return nil, check.Invalidf("request is nil")
	}
	if err := check.Required("MsgID", req.MsgID); err != nil {
		return nil, err
	}
	var list *ListGroupMsgsRequest
	if !req.StartTime.IsZero() || !req.EndTime.IsZero() {
		list = &ListGroupMsgsRequest{ChatType: req.ChatType, StartTime: wecom.UnixTime(req.StartTime.Unix()),
			EndTime: wecom.UnixTime(req.EndTime.Unix()), Limit: maxGroupMsgListLimit}
		if err := list.validate(); err != nil {
			return nil, err
		}
	}
	rep := &MassSendReport{MsgID: req.MsgID}
	if err := s.waitSenders(ctx, req, rep); err != nil {
		return rep, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// The record is looked up while the recipients are read (a task being
	// dispatched is not listed yet; it has been by now).
	var (
		record    *GroupMsg
		recordErr error
		found     = make(chan struct{})
	)
	go func() {
		defer close(found)
		if list == nil {
			return
		}
		for m, err := range s.ListGroupMsgsIter(ctx, list) {
			if err != nil {
				recordErr = err
				return
			}
			if m.MsgID == req.MsgID {
				record = m
				return
			}
		}
	}()
	err := s.readRecipients(ctx, req, rep, each)
	if err != nil {
		cancel()
	}
	<-found
	rep.Record = record
	if err == nil {
		err = recordErr
	}
	return rep, err
}

// waitSenders reads every sender's task into rep, waiting with growing
// pauses while WeCom answers that the send is still being dispatched.
func (s *Service) waitSenders(ctx context.Context, req *MassSendResultsRequest, rep *MassSendReport) error {
	b := newBackoff(req.Interval, req.MaxInterval, req.Sleep)
	for {
		rep.Senders, rep.SendersSent = rep.Senders[:0], 0
		err := s.readSenders(ctx, req, rep)
		if err == nil || !IsDispatching(err) {
			return err
		}
		if err := b.pause(ctx); err != nil {
			return err
		}
	}
}

// backoff is the waiting MomentJob.Wait and MassSendResults share: pauses
// from interval (default 1 s), doubling up to maxInterval (default 30 s),
// each ended early by the context.
type backoff struct {
	wait, max time.Duration
	sleep     func(ctx context.Context, d time.Duration) error
}

func newBackoff(interval, maxInterval time.Duration, sleep func(context.Context, time.Duration) error) *backoff {
	if interval <= 0 {
		interval = time.Second
	}
	if maxInterval <= 0 {
		maxInterval = 30 * time.Second
	}
	if sleep == nil {
		sleep = sleepCtx
	}
	return &backoff{wait: interval, max: max(maxInterval, interval), sleep: sleep}
}

// pauseAtMost sleeps the next pause, at most limit when limit > 0, and returns
// how long it slept.
func (b *backoff) pauseAtMost(ctx context.Context, limit time.Duration) (time.Duration, error) {
	d := b.wait
	if limit > 0 {
		d = min(d, limit)
	}
	if err := b.sleep(ctx, d); err != nil {
		return 0, err
	}
	b.wait = min(b.wait*2, b.max)
	return d, nil
}

func (b *backoff) pause(ctx context.Context) error {
	_, err := b.pauseAtMost(ctx, 0)
	return err
}

// readSenders pages every sender's task into rep.
func (s *Service) readSenders(ctx context.Context, req *MassSendResultsRequest, rep *MassSendReport) error {
	for t, err := range s.GetGroupMsgTaskIter(ctx, &GetGroupMsgTaskRequest{MsgID: req.MsgID, Limit: maxGroupMsgTaskLimit}) {
		if err != nil {
			return err
		}
		rep.Senders = append(rep.Senders, SenderResult{Task: *t})
		if t.Status == TaskSent {
			rep.SendersSent++
		}
	}
	return nil
}

// readRecipients pages every sender's results with bounded concurrency
// and hands them to each, one at a time, from this goroutine.
func (s *Service) readRecipients(ctx context.Context, req *MassSendResultsRequest, rep *MassSendReport, each func(*SendResult) error) error {
	type item struct {
		sender int
		res    *SendResult
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	g, gctx := errgroup.WithContext(ctx)
	if req.Concurrency > 0 {
		g.SetLimit(req.Concurrency)
	} else {
		g.SetLimit(wecom.DefaultBatchConcurrency)
	}
	results := make(chan item, 64)
	var readErr error
	go func() { // g.Go blocks at the limit, so the senders are fed from here
		for i := range rep.Senders {
			g.Go(func() error {
				r := &GetGroupMsgSendResultRequest{MsgID: req.MsgID, UserID: rep.Senders[i].Task.UserID, Limit: maxGroupMsgResultLimit}
				for res, err := range s.GetGroupMsgSendResultIter(gctx, r) {
					if err != nil {
						return err
					}
					select {
					case results <- item{i, res}:
					case <-gctx.Done():
						return gctx.Err()
					}
				}
				return nil
			})
		}
		readErr = g.Wait()
		close(results)
	}()
	var stop error
	for it := range results {
		if stop != nil {
			continue // drain until the readers have stopped
		}
		rep.Totals.add(it.res.Status)
		rep.Senders[it.sender].Totals.add(it.res.Status)
		if each != nil {
			if stop = each(it.res); stop != nil {
				cancel()
			}
		}
	}
	if stop != nil {
		return stop
	}
	return readErr
}
