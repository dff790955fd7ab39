// Package churn turns WeCom's two churn events into records a vendor acts
// on (流失提醒): del_follow_user, a customer deleted a member in WeChat, and
// del_external_contact, a member deleted a customer. Each Record says who
// (the customer's external_userid and, when known, name), which member,
// which side deleted, the channel the relation came through, the tags it
// carried at that moment and when.
//
//	alerts, err := churn.NewAlerts(contacts,
//		churn.WithChannelResolver(channels),           // contact.Channels, acquisition.Channels
//		churn.WithNotifier(notifier))                  // an *appmsg.Notifier: tell the member
//	alerts.OnChurn(func(ctx context.Context, r *churn.Record) {
//		crm.LostCustomer(r.ID, r.ExternalUserID, r.UserID, r.DeletedBy, r.Channel, r.Tags)
//	})
//	alerts.Register(h) // a *callback.Handler
//
// # What is known when
//
// When the event arrives the relation may be gone from WeCom, so Alerts
// keeps a small snapshot of every relation it hears of, in the Store
// (one key per relation, deleted when the relation ends):
//
//	add_external_contact,        State and AddedAt from the event, the name through
//	add_half_external_contact    contact.Service.CustomerName (shared with the welcome and
//	                             the channel's remark: no extra read); tags left from an
//	                             earlier relation of the pair are dropped
//	edit_external_contact        the member's follow_user entry, read with externalcontact/get
//	                             (a member changed the remark or tags in the client)
//	Marked(req)                  the tags the app marked with mark_tag, which raises no event:
//	                             call it after contact.Service.MarkTag succeeds
//	Refresh(user, customer)      the follow_user entry, read with externalcontact/get
//	Remember(records...), Load   records of a bulk sync (contact.Service.Sync): tags as ids
//
// At a churn event Alerts first reads the customer with externalcontact/get
// (one read): when WeCom still lists the member's relation (WeCom documents
// a one-way relation after del_follow_user) its state, tags and name are
// used (Record.Source FromWeCom); otherwise the snapshot's (FromSnapshot,
// as of SnapshotAt); without one, the Record holds what the event says
// (FromEvent). A relation the Alerts never heard of before its end (it
// began before the Alerts ran, and no Load covered it) therefore has no
// tags or state: run Load once at deployment. Tag changes made by another
// app through the API are not seen until the next Refresh or Load.
//
// A del_external_contact whose Source is DELETE_BY_TRANSFER (an on-the-job
// transfer moved the customer to another member) is no churn: the snapshot
// is dropped and no Record made.
//
// # Once
//
// Each churn is delivered once. A callback.Handler already runs a function
// again only when it failed; beyond that, a Record's ID is derived from the
// event (corp, member, customer, side, time), claimed in the Store before
// the notice and the OnChurn hook run, and remembered for 30 days
// (WithRecordTTL) after: a re-send, a queue's retry or a dead letter
// replayed is recognised and skipped. A claim whose holder died is taken
// over after two minutes. A notice is sent at most once per Record; one
// refused (WeCom's frequency limits, say) is reported in Record.NoticeErr,
// not retried.
//
// # Store keys
//
//	scrm:churn:<corp>:rel:<userid>:<external_userid>   a relation's Snapshot (JSON)
//	scrm:churn:<corp>:record:<id>                      a record's claim, then its delivery
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/92130
package churn
