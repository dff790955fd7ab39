package redisstore

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/callback"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

// Crash tests: an instance is a child process (this test binary run again
// as TestCrashHelper) that SIGKILLs itself at one point of a push's way
// through the queue; the other instances, in the test's process, share its
// Redis. Whatever the point, the push is not lost, and it completes once,
// except when the process dies after the handlers returned and before the
// done mark and acknowledgement landed: then nothing says they ran, and the
// push runs again (the window every at-least-once queue has, which is why
// handlers should be idempotent).

// The child's settings, from its environment.
const (
	envCrashHelper = "SCRM_CRASH_HELPER" // the child's role: "receiver" (HTTP, no workers) or "worker" (workers, no HTTP)
	envCrashAddr   = "SCRM_CRASH_REDIS"  // Redis address
	envCrashPrefix = "SCRM_CRASH_PREFIX" // key prefix
	envCrashQueue  = "SCRM_CRASH_QUEUE"  // queue name
	envCrashPoint  = "SCRM_CRASH_POINT"  // where to die: a fault point, or "handler" (inside the handler, before it completes)
)

// TestCrashHelper is the child process of the crash tests; it does nothing
// unless run by one.
func TestCrashHelper(t *testing.T) {
	role := os.Getenv(envCrashHelper)
	if role == "" {
		return
	}
	point := os.Getenv(envCrashPoint)
	die := func(p string) {
		if p == point {
			_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
			select {} // the signal is on its way
		}
	}
	ctx := context.Background()
	rdb := redis.NewClient(&redis.Options{Addr: os.Getenv(envCrashAddr)})
	s, err := New(ctx, rdb, WithPrefix(os.Getenv(envCrashPrefix)), WithEncryptionKey(testKey(9)), WithLogger(quiet))
	if err != nil {
		fmt.Println("ERROR", err)
		return
	}
	qo := fastQueue(os.Getenv(envCrashQueue), withFault(die))
	if role == "receiver" {
		qo = append(qo, WithoutWorkers())
	}
	q, err := s.NewQueue(qo...)
	if err != nil {
		fmt.Println("ERROR", err)
		return
	}
	if role != "receiver" {
		fmt.Println("URL none") // before the workers start: they may reach the fault at once
	}
	h, err := callback.NewHandler(cbToken, cbAESKey, callback.WithReceiverID(cbCorpID), callback.WithLogger(quiet),
		callback.WithDedupStore(s, time.Minute), callback.WithQueue(q))
	if err != nil {
		fmt.Println("ERROR", err)
		return
	}
	h.OnAddExternalContact(countingHandler(rdb, s.Prefix(), func() { die("handler") }))
	h.Start()
	if role == "receiver" {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			fmt.Println("ERROR", err)
			return
		}
		go func() { _ = http.Serve(ln, h) }()
		fmt.Println("URL http://" + ln.Addr().String())
	}
	_, _ = io.Copy(io.Discard, os.Stdin) // until the test closes stdin, or the fault kills us
}

// countingHandler counts, in Redis, the runs of each customer's event that
// started and that completed; mid (nil: none) is called in between.
func countingHandler(rdb redis.UniversalClient, prefix string, mid func()) func(context.Context, *callback.ExternalContactEvent) error {
	return func(ctx context.Context, ev *callback.ExternalContactEvent) error {
		if err := rdb.Incr(ctx, prefix+"test:started:"+ev.ExternalUserID).Err(); err != nil {
			return err
		}
		if mid != nil {
			mid()
		}
		return rdb.Incr(ctx, prefix+"test:completed:"+ev.ExternalUserID).Err()
	}
}

// crashChild is a running child instance.
type crashChild struct {
	cmd  *exec.Cmd
	url  string
	done chan error // the child's exit
}

// startCrashChild starts an instance in a child process that dies at point.
func startCrashChild(t *testing.T, b backend, prefix, queue, role, point string) *crashChild {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashHelper$", "-test.count=1")
	cmd.Env = append(os.Environ(), envCrashHelper+"="+role, envCrashAddr+"="+b.addr, envCrashPrefix+"="+prefix,
		envCrashQueue+"="+queue, envCrashPoint+"="+point)
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	c := &crashChild{cmd: cmd, done: make(chan error, 1)}
	lines := bufio.NewScanner(stdout)
	var out []string
	for lines.Scan() {
		line := lines.Text()
		if u, ok := strings.CutPrefix(line, "URL "); ok {
			c.url = u
			break
		}
		out = append(out, line)
	}
	require.NotEmpty(t, c.url, "the child instance did not start: %s", strings.Join(out, "\n"))
	go func() {
		_, _ = io.Copy(io.Discard, stdout)
		c.done <- cmd.Wait()
	}()
	t.Cleanup(func() {
		_ = stdin.Close()
		_ = cmd.Process.Kill()
		<-c.done
	})
	return c
}

// killedBySIGKILL waits for the child's end and reports whether the fault
// killed it.
func (c *crashChild) killedBySIGKILL(t *testing.T) bool {
	t.Helper()
	select {
	case err := <-c.done:
		c.done <- err // for the cleanup
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			return false
		}
		ws, ok := ee.Sys().(syscall.WaitStatus)
		return ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL
	case <-time.After(20 * time.Second):
		require.Fail(t, "the child instance did not reach its fault point")
		return false
	}
}

// counts reads how many runs of ext's event started and completed.
func counts(t *testing.T, rdb redis.UniversalClient, prefix, ext string) (started, completed int) {
	t.Helper()
	ctx := context.Background()
	s, err := rdb.Get(ctx, prefix+"test:started:"+ext).Int()
	if !errors.Is(err, redis.Nil) {
		require.NoError(t, err)
	}
	c, err := rdb.Get(ctx, prefix+"test:completed:"+ext).Int()
	if !errors.Is(err, redis.Nil) {
		require.NoError(t, err)
	}
	return s, c
}

