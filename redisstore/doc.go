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
//		callback.WithDedupStore(store, 0), callback.WithQueue(queue))
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
//	<prefix>redisstore:keycheck         tells a wrong encryption key at New
//
// The braces put a queue's two streams in one hash slot, so its scripts work
// on Redis Cluster too; every other script touches one key.
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
