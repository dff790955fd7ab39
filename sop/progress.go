package sop

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/scrmkit/scrm/internal/kv"
	"github.com/scrmkit/scrm/message"
)

// Progress is where a step's run stands, member by member.
type Progress struct {
	Run *Run
	// Members are the members asked to do a part of the run, by userid.
	Members []MemberProgress
	// Done and Pending count the members who have done all their parts and
	// those who have not.
	Done, Pending int
	// Unresolved are the run's tasks whose members WeCom cannot tell yet: a
	// mass send still being dispatched (41063), a Moments job still
	// running. Ask again later.
	Unresolved []Task
}

// MemberProgress is one member's part of a run.
type MemberProgress struct {
	UserID string
	// Parts counts the member's parts (one per task that names them),
	// PartsDone those they have sent or posted.
	Parts, PartsDone int
	// DoneAt is when the member sent their last part (mass sends); zero
	// for Moments posts, whose time WeCom does not give.
	DoneAt time.Time
	// Reach counts the member's recipients (customers, or groups for a
	// group send) by what became of them: sent, not sent yet, failed and
	// why. Zero for Moments posts.
	Reach message.SendTotals
}

// Done reports whether the member has done all their parts.
func (m *MemberProgress) Done() bool { return m.PartsDone == m.Parts }

// errNoWait makes MassSendResults return instead of waiting while WeCom
// dispatches a send.
var errNoWait = errors.New("sop: still dispatching")

func noWait(context.Context, time.Duration) error { return errNoWait }

// pending is what Remind needs beyond Progress: the members who have not
// sent each mass-send task, and those who have not posted a Moments post.
type pending struct {
	byMsg   map[string][]string
	moments []string
}

// Progress reads every task of the step's run and tells, member by member,
// who has done their part (mass sends: get_groupmsg_task, and
// get_groupmsg_send_result for the reach; Moments: get_moment_task). It
// never waits (see Progress.Unresolved). A Moments job that has finished
// gets its post's id recorded in the run. ErrNotRun for a step that has
// not run.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/93338 and
// https://developer.work.weixin.qq.com/document/path/93333
func (s *Scheduler) Progress(ctx context.Context, plan *Plan, step string) (*Progress, error) {
	p, _, err := s.progress(ctx, plan, step)
	return p, err
}

func (s *Scheduler) progress(ctx context.Context, plan *Plan, step string) (*Progress, *pending, error) {
	if err := plan.validate(); err != nil {
		return nil, nil, err
	}
	if _, err := plan.step(step); err != nil {
		return nil, nil, err
	}
	run, ok, err := s.load(ctx, plan.Name, step)
	if err != nil {
		return nil, nil, err
	}
	if !ok || !run.Finished() {
		return nil, nil, fmt.Errorf("%w: plan %q: step %q", ErrNotRun, plan.Name, step)
	}
	p := &Progress{Run: run}
	pend := &pending{byMsg: map[string][]string{}}
	members := map[string]*MemberProgress{}
	member := func(userID string) *MemberProgress {
		m := members[userID]
		if m == nil {
			m = &MemberProgress{UserID: userID}
			members[userID] = m
		}
		return m
	}
	for i := range run.Tasks {
		t := &run.Tasks[i]
		switch {
		case t.Failure != "":
		case t.MsgID != "":
			chat := message.ChatSingle
			if run.Kind == KindGroups {
				chat = message.ChatGroup
			}
			rep, err := s.msg.MassSendResults(ctx, &message.MassSendResultsRequest{MsgID: t.MsgID, ChatType: chat, Sleep: noWait}, nil)
			if errors.Is(err, errNoWait) {
				p.Unresolved = append(p.Unresolved, *t)
				continue
			}
			if err != nil {
				return nil, nil, fmt.Errorf("sop: plan %q: step %q: mass send %s: %w", plan.Name, step, t.MsgID, err)
			}
			for _, sr := range rep.Senders {
				m := member(sr.Task.UserID)
				m.Parts++
				m.Reach.Add(sr.Totals)
				if sr.Task.Status == message.TaskSent {
					m.PartsDone++
					if at := sr.Task.SendTime.Time(); at.After(m.DoneAt) {
						m.DoneAt = at
					}
				} else {
					pend.byMsg[t.MsgID] = append(pend.byMsg[t.MsgID], sr.Task.UserID)
				}
			}
		case t.JobID != "":
			if t.MomentID == "" {
				if err := s.resolveJob(ctx, run, t); err != nil {
					return nil, nil, err
				}
				if t.MomentID == "" {
					if t.Failure == "" {
						p.Unresolved = append(p.Unresolved, *t)
					}
					continue
				}
			}
			for mt, err := range s.msg.GetMomentTaskIter(ctx, &message.GetMomentTaskRequest{MomentID: t.MomentID}) {
				if err != nil {
					return nil, nil, fmt.Errorf("sop: plan %q: step %q: Moments post %s: %w", plan.Name, step, t.MomentID, err)
				}
				m := member(mt.UserID)
				m.Parts++
				if mt.PublishStatus == message.Published {
					m.PartsDone++
				} else if !slices.Contains(pend.moments, mt.UserID) {
					pend.moments = append(pend.moments, mt.UserID)
				}
			}
		}
	}
	for _, m := range members {
		p.Members = append(p.Members, *m)
		if m.Done() {
			p.Done++
		} else {
			p.Pending++
		}
	}
	slices.SortFunc(p.Members, func(a, b MemberProgress) int { return strings.Compare(a.UserID, b.UserID) })
	return p, pend, nil
}

// resolveJob asks WeCom once about t's Moments job and, when it has
// finished, records its post's id (or its failure) in the run, in t and in
// the Store.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/95094
func (s *Scheduler) resolveJob(ctx context.Context, run *Run, t *Task) error {
	res, err := s.msg.GetMomentTaskResult(ctx, t.JobID)
	if err != nil {
		return fmt.Errorf("sop: plan %q: step %q: Moments job %s (WeCom keeps a job id 24 hours): %w", run.Plan, run.Step, t.JobID, err)
	}
	if res.Status != message.MomentTaskFinished || res.Result == nil {
		return nil
	}
	if res.Result.ErrCode != 0 {
		t.Failure = fmt.Sprintf("the Moments job failed: errcode %d, %s", res.Result.ErrCode, res.Result.ErrMsg)
	} else {
		t.MomentID = res.Result.MomentID
	}
	resolved := *t
	return kv.UpdateJSON(ctx, s.store, s.key(run.Plan, run.Step), 0, func(cur Run, ok bool) (*Run, error) {
		if !ok {
			return nil, fmt.Errorf("sop: plan %q: step %q: the run was forgotten meanwhile", run.Plan, run.Step)
		}
		for i := range cur.Tasks {
			if cur.Tasks[i].JobID == resolved.JobID {
				cur.Tasks[i] = resolved
			}
		}
		return &cur, nil
	})
}
