package sop

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/scrmkit/scrm/appmsg"
	"github.com/scrmkit/scrm/message"
	"github.com/scrmkit/scrm/wecom"
)

// ErrNotRun is returned by Progress and Remind for a step that has not run
// (it is not due yet, or RunDue has not been called since), or whose run
// is still being created.
var ErrNotRun = errors.New("sop: the step has not run")

// ErrNoNotifier is the error of a Reminder that needed an application
// message when the Scheduler has no Notifier (WithNotifier).
var ErrNoNotifier = errors.New("sop: no Notifier to send the reminder: give the Scheduler one with WithNotifier")

// Scheduler creates the tasks of SOP plans when they are due, once, and
// follows and chases the members' parts of them (see the package doc).
// It is safe for concurrent use; instances sharing a Store share the runs.
type Scheduler struct {
	msg      *message.Service
	notifier *appmsg.Notifier
	store    wecom.Store
	now      func() time.Time
	prefix   string
}

// Option configures a Scheduler.
type Option func(*config)

type config struct {
	notifier *appmsg.Notifier
	store    wecom.Store
	now      func() time.Time
	err      error
}

// WithNotifier sends the reminders WeCom has no reminder of its own for
// (Moments posts, and mass sends whose 3 reminders a day are used up) as
// application messages through n. Without it those members are reported
// with ErrNoNotifier.
func WithNotifier(n *appmsg.Notifier) Option {
	return func(c *config) {
		if n == nil {
			c.err = errors.New("sop: WithNotifier(nil): give an appmsg.Notifier, or leave the option out")
		}
		c.notifier = n
	}
}

// WithStore sets where runs are kept (default: the client's Store). Give
// every instance running the same plans the same Store.
func WithStore(s wecom.Store) Option {
	return func(c *config) {
		if s == nil {
			c.err = errors.New("sop: WithStore(nil): give a wecom.Store, or leave the option out for the client's")
		}
		c.store = s
	}
}

// WithClock sets the clock that decides which steps are due (default: the
// client's, wecom.WithClock).
func WithClock(now func() time.Time) Option {
	return func(c *config) {
		if now == nil {
			c.err = errors.New("sop: WithClock(nil): give a clock, or leave the option out for the client's")
		}
		c.now = now
	}
}

// NewScheduler returns a Scheduler creating tasks through msg, keeping its
// runs in the client's Store and reading time on the client's clock unless
// options say otherwise. It reports an invalid option.
func NewScheduler(msg *message.Service, opts ...Option) (*Scheduler, error) {
	if msg == nil || msg.Client() == nil {
		return nil, errors.New("sop: NewScheduler needs a message.Service (message.New(client))")
	}
	var cfg config
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	if cfg.err != nil {
		return nil, cfg.err
	}
	c := msg.Client()
	if cfg.store == nil {
		cfg.store = c.Store()
	}
	if cfg.now == nil {
		cfg.now = c.Now
	}
	return &Scheduler{msg: msg, notifier: cfg.notifier, store: cfg.store, now: cfg.now,
		prefix: "scrm:sop:" + c.CorpID() + ":run:"}, nil
}

// Run is one step's run: the tasks WeCom created for it.
type Run struct {
	Plan string `json:"plan"`
	Step string `json:"step"`
	Kind Kind   `json:"kind"`
	// Due is when the step was due (the plan's Start plus the step's At).
	Due time.Time `json:"due"`
	// Claimed is when an instance took the step to create its tasks.
	Claimed time.Time `json:"claimed"`
	// Ran is when the tasks were created and recorded; zero while they are
	// being created, or when the instance creating them stopped before it
	// recorded them (see Forget).
	Ran   time.Time `json:"ran,omitzero"`
	Tasks []Task    `json:"tasks,omitempty"`
}

// Finished reports whether the run's tasks were created and recorded.
func (r *Run) Finished() bool { return !r.Ran.IsZero() }

// Task is one WeCom task of a run: a mass-send task (MsgID) or a Moments
// job (JobID, and the post's MomentID once the job has finished).
type Task struct {
	MsgID string `json:"msgid,omitempty"`
	// Sender is the member of a mass-send task created for one sender
	// (Audience.Senders, Groups, or ExternalUserIDs with a Sender); empty
	// when WeCom chooses the senders (a TagFilter alone).
	Sender   string `json:"sender,omitempty"`
	JobID    string `json:"jobid,omitempty"`
	MomentID string `json:"moment_id,omitempty"`
	// Failure is why WeCom did not create the task ("" when it did). A
	// task whose creation may have reached WeCom (OutcomeUnknown) is not
	// created again.
	Failure        string `json:"failure,omitempty"`
	OutcomeUnknown bool   `json:"outcome_unknown,omitempty"`
}

// key is the Store key of a step's run: the names are hashed, so that any
// text makes a key of fixed size.
func (s *Scheduler) key(plan, step string) string {
	h := sha256.Sum256([]byte(plan + "\x00" + step))
	return s.prefix + hex.EncodeToString(h[:12])
}

