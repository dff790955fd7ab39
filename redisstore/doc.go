// Package redisstore keeps what several instances of a WeCom backend must
// share in Redis (go-redis v9): tokens, suite tickets and permanent codes
// (a wecom.Store, encrypted at rest if given a key), the lock that makes N
// cold instances fetch a token once (a wecom.Locker), WeCom's frequency
// limits counted across instances (Limiter, a wecom.Limiter), callback
// de-duplication claims (the Store, given to callback.WithDedupStore), and
// a durable callback queue on a Redis stream (Queue, a callback.Queue).
//
//	rdb := redis.NewClient(&redis.Options{Addr: "10.0.0.5:6379"})
//	store, err := redisstore.New(ctx, rdb, redisstore.WithEncryptionKey(key))
//	limiter := store.NewLimiter(wecom.DefaultLimit(), nil)
//	client := wecom.New(corpID, secret, wecom.WithStore(store), wecom.WithLimiter(limiter))
//	queue, err := store.NewQueue(redisstore.WithName("contacts"))
//	h, err := callback.NewHandler(token, aesKey, callback.WithReceiverID(corpID),
//		callback.WithQueue(queue)) // de-duplicates through the queue's claims
//
// It is an adapter standing above both packages whose interfaces it
// implements (wecom's Store, Locker and Limiter; callback's Queue), in the
// same Go module so that it changes in step with them; a program that never
// imports it builds none of go-redis.
//
// # Keys
//
// Every key starts with the prefix (WithPrefix, default "scrm:"):
//
//	<prefix><store key>                 Store values, under the SDK's key names
//	                                    (wecom:token:..., wecom:suite:..., scrm:callback:seen:...)
//	<prefix><store key>:lock            token-fetch locks (random value, PX expiry)
//	<prefix>limit:<corp>:<path>         limiter buckets (a hash; expires once the buckets are full)
//	<prefix>queue:{<name>}              callback stream (consumer group "handlers")
//	<prefix>queue:{<name>}:dead         dead letters
//	<prefix>scrm:callback:seen:{<name>}:<hash>      a queued push's de-dup claim
//	<prefix>scrm:callback:seen:{<name>}:<hash>:ran  the handler functions that succeeded for it
//	<prefix>redisstore:keycheck         tells a wrong encryption key at New
//
// The braces put a queue's streams and its pushes' claims in one hash
// slot, so its scripts work on Redis Cluster too; every other script
// touches one key.
//
// # The queue's steps
//
// A push takes three round trips: one script claims its de-dup key and
// appends it to the stream (concurrent pushes share one call), one
// XREADGROUP reads a batch of pushes, and one script marks a handled
// push's key done and acknowledges and deletes it (concurrent workers'
// pushes share one call). The claim names the stream entry, so that a
// re-send is recognised while the push waits, runs, retries or is parked,
// and a claim naming nothing stored does not turn a re-send away. A
// process killed at any point loses nothing: a push stored is run by some
// instance (after the visibility timeout if the one running it died), and
// it completes once unless the instance died after its handlers returned
// and before the done mark landed (then it runs again: handlers should be
// idempotent).
//
// # Instance roles
//
// Large deployments split the two jobs of a callback URL. The instances
// that WeCom reaches over HTTP only verify, de-duplicate and store (a
// Queue with WithoutWorkers, given to the Handler that serves the URL), so
// that they answer within milliseconds whatever the handlers cost; worker
// processes, which serve no HTTP, run the stored pushes (a Queue with
// workers, given to a Handler built with the same Token, EncodingAESKey,
// receiver check and handler functions, never served; call its Start once
// the functions are registered). Both use the same queue name and Redis.
// examples/roles shows both roles.
//
// # When Redis goes away
//
// What each part does while Redis does not answer, and after:
//
//   - Tokens (a wecom.Client given this Store): a client keeps using the
//     token it holds in memory without asking Redis. One it must fetch
//     meanwhile (cold, expiring or rejected) is fetched from WeCom under
//     Lock's fallback: once per instance per token (its callers share the
//     fetch), again only after WeCom rejects it, and kept in memory
//     (storing it fails and is logged). An outage thus costs at most one
//     fetch per instance per token, plus one per rejection.
//   - Lock: a lock of this process alone (see Lock), logged once a minute.
//   - Limiter: an in-process limiter with the same limits (see Limiter):
//     each instance within the full budget, so N instances may together
//     go N times over it; WeCom answers 45009 beyond, which the client
//     retries with backoff.
//   - The limiter and the lock try Redis again once a second (one call
//     probes), so that calls do not each wait for a failing round trip.
//   - Store's Get, Set, Delete and CompareAndSwap return the error: what
//     is kept only in Redis (channel codes' states, a kf cursor) cannot be
//     read or written until it answers.
//   - Callback pushes with a Queue: a push that cannot be claimed and
//     stored is answered 503, never "success", so that WeCom re-sends it
//     (WeCom re-sends a few times only: a push all of whose deliveries fall
//     in an outage is lost at WeCom, never acknowledged here). A push
//     handled before its answer (no queue, or a kind the Handler handles
//     synchronously) runs anyway when its claim cannot be taken: a
//     possible duplicate beats a lost event.
//   - Workers: reads fail and are retried (up to 5 s apart). A run in
//     progress finishes; its done mark and acknowledgement are retried
//     (every 250 ms at most) until Redis answers, while its claim is
//     renewed, so it is not run again. Once Redis answers, an instance
//     waits five seconds before it claims pushes left idle past the
//     visibility timeout, so that the instances running them acknowledge
//     first.
//
// After a restart Redis holds what it persisted: run it with persistence
// (appendonly yes) where stored pushes and claims must survive one;
// without it a restart loses the pushes stored and not yet run.
//
// # Encryption at rest
//
// With WithEncryptionKey every value (except the "pending"/"done" markers
// of callback de-duplication) is sealed with AES-GCM, the key name as
// additional data: a value moved to another key, or changed, fails
// (ErrTampered), and a value sealed with a key the store was not given
// fails with ErrWrongKey rather than returning garbage. New checks the key
// against a value the first instance wrote, so a wrong key is reported at
// start. Rotate by giving the new key with the old one as previous.
// Callback pushes in the queue are kept as WeCom sent them (encrypted with
// the callback's EncodingAESKey), so no customer data is stored in clear.
//
// # Redis version
//
// Redis 6.2 or newer (XAUTOCLAIM); the tests run against Redis 7.
package redisstore
