package callback

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
)

// Registering a nil function is a mistake that would drop every event it
// was meant for while answering WeCom "success": the Handler records it
// (Err) and refuses every request with 500 from then on, so that WeCom
// re-sends and the console's URL check fails, until a Handler is built
// without the mistake.

// router maps event kinds (and change types) to handler functions.
type router struct {
	mu     sync.RWMutex
	routes []route
	def    []func(context.Context, Event) error
}

type route struct {
	kind    EventKind
	changes []ChangeType // empty: every change type
	fn      func(context.Context, Event) error
}

func (r *router) add(kind EventKind, changes []ChangeType, fn func(context.Context, Event) error) {
	r.mu.Lock()
	r.routes = append(r.routes, route{kind: kind, changes: slices.Clone(changes), fn: fn})
	r.mu.Unlock()
}

// dispatch runs every matching handler in registration order, or the
// default handlers when none matches. Errors are joined; a panic becomes an
// error. handled is false when no function at all was registered for ev.
func (r *router) dispatch(ctx context.Context, ev Event) (handled bool, err error) {
	env := ev.Header()
	kind := env.Kind()
	r.mu.RLock()
	var fns []func(context.Context, Event) error
	for i := range r.routes {
		rt := &r.routes[i]
		if rt.kind == kind && (len(rt.changes) == 0 || slices.Contains(rt.changes, env.ChangeType)) {
			fns = append(fns, rt.fn)
		}
	}
	if len(fns) == 0 {
		fns = r.def
	}
	r.mu.RUnlock()
	if len(fns) == 0 {
		return false, nil
	}
	var errs []error
	for _, fn := range fns {
		if err := safeCall(ctx, fn, ev); err != nil {
			errs = append(errs, err)
		}
	}
	return true, errors.Join(errs...)
}

func safeCall(ctx context.Context, fn func(context.Context, Event) error, ev Event) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("callback: handler panicked: %v", p)
		}
	}()
	return fn(ctx, ev)
}

// on registers fn for events of kind whose concrete type is E.
func on[E Event](h *Handler, kind EventKind, changes []ChangeType, fn func(context.Context, E) error) {
	if fn == nil {
		h.misconfigured(fmt.Sprintf("a nil function was registered for %q events", kind))
		return
	}
	h.routes.add(kind, changes, func(ctx context.Context, ev Event) error {
		e, ok := ev.(E)
		if !ok {
			return fmt.Errorf("callback: %s event has unexpected type %T", kind, ev)
		}
		return fn(ctx, e)
	})
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
	h.routes.add(kind, changes, fn)
}

// OnDefault registers fn for every push no other handler matched, unknown
// kinds included: nothing is dropped silently.
func (h *Handler) OnDefault(fn func(context.Context, Event) error) {
	if fn == nil {
		h.misconfigured("a nil function was registered with OnDefault")
		return
	}
	h.routes.mu.Lock()
	h.routes.def = append(h.routes.def, fn)
	h.routes.mu.Unlock()
}
