package message

import (
	"context"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/scrmkit/scrm/wecom"
)

// SendTotals counts the recipients of a mass send by status.
type SendTotals struct {
	Unsent       int
	Sent         int
	NotFriend    int
	QuotaReached int
	Other        int // a status WeCom added after this SDK was written
}

// Total is the number of recipients counted.
func (t SendTotals) Total() int {
	return t.Unsent + t.Sent + t.NotFriend + t.QuotaReached + t.Other
}

// Add adds o to t, e.g. to total the tasks of one MassSend.
func (t *SendTotals) Add(o SendTotals) {
	t.Unsent += o.Unsent
	t.Sent += o.Sent
	t.NotFriend += o.NotFriend
	t.QuotaReached += o.QuotaReached
	t.Other += o.Other
}

func (t *SendTotals) add(st SendStatus) {
	switch st {
	case SendUnsent:
		t.Unsent++
	case SendSent:
		t.Sent++
	case SendNotFriend:
		t.NotFriend++
	case SendQuotaReached:
		t.QuotaReached++
	default:
		t.Other++
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
// all pages of each, under the client's rate limiter. Each recipient's
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
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// The record is looked up while the senders and recipients are read.
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
	err := s.readSenders(ctx, req, rep)
	if err == nil {
		err = s.readRecipients(ctx, req, rep, each)
	}
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
