// Command roles runs a callback URL split the way large deployments split
// it, on a shared Redis (package redisstore):
//
//   - receivers, the HTTP instances WeCom reaches, only verify, de-duplicate
//     and store each push (still encrypted) and answer "success" within
//     milliseconds, whatever the handlers cost; they run no handler;
//   - workers, processes with no HTTP, run the stored pushes' handler
//     functions, retry failures and park what keeps failing.
//
// Both roles are built by the two functions below, receiver and worker,
// from the same callback settings.
//
//	go run ./examples/roles
//
// runs one receiver and, once customers' pushes are stored, one worker, in
// this process, against the fake WeCom (wecomtest), with the Redis at
// REDIS_ADDR or, when it is unset, an in-process miniredis: no credentials
// needed. In a deployment each role is a process of its own (several of
// each), sharing one Redis:
//
//	REDIS_ADDR=10.0.0.5:6379 WECOM_CORP_ID=... WECOM_CALLBACK_TOKEN=... WECOM_CALLBACK_AES_KEY=... \
//		go run ./examples/roles -role receiver -listen :8080
//	REDIS_ADDR=10.0.0.5:6379 WECOM_CORP_ID=... WECOM_CORP_SECRET=... WECOM_CALLBACK_TOKEN=... WECOM_CALLBACK_AES_KEY=... \
//		go run ./examples/roles -role worker
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/scrmkit/scrm/callback"
	"github.com/scrmkit/scrm/contact"
	"github.com/scrmkit/scrm/examples/internal/env"
	"github.com/scrmkit/scrm/examples/internal/steps"
	"github.com/scrmkit/scrm/redisstore"
	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

func main() {
	role := flag.String("role", "", `"receiver" or "worker" to run one role until interrupted; empty: the demo`)
	listen := flag.String("listen", ":8080", "the receiver's HTTP address")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	switch *role {
	case "":
		ctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		err = run(ctx, os.Stdout, os.Getenv)
	case "receiver", "worker":
		err = serve(ctx, *role, *listen, os.Getenv)
	default:
		err = fmt.Errorf("unknown role %q", *role)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "roles failed:", err)
		os.Exit(1)
	}
}

// queueName is the queue both roles use: one per callback URL.
const queueName = "contacts"

// settings are a callback URL's settings, the same in both roles.
type settings struct{ corpID, token, aesKey string }

// receiver returns the Handler of an instance WeCom reaches: served over
// HTTP, it verifies, de-duplicates and stores each push, and runs no
// handler function (its Queue has no workers).
func receiver(store *redisstore.Store, cb settings) (*callback.Handler, error) {
	q, err := store.NewQueue(redisstore.WithName(queueName), redisstore.WithoutWorkers())
	if err != nil {
		return nil, err
	}
	return callback.NewHandler(cb.token, cb.aesKey, callback.WithReceiverID(cb.corpID), callback.WithQueue(q))
}

// worker returns the Handler of a worker process: never served, its
// Queue's workers run the stored pushes through the handler functions
// registered here. A new customer is read from WeCom (externalcontact/get)
// and handed to seen.
func worker(store *redisstore.Store, cb settings, c *wecom.Client, seen func(externalUserID, name string)) (*callback.Handler, error) {
	q, err := store.NewQueue(redisstore.WithName(queueName), redisstore.WithWorkers(4))
	if err != nil {
		return nil, err
	}
	h, err := callback.NewHandler(cb.token, cb.aesKey, callback.WithReceiverID(cb.corpID), callback.WithQueue(q))
	if err != nil {
		return nil, err
	}
	contacts := contact.New(c)
	h.OnAddExternalContact(func(ctx context.Context, ev *callback.ExternalContactEvent) error {
		d, err := contacts.Get(ctx, &contact.GetRequest{ExternalUserID: ev.ExternalUserID})
		if err != nil {
			return err // the queue retries, then parks the push as a dead letter
		}
		seen(ev.ExternalUserID, d.ExternalContact.Name)
		return nil
	})
	h.Start() // every function is registered: the runs may begin
	return h, nil
}

