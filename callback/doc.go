// Package callback receives what WeCom pushes to a callback URL: it verifies
// and decrypts (Crypto, WeCom's WXBizMsgCrypt scheme), parses the XML into
// typed events, de-duplicates WeCom's re-sends and dispatches to handler
// functions (Handler, an http.Handler).
//
//	h, err := callback.NewHandler(token, encodingAESKey,
//		callback.WithReceiverID(corpID),   // required: see below
//		callback.WithWorkers(8, 1024))     // answer at once, handle in the background
//	h.OnAddExternalContact(func(ctx context.Context, ev *callback.ExternalContactEvent) error {
//		log.Printf("%s came through channel %q", ev.ExternalUserID, ev.State)
//		return nil // ev.WelcomeCode is valid for 20 s
//	})
//	http.Handle("/wecom/callback", h)
//
// # Receiver ids
//
// WeCom appends a receiver id to every plaintext; checking it stops a
// message encrypted for one app or corp being replayed to another that
// shares the key. What it holds depends on the URL:
//
//	self-built app                       the corp id
//	agent-developed (代开发) app data URL  the authorized corp's id
//	third-party command URL (指令回调)     the suite id
//	third-party data URL (数据回调)        the authorized corp's id (one URL, many corps)
//	URL check of a third-party URL       the provider's corp id (WeCom staff's answer; not in the docs)
//	personal-subject apps, smart robots  empty
//
// A Handler must be told which ids to accept: WithReceiverID,
// WithReceiverIDs, WithReceiverFunc (e.g. "is this an authorized corp?" on
// a data URL), or, explicitly, InsecureSkipReceiverCheck. NewHandler fails
// without one. WithURLCheckReceiverIDs accepts ids on URL checks only:
// NewSuiteCommandHandler and NewSuiteDataHandler use it for the provider's
// corp id (wecom.WithProviderCorpID).
//
// # Delivery
//
// WeCom waits 5 seconds for an answer (1 second for URL checks and
// authorization events) and re-sends up to three times in all. The Handler
// answers "success" as soon as the event is handled, or, with WithWorkers,
// as soon as it is queued. Re-sends are recognised by a hash of the
// receiver id and the decrypted XML, and reach the handlers once. Without
// WithWorkers a failed handler is answered 500 and a re-send that arrives
// while the first delivery still runs 503, so that WeCom keeps re-sending
// until the event was handled; with WithWorkers WeCom has its "success"
// already and does not send the event again: a failure reaches only
// WithErrorHook and the logger, so record the event there if it must not
// be lost. WithQueue puts a durable queue in place of the in-process
// workers (redisstore has one on Redis Streams): the push is claimed and
// stored, still encrypted, in one step before WeCom is answered, run by a
// worker of any instance, retried with backoff and parked as a dead letter
// when it keeps failing, so a failed handler or a crashed instance loses
// nothing. A queue's workers start with the Handler, and their runs begin
// at its start (Handler.Start, its first request, or a second after the
// last registration), so that pushes stored earlier never run before the
// functions meant for them are registered. The instances that receive and
// those that run may be different processes (redisstore's "Instance
// roles").
//
// A push answered after its handlers ran (without WithWorkers) can carry a
// passive reply (被动回复): a template-card event's ReplyButton greys out
// the button the member pressed (OnTemplateCard, OnTemplateCardMenu).
//
// De-duplication keeps its claims in this process by default, without
// timers or I/O; WithDedupStore shares them (through Redis, say) so that a
// re-send landing on another instance is recognised.
//
// # Several functions for one event
//
// Any number of functions may be registered for one event (a welcome
// message, channel tagging and an analytics feed on add_external_contact,
// say), in any order: when more than one matches a push they run
// concurrently, each on a goroutine of its own, so that none waits for
// another, and the push is answered (or its queued run ends) when all have
// returned. Each function's outcome is its own: when one fails, the ones
// that succeeded are recorded with the push's de-dup key, and the
// redelivery (WeCom's re-send, or a durable queue's retry) runs only the
// functions that have not succeeded yet; a welcome is not sent twice
// because the tagging beside it failed. A function is known by its index
// among the Handler's registrations (HandlerError.Index), which stays the
// same as long as the program registers the same functions in the same
// order. The record is kept with a fingerprint of the registrations: a
// program whose registrations differ (a new version, mid-deployment)
// ignores it and runs every function again, a possible duplicate rather
// than a skipped function. With WithoutDedup nothing is recorded and a
// redelivery runs every function again. The functions of one push share its context
// and event: treat the event as read-only.
//
// The package is silent by default (WithLogger). A nil handler function
// given to an On method makes the Handler refuse every request (Handler.Err
// says why) instead of dropping events.
//
// # Without the Handler
//
// A router of its own can use the parts: ParsePush reads the wrapper of a
// push (ToUserName, Encrypt, AgentID) with the package's scanner,
// Crypto.Decrypt checks the signature and decrypts, ParseEvent gives the
// typed event.
//
// WeCom API docs: https://developer.work.weixin.qq.com/document/path/90930
package callback
