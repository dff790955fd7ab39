package callback

import (
	"context"
	"fmt"
	"hash/fnv"
	"reflect"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Registering a nil function is a mistake that would drop every event it
// was meant for while answering WeCom "success": the Handler records it
// (Err) and refuses every request with 500 from then on, so that WeCom
// re-sends and the console's URL check fails, until a Handler is built
// without the mistake.

// handlerFunc is a registered function as the router calls it.
type handlerFunc func(context.Context, Event) error

// registration is one function given to an On method. Its index in
// router.regs is its identity (HandlerError.Index, the record of the
// functions that succeeded for an event).
type registration struct {
	kind    EventKind
	changes []ChangeType // empty: every change type
	def     bool         // OnDefault: runs when no other registration matches
	fn      handlerFunc
	name    string // the function as the runtime names it, for logs
}

// matches reports whether the registration is for events of kind with
// change type ct (OnDefault ones match nothing by themselves).
func (rg *registration) matches(kind EventKind, ct ChangeType) bool {
	return !rg.def && rg.kind == kind && (len(rg.changes) == 0 || slices.Contains(rg.changes, ct))
}

// router maps event kinds (and change types) to handler functions.
type router struct {
	mu   sync.RWMutex
	regs []registration
}

func (r *router) add(reg registration) {
	reg.changes = slices.Clone(reg.changes)
	r.mu.Lock()
	r.regs = append(r.regs, reg)
	r.mu.Unlock()
}

// fingerprint identifies the registrations (kinds, change types and
// function names, in order) in a record of the functions that succeeded
// for an event, so that another program's record is not read with this
// one's indices.
func (r *router) fingerprint() string {
	h := fnv.New64a()
	r.mu.RLock()
	for i := range r.regs {
		rg := &r.regs[i]
		fmt.Fprintf(h, "%s|%q|%t|%s\n", rg.kind, rg.changes, rg.def, rg.name)
	}
	r.mu.RUnlock()
	return strconv.FormatUint(h.Sum64(), 16)
}

// matched is one function dispatch runs.
type matched struct {
	id int
	fn handlerFunc
}

// dispatch runs the functions registered for ev, or the OnDefault ones when
// none is, except those in skip (they succeeded for ev before). A single
// function runs on the calling goroutine; several run concurrently, one
// goroutine each (the caller's among them), and dispatch returns when all
// have. A panic becomes an error. handled is false when no function at all
// was registered for ev. When some function failed, succeeded holds the
// ones that did (of this run) and failed one HandlerError per failure, in
// registration order; when none failed both are nil.
func (r *router) dispatch(ctx context.Context, ev Event, skip fnSet) (handled bool, succeeded fnSet, failed []*HandlerError) {
	env := ev.Header()
	kind := env.Kind()
	var buf [4]matched
	run := buf[:0]
	r.mu.RLock()
	for i := range r.regs {
		if rg := &r.regs[i]; rg.matches(kind, env.ChangeType) {
			handled = true
			if !skip.has(i) {
				run = append(run, matched{id: i, fn: rg.fn})
			}
		}
	}
	if !handled { // no function for this event: the OnDefault ones
		for i := range r.regs {
			if rg := &r.regs[i]; rg.def {
				handled = true
				if !skip.has(i) {
					run = append(run, matched{id: i, fn: rg.fn})
				}
			}
		}
	}
	r.mu.RUnlock()
	switch len(run) {
	case 0:
		return handled, nil, nil
	case 1:
		if err := safeCall(ctx, run[0].fn, ev); err != nil {
			return true, nil, []*HandlerError{r.failure(run[0].id, err)}
		}
		return true, nil, nil
	}
	errs := make([]error, len(run))
	var wg sync.WaitGroup
	wg.Add(len(run) - 1)
	for i := 1; i < len(run); i++ {
		// m by value: the goroutine must not capture run, whose backing
		// array then stays on the stack for the common single call.
		go func(m matched, dst *error) {
			defer wg.Done()
			*dst = safeCall(ctx, m.fn, ev)
		}(run[i], &errs[i])
	}
	errs[0] = safeCall(ctx, run[0].fn, ev)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			failed = append(failed, r.failure(run[i].id, err))
		} else {
			succeeded = succeeded.with(run[i].id)
		}
	}
	if failed == nil {
		succeeded = nil
	}
	return true, succeeded, failed
}