// RunDue creates the tasks of every step of plan that is due (its time has
// come on the Scheduler's clock) and has not run, in the order the steps
// are due, and returns the runs it made; a step another instance has taken
// is skipped. A step is taken in the Store before its tasks are created,
// so it runs once however many instances call RunDue at once, and a step
// due long ago (the service was down) runs now. WeCom's refusal of one task
// does not stop the others: it is recorded in the task (Task.Failure).
//
// The error is for a plan refused before anything was sent
// (ErrInvalidArgument) and for the Store: a run whose tasks were created but
// could not be recorded is returned too, last, and its tasks are named in
// the error; RunDue stops there.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92135 and
// https://developer.work.weixin.qq.com/document/path/95094
func (s *Scheduler) RunDue(ctx context.Context, plan *Plan) ([]*Run, error) {
	if err := plan.validate(); err != nil {
		return nil, err
	}
	now := s.now()
	due := make([]*Step, 0, len(plan.Steps))
	for i := range plan.Steps {
		if st := &plan.Steps[i]; !plan.Due(st).After(now) {
			due = append(due, st)
		}
	}
	slices.SortStableFunc(due, func(a, b *Step) int { return cmp.Compare(a.At, b.At) })
	var runs []*Run
	for _, st := range due {
		run, err := s.runStep(ctx, plan, st)
		if run != nil {
			runs = append(runs, run)
		}
		if err != nil {
			return runs, err
		}
	}
	return runs, nil
}

// runStep claims st and creates its tasks; nil when the step was taken
// already.
func (s *Scheduler) runStep(ctx context.Context, plan *Plan, st *Step) (*Run, error) {
	key := s.key(plan.Name, st.Name)
	run := &Run{Plan: plan.Name, Step: st.Name, Kind: st.Kind(), Due: plan.Due(st), Claimed: s.now()}
	claim, err := json.Marshal(run)
	if err != nil {
		return nil, err
	}
	won, err := s.store.CompareAndSwap(ctx, key, "", string(claim), 0)
	if err != nil {
		return nil, fmt.Errorf("sop: plan %q: step %q: claiming the run in the Store: %w", plan.Name, st.Name, err)
	}
	if !won {
		return nil, nil
	}
	if st.MassSend != nil {
		tasks, err := s.msg.MassSend(ctx, st.MassSend)
		if err != nil { // refused before anything was sent
			run.Tasks = []Task{{Failure: err.Error()}}
		}
		for _, t := range tasks {
			task := Task{MsgID: t.MsgID, Sender: t.Request.Sender}
			if t.Err != nil {
				task.Failure, task.OutcomeUnknown = t.Err.Error(), errors.Is(t.Err, wecom.ErrOutcomeUnknown)
			}
			run.Tasks = append(run.Tasks, task)
		}
	} else {
		jobID, err := s.msg.AddMomentTask(ctx, st.Moment)
		task := Task{JobID: jobID}
		if err != nil {
			task.Failure, task.OutcomeUnknown = err.Error(), errors.Is(err, wecom.ErrOutcomeUnknown)
		}
		run.Tasks = []Task{task}
	}
	run.Ran = s.now()
	done, err := json.Marshal(run)
	if err != nil {
		return nil, err
	}
	// The tasks exist now: record them even when ctx has ended.
	ok, err := s.store.CompareAndSwap(context.WithoutCancel(ctx), key, string(claim), string(done), 0)
	if err == nil && !ok {
		err = errors.New("the claim was changed meanwhile (Forget?)")
	}
	if err != nil {
		return run, fmt.Errorf("sop: plan %q: step %q: its tasks %s were created but not recorded: %w", plan.Name, st.Name, taskIDs(run.Tasks), err)
	}
	return run, nil
}

func taskIDs(tasks []Task) []string {
	var ids []string
	for _, t := range tasks {
		switch {
		case t.MsgID != "":
			ids = append(ids, t.MsgID)
		case t.JobID != "":
			ids = append(ids, t.JobID)
		}
	}
	return ids
}

// Runs returns the recorded runs of plan's steps, in the plan's order of
// steps; a step that has not run is left out. A run whose Finished is false
// is being created, or its instance stopped before recording its tasks.
func (s *Scheduler) Runs(ctx context.Context, plan *Plan) ([]*Run, error) {
	if err := plan.validate(); err != nil {
		return nil, err
	}
	var runs []*Run
	for i := range plan.Steps {
		run, ok, err := s.load(ctx, plan.Name, plan.Steps[i].Name)
		if err != nil {
			return runs, err
		}
		if ok {
			runs = append(runs, run)
		}
	}
	return runs, nil
}

// load reads a step's run from the Store.
func (s *Scheduler) load(ctx context.Context, plan, step string) (*Run, bool, error) {
	raw, ok, err := s.store.Get(ctx, s.key(plan, step))
	if err != nil || !ok {
		return nil, false, err
	}
	var run Run
	if err := json.Unmarshal([]byte(raw), &run); err != nil {
		return nil, false, fmt.Errorf("sop: plan %q: step %q: the stored run is corrupt: %w", plan, step, err)
	}
	return &run, true, nil
}

// Forget drops the record of a step's run, so that the next RunDue runs
// the step again: for a run that stopped between its claim and its record
// (Run.Finished false), once its tasks were looked for and found missing,
// or to repeat a step on purpose. It does not cancel any task.
func (s *Scheduler) Forget(ctx context.Context, plan *Plan, step string) error {
	if err := plan.validate(); err != nil {
		return err
	}
	if _, err := plan.step(step); err != nil {
		return err
	}
	return s.store.Delete(ctx, s.key(plan.Name, step))
}
