package redisstore_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/scrmkit/scrm/callback"
	"github.com/scrmkit/scrm/redisstore"
	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

// Several instances of a backend serving one corp: each opens the same
// Redis; tokens, limits, callback de-duplication and the callback queue are
// shared. Here one instance, against an in-memory Redis and the fake WeCom.
func Example() {
	ctx := context.Background()
	mr, _ := miniredis.Run() // stands in for your Redis
	defer mr.Close()
	fake := wecomtest.Start() // stands in for WeCom
	defer fake.Close()
	corpID, secret, token, aesKey := fake.CorpID, fake.Secret, "callbacktoken", wecomtest.NewEncodingAESKey()
	encryptionKey := make([]byte, 32) // 32 random bytes from your secret manager

	addr := mr.Addr() // your Redis's address

	rdb := redis.NewClient(&redis.Options{Addr: addr})
	defer rdb.Close()
	store, err := redisstore.New(ctx, rdb, redisstore.WithPrefix("myapp:"), redisstore.WithEncryptionKey(encryptionKey))
	if err != nil {
		fmt.Println(err) // ErrWrongKey if another key encrypted this store
		return
	}
	limiter := store.NewLimiter(wecom.DefaultLimit(), nil) // WeCom's limits, counted across instances
	client := wecom.New(corpID, secret, wecom.WithStore(store), wecom.WithLimiter(limiter),
		wecom.WithBaseURL(fake.URL), wecom.WithHTTPClient(fake.HTTPClient()))

	// Callbacks: answered once the push is in Redis (still encrypted), run
	// by whichever instance's worker reads it, retried, parked when failing.
	queue, err := store.NewQueue(redisstore.WithName("contacts"), redisstore.WithPollInterval(50*time.Millisecond))
	if err != nil {
		fmt.Println(err)
		return
	}
	h, err := callback.NewHandler(token, aesKey, callback.WithReceiverID(corpID),
		callback.WithDedupStore(store, 0), callback.WithQueue(queue),
		callback.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer h.Close(ctx)
	added := make(chan string, 1)
	h.OnAddExternalContact(func(ctx context.Context, ev *callback.ExternalContactEvent) error {
		added <- ev.ExternalUserID
		return nil
	})
	srv := httptest.NewServer(h) // http.Handle("/wecom/callback", h)
	defer srv.Close()

	if _, err := client.AccessToken(ctx); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("token fetches:", fake.Corp(corpID).TokenFetches())
	p := wecomtest.NewPusher(srv.URL, token, aesKey, corpID)
	res, err := p.Push(ctx, wecomtest.AddExternalContactXML(corpID, "zhangsan", "wmCustomer01", "", "", time.Now()))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("push answered:", res.Body())
	fmt.Println("handled:", <-added)

	// Pushes whose handlers kept failing wait as dead letters; replay them
	// once the cause is fixed.
	dead, err := queue.ListDeadLetters(ctx, "", 100)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, dl := range dead {
		if _, err := queue.Replay(ctx, dl.ID); err != nil {
			fmt.Println(err)
		}
	}
	fmt.Println("dead letters:", len(dead))
	// Output:
	// token fetches: 1
	// push answered: success
	// handled: wmCustomer01
	// dead letters: 0
}
