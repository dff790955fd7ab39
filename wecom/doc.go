// Package wecom is the core of scrmkit: a client for WeCom's (企业微信)
// server API that the area packages (contact, groupchat, message,
// acquisition) and callback build on.
//
// # Clients
//
// New returns a Client for one app of one corp: a self-built app (with the
// app's or the customer-contact secret) or an agent-developed app (with the
// permanent code WeCom pushed on authorization as its secret). Third-party
// apps get a Client per authorized corp from a Suite.
//
//	c := wecom.New(corpID, secret, wecom.WithLogger(logger))
//
// Every API call goes through Do (Get and Post are shorthands). The client
// puts the access token in the query string, waits for the frequency
// limiter, sends the request, turns errcode != 0 into *Error and retries what
// is safe to retry.
//
// # Tokens
//
// Tokens are cached in a Store (NewMemoryStore by default; a shared store lets
// several instances use one token), fetched once no matter how many callers
// ask, refreshed in the background before they expire, and dropped and
// fetched again once when WeCom rejects them (40014, 42001). Store keys never
// contain secrets.
//
// # Retries and writes
//
// WeCom has no idempotency keys. A call's Op says what may be repeated:
// OpRead and OpIdempotent calls are retried after system-busy answers, HTTP
// 5xx, connection failures and (with a longer backoff) frequency limits;
// OpWrite calls only when the request provably never left. A write that may
// have reached WeCom fails with an error matching ErrOutcomeUnknown.
//
// # Frequency limits
//
// WeCom allows each corp 10,000 calls a minute and 150,000 an hour per API.
// The client's Limiter keeps under that before WeCom answers 45009; override
// per path with WithRateLimit, or share limits between instances with a
// Limiter backed by a shared store.
//
// # Pagination and batches
//
// Paginate turns a cursor endpoint into an iter.Seq2; Batch runs API-sized
// chunks of a long list with bounded concurrency and reports per item.
//
// # Naming
//
// Every package follows the same rules (CONTRIBUTING.md has them in full):
// an API area is a Service built with New(client); a method that makes one
// call is named after its endpoint, verb first (add_contact_way is
// AddContactWay; get_x_list and list_x are ListXs; get_x is GetX); the
// method that walks every page of it adds Iter (ListContactWaysIter); the
// one that takes any number of inputs and chunks them into calls adds Many
// (MarkTagMany). Free functions are kept for what calls no API: error
// predicates, pointer helpers, parsers, Paginate and Batch.
//
// # Testing
//
// Package wecomtest is an in-process fake WeCom: Server.Client returns a
// Client wired to it.
package wecom