// An instance killed between receiving a push and storing it (before the
// script that claims and stores it, or after it and before answering)
// loses nothing: WeCom's re-send reaches another instance, which stores
// the push (or finds it stored) and the push completes once. Before the
// claim and the append were one script, an instance dying between the two
// left a claim that turned every re-send away with "success", and the push
// never ran.
func TestKilledReceiverLosesNoPush(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b backend) {
		for _, point := range []string{faultClaim, faultStored} {
			t.Run(point, func(t *testing.T) {
				t.Parallel()
				prefix := testPrefix(t, b)
				queue := "crash-" + point
				a := startCrashChild(t, b, prefix, queue, "receiver", point)

				// B: another instance, with workers, sharing the Redis.
				bs := open(t, b, prefix, WithEncryptionKey(testKey(9)), WithLogger(quiet))
				bq, err := bs.NewQueue(fastQueue(queue)...)
				require.NoError(t, err)
				bh := newTestHandler(t, callback.WithDedupStore(bs, time.Minute), callback.WithQueue(bq))
				bh.OnAddExternalContact(countingHandler(bs.Client(), prefix, nil))
				toB := servePusher(t, bh)

				ev := addEvent("wmKilledReceiver")
				toA := wecomtest.NewPusher(a.url, cbToken, cbAESKey, cbCorpID)
				toA.Attempts, toA.Timeout = 1, 5*time.Second
				_, err = toA.Push(t.Context(), ev)
				require.Error(t, err, "A dies before answering")
				require.True(t, a.killedBySIGKILL(t), "A died at %s", point)

				// WeCom re-sends; the re-send reaches B.
				res, err := toB.Push(t.Context(), ev)
				require.NoError(t, err)
				assert.Equal(t, "success", res.Body())

				eventually(t, "the push completed", func() bool {
					_, c := counts(t, bs.Client(), prefix, "wmKilledReceiver")
					return c >= 1
				})
				eventually(t, "the stream emptied", func() bool { return stats(t, bq) == QueueStats{} })
				// A further re-send is a duplicate: nothing is stored or run.
				res, err = toB.Push(t.Context(), ev)
				require.NoError(t, err)
				assert.Equal(t, "success", res.Body())
				assert.Equal(t, QueueStats{}, stats(t, bq))
				started, completed := counts(t, bs.Client(), prefix, "wmKilledReceiver")
				assert.Equal(t, 1, started, "runs started")
				assert.Equal(t, 1, completed, "runs completed")
			})
		}
	})
}

// A worker killed at any point of a stored push's run loses nothing: the
// push stays in the stream, another instance claims it after the
// visibility timeout and completes it. It completes once, except when the
// worker dies after its handlers returned and before the done mark and the
// acknowledgement (one script) landed: then it runs again.
func TestKilledWorkerLosesNoPush(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, b backend) {
		for _, c := range []struct {
			point     string
			completed int // runs that completed, in all
		}{
			{faultRead, 1},
			{"handler", 1},
			{faultRan, 2},
			{faultAcked, 1},
		} {
			t.Run(c.point, func(t *testing.T) {
				t.Parallel()
				prefix := testPrefix(t, b)
				queue := "crashw-" + c.point
				ext := "wmKilledWorker"

				// R: an instance that only receives and stores.
				rs := open(t, b, prefix, WithEncryptionKey(testKey(9)), WithLogger(quiet))
				rq, err := rs.NewQueue(fastQueue(queue, WithoutWorkers())...)
				require.NoError(t, err)
				rh := newTestHandler(t, callback.WithDedupStore(rs, time.Minute), callback.WithQueue(rq))
				toR := servePusher(t, rh)
				res, err := toR.Push(t.Context(), addEvent(ext))
				require.NoError(t, err)
				require.Equal(t, "success", res.Body())

				// A: a worker process that dies at the point.
				a := startCrashChild(t, b, prefix, queue, "worker", c.point)
				require.True(t, a.killedBySIGKILL(t), "A died at %s", c.point)

				// B: the surviving worker.
				bs := open(t, b, prefix, WithEncryptionKey(testKey(9)), WithLogger(quiet))
				bq, err := bs.NewQueue(fastQueue(queue)...)
				require.NoError(t, err)
				var ranOnB atomic.Int32
				bh := newTestHandler(t, callback.WithDedupStore(bs, time.Minute), callback.WithQueue(bq))
				count := countingHandler(bs.Client(), prefix, nil)
				bh.OnAddExternalContact(func(ctx context.Context, ev *callback.ExternalContactEvent) error {
					ranOnB.Add(1)
					return count(ctx, ev)
				})

				eventually(t, "the push completed", func() bool {
					_, done := counts(t, bs.Client(), prefix, ext)
					return done >= 1
				})
				eventually(t, "the stream emptied", func() bool { return stats(t, bq) == QueueStats{} })
				if c.point == faultAcked {
					// nothing to claim: give B a visibility timeout to prove it
					time.Sleep(1500 * time.Millisecond)
					assert.Zero(t, ranOnB.Load(), "B runs nothing A acknowledged")
				}
				_, completed := counts(t, bs.Client(), prefix, ext)
				assert.Equal(t, c.completed, completed, "runs completed")
				// WeCom's re-send of the push is a duplicate now.
				res, err = toR.Push(t.Context(), addEvent(ext))
				require.NoError(t, err)
				assert.Equal(t, "success", res.Body())
				assert.Equal(t, QueueStats{}, stats(t, bq))
			})
		}
	})
}