// failure is the HandlerError of registration id.
func (r *router) failure(id int, err error) *HandlerError {
	r.mu.RLock()
	name := r.regs[id].name
	r.mu.RUnlock()
	return &HandlerError{Index: id, Func: name, Err: err}
}

// HandlerError is the failure (an error returned, or a panic) of one
// registered handler function. The error hook (WithErrorHook) gets one per
// failed function; a Queue's run, several joined with errors.Join.
type HandlerError struct {
	// Index is the function's identity: its position, from 0, among the
	// functions registered on the Handler (by every On method, OnDefault,
	// and the constructors' own), in the order they were registered.
	Index int
	// Func is the function's name as the Go runtime gives it, for logs:
	// package.Function, package.(*Type).Method, or package.Function.func1
	// for a function literal.
	Func string
	// Err is what the function returned, or its panic.
	Err error
}

// Error names the function and its failure.
func (e *HandlerError) Error() string {
	if p, ok := e.Err.(*panicError); ok {
		return fmt.Sprintf("callback: handler #%d (%s) panicked: %v", e.Index, e.Func, p.value)
	}
	return fmt.Sprintf("callback: handler #%d (%s) failed: %v", e.Index, e.Func, e.Err)
}

// Unwrap returns Err.
func (e *HandlerError) Unwrap() error { return e.Err }

// panicError is a handler function's panic.
type panicError struct{ value any }

func (e *panicError) Error() string { return fmt.Sprintf("callback: handler panicked: %v", e.value) }

func safeCall(ctx context.Context, fn func(context.Context, Event) error, ev Event) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = &panicError{value: p}
		}
	}()
	return fn(ctx, ev)
}

// funcName is fn's name for logs, without the import path's directories
// ("message.(*Welcomes).HandleEvent").
func funcName(fn any) string {
	f := runtime.FuncForPC(reflect.ValueOf(fn).Pointer())
	if f == nil {
		return "?"
	}
	name := strings.TrimSuffix(f.Name(), "-fm") // a method value
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		name = name[i+1:]
	}
	return name
}

// on registers fn for events of kind whose concrete type is E.
func on[E Event](h *Handler, kind EventKind, changes []ChangeType, fn func(context.Context, E) error) {
	if fn == nil {
		h.misconfigured(fmt.Sprintf("a nil function was registered for %q events", kind))
		return
	}
	defer h.registered()
	h.routes.add(registration{kind: kind, changes: changes, name: funcName(fn), fn: func(ctx context.Context, ev Event) error {
		e, ok := ev.(E)
		if !ok {
			return fmt.Errorf("callback: %s event has unexpected type %T", kind, ev)
		}
		return fn(ctx, e)
	}})
}

// OnExternalContact registers fn for change_external_contact events of the
// given change types (none: all of them).
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92130
func (h *Handler) OnExternalContact(fn func(context.Context, *ExternalContactEvent) error, changes ...ChangeType) {
	on(h, KindChangeExternalContact, changes, fn)
}

// OnAddExternalContact registers fn for add_external_contact: a member added
// a customer. Send the welcome message (WelcomeCode) within 20 seconds.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92130
func (h *Handler) OnAddExternalContact(fn func(context.Context, *ExternalContactEvent) error) {
	on(h, KindChangeExternalContact, []ChangeType{ChangeAddExternalContact}, fn)
}

// OnExternalChat registers fn for change_external_chat events of the given
// change types (none: all).
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92130
func (h *Handler) OnExternalChat(fn func(context.Context, *ExternalChatEvent) error, changes ...ChangeType) {
	on(h, KindChangeExternalChat, changes, fn)
}

// OnExternalTag registers fn for change_external_tag events of the given
// change types (none: all).
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92130
func (h *Handler) OnExternalTag(fn func(context.Context, *ExternalTagEvent) error, changes ...ChangeType) {
	on(h, KindChangeExternalTag, changes, fn)
}