// openRedis opens the shared Redis: REDIS_ADDR, or an in-process
// miniredis when it is unset (closed by the returned func). Every key
// starts with prefix.
func openRedis(ctx context.Context, getenv func(string) string, prefix string) (*redisstore.Store, string, func(), error) {
	addr, what := getenv("REDIS_ADDR"), "REDIS_ADDR"
	var mini *miniredis.Miniredis
	if addr == "" {
		mini = miniredis.NewMiniRedis()
		if err := mini.Start(); err != nil {
			return nil, "", nil, err
		}
		addr, what = mini.Addr(), "no REDIS_ADDR: an in-process miniredis"
	}
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	closeAll := func() {
		_ = rdb.Close()
		if mini != nil {
			mini.Close()
		}
	}
	store, err := redisstore.New(ctx, rdb, redisstore.WithPrefix(prefix))
	if err != nil {
		closeAll()
		return nil, "", nil, err
	}
	return store, what + " at " + addr, closeAll, nil
}

// demo is the state of the demo's steps.
type demo struct {
	ctx      context.Context
	getenv   func(string) string
	store    *redisstore.Store
	closeRdb func()
	fake     *wecomtest.Server // nil against a real WeCom
	client   *wecom.Client
	cb       settings
	configID string

	recv     *callback.Handler
	recvHTTP *httptest.Server
	work     *callback.Handler
	probe    *redisstore.Queue // reads the queue's numbers

	mu        sync.Mutex
	scanned   []string
	runs      map[string]int // customer → runs of its push
	handledAt chan struct{}  // a customer was handled
}

func run(ctx context.Context, out io.Writer, getenv func(string) string) error {
	d := &demo{ctx: ctx, getenv: getenv, runs: map[string]int{}, handledAt: make(chan struct{}, 64)}
	defer d.close()
	return steps.New(out, 44).Run(d.fake != nil || getenv("WECOM_CORP_ID") == "", []steps.Step{
		{Name: "connect Redis", Fn: d.connectRedis},
		{Name: "connect WeCom", Fn: d.connectWeCom},
		{Name: "start a receiver (HTTP; stores, runs none)", Fn: d.startReceiver},
		{Name: "create a contact way", FakeOnly: true, Fn: d.contactWay},
		{Name: "three customers scan it", FakeOnly: true, Fn: d.scan},
		{Name: "start a worker (no HTTP)", Fn: d.startWorker},
		{Name: "the worker runs the stored pushes", FakeOnly: true, Fn: d.drained},
		{Name: "stop both roles", Fn: d.stop},
	})
}

func (d *demo) connectRedis() (string, error) {
	// The demo's keys are its own, and deleted at the end: a Redis at
	// REDIS_ADDR may be shared (a deployment uses one fixed prefix).
	prefix := fmt.Sprintf("scrm-roles-demo:%d:", time.Now().UnixNano())
	store, what, closeRdb, err := openRedis(d.ctx, d.getenv, prefix)
	if err != nil {
		return "", err
	}
	d.store = store
	d.closeRdb = func() {
		ctx := context.Background()
		keys := store.Client().Scan(ctx, 0, prefix+"*", 1000).Iterator()
		for keys.Next(ctx) {
			store.Client().Del(ctx, keys.Val())
		}
		closeRdb()
	}
	d.probe, err = store.NewQueue(redisstore.WithName(queueName))
	return what, err
}

func (d *demo) connectWeCom() (string, error) {
	shared := []wecom.Option{wecom.WithStore(d.store), wecom.WithLimiter(d.store.NewLimiter(wecom.DefaultLimit(), nil))}
	if c, ok := env.Client(d.getenv, shared...); ok {
		d.client = c
		d.cb = settings{corpID: c.CorpID(), token: d.getenv("WECOM_CALLBACK_TOKEN"), aesKey: d.getenv("WECOM_CALLBACK_AES_KEY")}
		return "corp " + c.CorpID(), nil
	}
	d.fake = wecomtest.Start()
	if err := d.fake.Corp(d.fake.CorpID).AddStaff("zhangsan"); err != nil {
		return "", err
	}
	d.client = d.fake.Client(shared...)
	d.cb = settings{corpID: d.fake.CorpID, token: "QDG6eK", aesKey: wecomtest.NewEncodingAESKey()}
	return "no WECOM_CORP_ID: started the fake WeCom; tokens and limits shared through Redis", nil
}

func (d *demo) startReceiver() (string, error) {
	h, err := receiver(d.store, d.cb)
	if err != nil {
		return "", err
	}
	d.recv, d.recvHTTP = h, httptest.NewServer(h)
	if d.fake != nil {
		d.fake.Corp(d.cb.corpID).SetCallback(d.recvHTTP.URL, d.cb.token, d.cb.aesKey)
	}
	return "callback URL " + d.recvHTTP.URL, nil
}

