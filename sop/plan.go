package sop

import (
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/scrmkit/scrm/message"
)

// ErrInvalidArgument is matched by the errors of plans and arguments the
// Scheduler refuses before anything is sent or stored.
var ErrInvalidArgument = errors.New("sop: invalid argument")

// Limits of a plan's names and texts.
const (
	// maxNameChars bounds plan and step names, which name the run in
	// reports and reminders.
	maxNameChars = 100
	// maxReminderBytes is an application text message's limit (appmsg.Text,
	// 2048 bytes).
	maxReminderBytes = 2048
)

// Kind is what a step asks the members to do.
type Kind string

// The kinds of steps.
const (
	// KindCustomers is a mass send to customers (客户群发,
	// add_msg_template with chat_type single).
	KindCustomers Kind = "customers"
	// KindGroups is a mass send to customer groups (客户群群发,
	// add_msg_template with chat_type group).
	KindGroups Kind = "groups"
	// KindMoments is a post to customers' Moments (客户朋友圈,
	// add_moment_task).
	KindMoments Kind = "moments"
)

// Plan is an SOP plan: steps due at fixed times after Start. It is data:
// keep plans in configuration and hand the same plan to every call.
type Plan struct {
	// Name identifies the plan in the corp ("layer:vip 2025-W47", any
	// text of at most 100 characters); with a step's Name it identifies the
	// step's run in the Store, so a plan that starts again (next month's)
	// takes a new name.
	Name string
	// Start is when the plan starts; each step is due At after it.
	Start time.Time
	// Steps are the plan's steps, in any order.
	Steps []Step
}

// Step is one action of a plan: exactly one of MassSend (customers, or
// customer groups when its Audience names Groups) and Moment.
type Step struct {
	// Name identifies the step within the plan ("day 3: new collection",
	// at most 100 characters); members read it in reminders.
	Name string
	// At is when the step is due, after the plan's Start (0 or more).
	At time.Duration
	// MassSend is a mass send: to customers (群发; a TagFilter names a
	// layer) or, with Audience.Groups, to customer groups (群群发). Its
	// tasks are created with message.Service.MassSend.
	MassSend *message.MassSendRequest
	// Moment is a post the members publish to their customers' Moments
	// (朋友圈): its VisibleRange names the senders and the tags of the
	// customers who see it.
	Moment *message.AddMomentTaskRequest
	// Reminder is the application message a member who has not done the
	// step gets from Remind when WeCom's own reminder does not apply; at
	// most 2048 bytes. Empty: a text naming the plan, the step and what to
	// do.
	Reminder string
}

// Kind says what the step asks of the members ("" for a step that is
// neither a mass send nor a Moments post).
func (st *Step) Kind() Kind {
	switch {
	case st.MassSend != nil && len(st.MassSend.Audience.Groups) > 0:
		return KindGroups
	case st.MassSend != nil:
		return KindCustomers
	case st.Moment != nil:
		return KindMoments
	}
	return ""
}

// Due returns when the step is due: the plan's Start plus the step's At.
func (p *Plan) Due(st *Step) time.Time { return p.Start.Add(st.At) }

// step returns the plan's step called name.
func (p *Plan) step(name string) (*Step, error) {
	for i := range p.Steps {
		if p.Steps[i].Name == name {
			return &p.Steps[i], nil
		}
	}
	return nil, fmt.Errorf("%w: plan %q has no step %q", ErrInvalidArgument, p.Name, name)
}

// validate checks the plan before anything is claimed or sent: names,
// times, one action per step, and each mass send's audience.
func (p *Plan) validate() error {
	if p == nil {
		return fmt.Errorf("%w: the plan is nil", ErrInvalidArgument)
	}
	if err := checkName("Plan.Name", p.Name); err != nil {
		return err
	}
	if p.Start.IsZero() {
		return fmt.Errorf("%w: plan %q has no Start", ErrInvalidArgument, p.Name)
	}
	seen := make(map[string]bool, len(p.Steps))
	for i := range p.Steps {
		st := &p.Steps[i]
		if err := checkName(fmt.Sprintf("plan %q: Steps[%d].Name", p.Name, i), st.Name); err != nil {
			return err
		}
		if seen[st.Name] {
			return fmt.Errorf("%w: plan %q has two steps called %q; a step's name identifies its run", ErrInvalidArgument, p.Name, st.Name)
		}
		seen[st.Name] = true
		if st.At < 0 {
			return fmt.Errorf("%w: plan %q: step %q is due before the plan starts (At %v)", ErrInvalidArgument, p.Name, st.Name, st.At)
		}
		if (st.MassSend == nil) == (st.Moment == nil) {
			return fmt.Errorf("%w: plan %q: step %q sets exactly one of MassSend and Moment", ErrInvalidArgument, p.Name, st.Name)
		}
		if st.MassSend != nil {
			if _, err := st.MassSend.Tasks(); err != nil {
				return fmt.Errorf("%w: plan %q: step %q: %w", ErrInvalidArgument, p.Name, st.Name, err)
			}
		}
		if len(st.Reminder) > maxReminderBytes {
			return fmt.Errorf("%w: plan %q: step %q: Reminder has %d bytes; an application text message takes at most %d",
				ErrInvalidArgument, p.Name, st.Name, len(st.Reminder), maxReminderBytes)
		}
	}
	return nil
}

func checkName(field, name string) error {
	switch n := utf8.RuneCountInString(name); {
	case name == "":
		return fmt.Errorf("%w: %s is required", ErrInvalidArgument, field)
	case n > maxNameChars:
		return fmt.Errorf("%w: %s has %d characters; at most %d", ErrInvalidArgument, field, n, maxNameChars)
	}
	return nil
}

// reminderText is the application message for a member who has not done
// step st of plan p.
func reminderText(p *Plan, st *Step) string {
	if st.Reminder != "" {
		return st.Reminder
	}
	var what string
	switch st.Kind() {
	case KindGroups:
		what = "send the message to your customer groups (客户群群发)"
	case KindMoments:
		what = "post to your customers' Moments (发表到客户朋友圈)"
	default:
		what = "send the message to your customers (客户群发)"
	}
	return fmt.Sprintf("%s · %s: please %s in the WeCom client.", p.Name, st.Name, what)
}
