// Package dedupkey holds what package callback and package redisstore must
// agree on about the de-duplication records of callback pushes kept in a
// shared store: the key prefix and the values a claim takes. callback
// writes and reads them through a wecom.Store; redisstore's queue reads and
// writes the same keys inside its Redis scripts, so that claiming a push
// and storing it are one atomic step (callback.ClaimingQueue).
package dedupkey

// Prefix starts every de-dup key: Prefix + hex(SHA-256(receiveid ‖ 0x00 ‖
// decrypted XML)). redisstore leaves these keys unencrypted: its scripts
// read them.
const Prefix = "scrm:callback:seen:"

// RanSuffix, appended to a key, names the record of the handler functions
// that succeeded for the push ("<fingerprint>:0,2").
const RanSuffix = ":ran"

// The values of a claim.
const (
	// Pending: a delivery is being handled before its answer (or waits in
	// an in-process queue). Nothing is stored anywhere.
	Pending = "pending"
	// Done: every handler function succeeded.
	Done = "done"
	// Failed: released after a failure; the RanSuffix record lists the
	// functions that succeeded.
	Failed = "failed"
	// Queued, followed by a stream entry id, claims a push stored in a
	// durable queue's stream under that id; Parked, followed by an id, one
	// moved to the queue's dead letters. Both count as pending for callback
	// (any value other than Done and Failed does): a re-send is not queued
	// again while the stored push exists.
	Queued = "queued:"
	Parked = "parked:"
)