// OnCustomerAcquisition registers fn for customer_acquisition events of the
// given change types (none: all), in the app form and the third-party form.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/97299
func (h *Handler) OnCustomerAcquisition(fn func(context.Context, *CustomerAcquisitionEvent) error, changes ...ChangeType) {
	on(h, KindCustomerAcquisition, changes, fn)
}

// OnAcquisitionPermitChange registers fn for
// customer_acquisition_permit_change (third-party command URL).
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92277
func (h *Handler) OnAcquisitionPermitChange(fn func(context.Context, *AcquisitionPermitChangeEvent) error) {
	on(h, KindCustomerAcquisitionPermitChange, nil, fn)
}

// OnDataPermission registers fn for auth_data_permission and
// expire_remind_data_permission (third-party command URL).
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/101587
func (h *Handler) OnDataPermission(fn func(context.Context, *DataPermissionEvent) error) {
	on(h, KindAuthDataPermission, nil, fn)
	on(h, KindExpireRemindDataPermission, nil, fn)
}

// OnSpecialAuth registers fn for approve_special_auth and
// cancel_special_auth (third-party command URL).
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/98959
func (h *Handler) OnSpecialAuth(fn func(context.Context, *SpecialAuthEvent) error) {
	on(h, KindApproveSpecialAuth, nil, fn)
	on(h, KindCancelSpecialAuth, nil, fn)
}

// OnExternalUserIDMigration registers fn for agree_external_userid_migration
// (third-party command URL).
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/96516
func (h *Handler) OnExternalUserIDMigration(fn func(context.Context, *ExternalUserIDMigrationEvent) error) {
	on(h, KindAgreeExternalUserIDMigration, nil, fn)
}

// OnSuiteTicket registers fn for suite_ticket (third-party command URL).
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/90628
func (h *Handler) OnSuiteTicket(fn func(context.Context, *SuiteTicketEvent) error) {
	on(h, KindSuiteTicket, nil, fn)
}

// OnCreateAuth registers fn for create_auth. WeCom wants the answer within
// 1000 ms: use WithWorkers, or keep fn to recording the AuthCode.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/90642
func (h *Handler) OnCreateAuth(fn func(context.Context, *CreateAuthEvent) error) {
	on(h, KindCreateAuth, nil, fn)
}

// OnChangeAuth registers fn for change_auth.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/90642
func (h *Handler) OnChangeAuth(fn func(context.Context, *ChangeAuthEvent) error) {
	on(h, KindChangeAuth, nil, fn)
}

// OnCancelAuth registers fn for cancel_auth.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/90642
func (h *Handler) OnCancelAuth(fn func(context.Context, *CancelAuthEvent) error) {
	on(h, KindCancelAuth, nil, fn)
}

// OnResetPermanentCode registers fn for reset_permanent_code.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/97175
func (h *Handler) OnResetPermanentCode(fn func(context.Context, *ResetPermanentCodeEvent) error) {
	on(h, KindResetPermanentCode, nil, fn)
}

// OnChangeContact registers fn for change_contact events of the given change
// types (none: all).
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/90639
func (h *Handler) OnChangeContact(fn func(context.Context, *ChangeContactEvent) error, changes ...ChangeType) {
	on(h, KindChangeContact, changes, fn)
}

// OnMessage registers fn for users' messages of the given MsgType (text,
// image, ...).
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/96467
func (h *Handler) OnMessage(msgType string, fn func(context.Context, *MessageEvent) error) {
	on(h, EventKind(msgType), nil, fn)
}

// On registers fn for any event kind, with the Event as parsed (for kinds
// this package has no typed event for, an *UnknownEvent).
func (h *Handler) On(kind EventKind, fn func(context.Context, Event) error, changes ...ChangeType) {
	if fn == nil {
		h.misconfigured(fmt.Sprintf("a nil function was registered for %q events (On)", kind))
		return
	}
	h.routes.add(registration{kind: kind, changes: changes, fn: fn, name: funcName(fn)})
	h.registered()
}

// OnDefault registers fn for every push no other handler matched, unknown
// kinds included: nothing is dropped silently.
func (h *Handler) OnDefault(fn func(context.Context, Event) error) {
	if fn == nil {
		h.misconfigured("a nil function was registered with OnDefault")
		return
	}
	h.routes.add(registration{def: true, fn: fn, name: funcName(fn)})
	h.registered()
}