func (d *demo) contactWay() (string, error) {
	way, err := contact.New(d.client).AddContactWay(d.ctx, &contact.AddContactWayRequest{
		Type: contact.ContactWaySingle, Scene: contact.SceneQRCode, State: "roles", User: []string{"zhangsan"}})
	if err != nil {
		return "", err
	}
	d.configID = way.ConfigID
	return "state roles, member zhangsan", nil
}

func (d *demo) scan() (string, error) {
	corp := d.fake.Corp(d.cb.corpID)
	for range 3 {
		s, err := corp.ScanContactWay(d.ctx, d.configID, "")
		if err != nil {
			return "", err
		}
		d.scanned = append(d.scanned, s.ExternalUserID)
	}
	st, err := d.probe.Stats(d.ctx)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("3 pushes answered \"success\"; %d waiting in Redis, none run yet", st.Queued), nil
}

func (d *demo) startWorker() (string, error) {
	h, err := worker(d.store, d.cb, d.client, func(ext, _ string) {
		d.mu.Lock()
		d.runs[ext]++
		d.mu.Unlock()
		d.handledAt <- struct{}{}
	})
	if err != nil {
		return "", err
	}
	d.work = h
	return "queue " + queueName + ", 4 workers", nil
}

func (d *demo) drained() (string, error) {
	for range d.scanned {
		select {
		case <-d.handledAt:
		case <-d.ctx.Done():
			return "", d.ctx.Err()
		}
	}
	for { // the last acknowledgement lands just after its handler returned
		st, err := d.probe.Stats(d.ctx)
		if err != nil {
			return "", err
		}
		if st == (redisstore.QueueStats{}) {
			break
		}
		select {
		case <-time.After(10 * time.Millisecond):
		case <-d.ctx.Done():
			return "", d.ctx.Err()
		}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, ext := range d.scanned {
		if d.runs[ext] != 1 {
			return "", fmt.Errorf("customer %s was handled %d times", ext, d.runs[ext])
		}
	}
	return fmt.Sprintf("read %d new customers from WeCom, each once; the queue is empty", len(d.scanned)), nil
}

func (d *demo) stop() (string, error) {
	var errs []error
	if d.recv != nil {
		errs = append(errs, d.recv.Close(d.ctx))
		d.recvHTTP.Close()
		d.recv = nil
	}
	if d.work != nil {
		errs = append(errs, d.work.Close(d.ctx))
		d.work = nil
	}
	return "receiver and worker closed", errors.Join(errs...)
}

func (d *demo) close() {
	_, _ = d.stop()
	if d.fake != nil {
		d.fake.Close()
	}
	if d.closeRdb != nil {
		d.closeRdb()
	}
}

// serve runs one role until ctx ends: a deployment's process.
func serve(ctx context.Context, role, listen string, getenv func(string) string) error {
	if getenv("REDIS_ADDR") == "" {
		return errors.New("the roles share a Redis: set REDIS_ADDR")
	}
	store, _, closeRdb, err := openRedis(ctx, getenv, redisstore.DefaultPrefix)
	if err != nil {
		return err
	}
	defer closeRdb()
	cb := settings{corpID: getenv("WECOM_CORP_ID"), token: getenv("WECOM_CALLBACK_TOKEN"), aesKey: getenv("WECOM_CALLBACK_AES_KEY")}
	var h *callback.Handler
	if role == "receiver" {
		if h, err = receiver(store, cb); err != nil {
			return err
		}
		srv := &http.Server{Addr: listen, Handler: h, ReadHeaderTimeout: 5 * time.Second}
		go func() {
			<-ctx.Done()
			_ = srv.Shutdown(context.Background())
		}()
		if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
			return err
		}
	} else {
		c, ok := env.Client(getenv, wecom.WithStore(store), wecom.WithLimiter(store.NewLimiter(wecom.DefaultLimit(), nil)))
		if !ok {
			return errors.New("a worker calls WeCom: set WECOM_CORP_ID and WECOM_CORP_SECRET")
		}
		if h, err = worker(store, cb, c, func(ext, name string) { fmt.Println("handled", ext, name) }); err != nil {
			return err
		}
		<-ctx.Done()
	}
	closing, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return h.Close(closing)
}
