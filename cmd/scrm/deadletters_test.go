package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/callback"
	"github.com/scrmkit/scrm/redisstore"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

// redisFor returns a Redis address and a key prefix of the test's own:
// the Redis at REDIS_ADDR when it answers, else a miniredis.
func redisFor(t *testing.T) (addr, prefix string) {
	t.Helper()
	var b [6]byte
	_, _ = rand.Read(b[:])
	prefix = "scrmtest:" + hex.EncodeToString(b[:]) + ":"
	if addr := os.Getenv("REDIS_ADDR"); addr != "" {
		rdb := redis.NewClient(&redis.Options{Addr: addr})
		defer rdb.Close()
		if rdb.Ping(t.Context()).Err() == nil {
			return addr, prefix
		}
	}
	return miniredis.RunT(t).Addr(), prefix
}

const (
	dlCorp  = "wwdeadletter01"
	dlToken = "token"
)

// parkPushes runs a queue whose handler always fails, with one attempt,
// pushes three events through it (two add_external_contact, one
// change_external_chat) and waits until all three are dead letters. The
// handler is closed before it returns, so that what is replayed stays
// queued.
func parkPushes(t *testing.T, addr, prefix, aesKey string) *redisstore.Queue {
	t.Helper()
	ctx := t.Context()
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	t.Cleanup(func() { _ = rdb.Close() })
	store, err := redisstore.New(ctx, rdb, redisstore.WithPrefix(prefix))
	require.NoError(t, err)
	q, err := store.NewQueue(redisstore.WithMaxAttempts(1), redisstore.WithBackoff(0), redisstore.WithWorkers(1),
		redisstore.WithPollInterval(5*time.Millisecond), redisstore.WithVisibilityTimeout(time.Second))
	require.NoError(t, err)
	h, err := callback.NewHandler(dlToken, aesKey, callback.WithReceiverID(dlCorp), callback.WithQueue(q),
		callback.WithLogger(slog.New(slog.DiscardHandler)))
	require.NoError(t, err)
	h.OnDefault(func(context.Context, callback.Event) error { return errors.New("the CRM is down") })
	hs := httptest.NewServer(h)
	defer hs.Close()

	p := wecomtest.NewPusher(hs.URL, dlToken, aesKey, dlCorp)
	at := time.Unix(1700000000, 0)
	for _, msg := range [][]byte{
		wecomtest.AddExternalContactXML(dlCorp, "zhangsan", "wmFirst", "spring", "", at),
		wecomtest.ExternalChatXML(dlCorp, wecomtest.ExternalChatEvent{ChatID: "wrChat", ChangeType: "dismiss", At: at}),
		wecomtest.AddExternalContactXML(dlCorp, "lisi", "wmSecond", "autumn", "", at.Add(time.Second)),
	} {
		_, err := p.Push(ctx, msg)
		require.NoError(t, err)
	}
	require.Eventually(t, func() bool {
		st, err := q.Stats(ctx)
		return err == nil && st.DeadLetters == 3
	}, 20*time.Second, 5*time.Millisecond)
	closeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	require.NoError(t, h.Close(closeCtx))
	return q
}

// scrmAt is scrm with the clock at now.
func scrmAt(t *testing.T, now time.Time, e env, args ...string) result {
	t.Helper()
	var out, errOut strings.Builder
	a := newApp(strings.NewReader(""), &out, &errOut, e.getenv)
	a.now = func() time.Time { return now }
	code := run(t.Context(), a, args)
	return result{code: code, stdout: out.String(), stderr: errOut.String()}
}

func TestDeadLetters(t *testing.T) {
	t.Parallel()
	addr, prefix := redisFor(t)
	key := wecomtest.NewEncodingAESKey()
	q := parkPushes(t, addr, prefix, key)
	ctx := t.Context()
	plain := env{"REDIS_ADDR": addr, "REDIS_PREFIX": prefix}
	keyed := env{"REDIS_ADDR": addr, "REDIS_PREFIX": prefix, "WECOM_CALLBACK_TOKEN": dlToken, "WECOM_CALLBACK_AES_KEY": key}
	now := time.Now()

	// list without the callback's settings: ids, errors, no kinds.
	r := scrmAt(t, now, plain, "deadletters", "list")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, "ID")
	assert.Equal(t, 3, strings.Count(r.stdout, "failed: the CRM is down"), r.stdout)
	assert.Contains(t, r.stdout, "3 dead letters.")
	assert.Contains(t, r.stdout, "Give the callback's --token and --aes-key to see their event kinds.")

	// --kind needs them.
	r = scrmAt(t, now, plain, "deadletters", "list", "--kind", "add_external_contact")
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, "--kind needs the callback's --token and --aes-key")

	// with them: kinds, filters by kind or change type, JSON lines.
	r = scrmAt(t, now, keyed, "deadletters", "list")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, 2, strings.Count(r.stdout, "change_external_contact/add_external_contact"))
	assert.Equal(t, 1, strings.Count(r.stdout, "change_external_chat/dismiss"))
	r = scrmAt(t, now, keyed, "deadletters", "list", "--kind", "change_external_chat", "--json")
	require.Equal(t, exitOK, r.code, r.stderr)
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	require.Len(t, lines, 1)
	var chat struct {
		ID, Kind, Error string
		Attempts        int
	}
	require.NoError(t, json.Unmarshal([]byte(lines[0]), &chat))
	assert.Equal(t, "change_external_chat/dismiss", chat.Kind)
	assert.Equal(t, 1, chat.Attempts)
	assert.Contains(t, chat.Error, "the CRM is down")

	// age filters, against the command's clock
	r = scrmAt(t, now, keyed, "deadletters", "list", "--older-than", "1h")
	assert.Contains(t, r.stdout, "0 dead letters parked more than 1h0m0s ago.")
	r = scrmAt(t, now.Add(2*time.Hour), keyed, "deadletters", "list", "--older-than", "1h", "--kind", "add_external_contact")
	assert.Contains(t, r.stdout, "2 dead letters of kind add_external_contact, parked more than 1h0m0s ago.")
	r = scrmAt(t, now.Add(2*time.Hour), keyed, "deadletters", "list", "--newer-than", "1h")
	assert.Contains(t, r.stdout, "0 dead letters parked less than 1h0m0s ago.")

	// show: the event, decrypted.
	r = scrmAt(t, now, keyed, "deadletters", "show", chat.ID)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, `"ChatID": "wrChat"`)
	assert.Contains(t, r.stdout, `"type": "callback.ExternalChatEvent"`)
	r = scrmAt(t, now, keyed, "deadletters", "show", "0-1")
	assert.Equal(t, exitFailed, r.code)
	assert.Contains(t, r.stderr, "no dead letter 0-1")

	// replay: a dry run changes nothing; then the chat event goes back.
	r = scrmAt(t, now, keyed, "deadletters", "replay", "--all", "--kind", "change_external_chat", "--dry-run")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, "would replay "+chat.ID+" (change_external_chat/dismiss)")
	assert.Contains(t, r.stdout, "1 dead letters to replay.")
	r = scrmAt(t, now, keyed, "deadletters", "replay", "--all", "--kind", "change_external_chat")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, "replayed "+chat.ID+" (change_external_chat/dismiss) as ")
	st, err := q.Stats(ctx)
	require.NoError(t, err)
	assert.Equal(t, int64(2), st.DeadLetters)
	assert.Equal(t, int64(1), st.Queued)

	// drop: by id, and an unknown id fails.
	dead, err := q.ListDeadLetters(ctx, "", 10)
	require.NoError(t, err)
	require.Len(t, dead, 2)
	r = scrmAt(t, now, plain, "deadletters", "drop", dead[0].ID, "0-1")
	assert.Equal(t, exitFailed, r.code)
	assert.Contains(t, r.stdout, "dropped "+dead[0].ID)
	assert.Contains(t, r.stderr, "no dead letter 0-1")
	r = scrmAt(t, now, plain, "dl", "drop", "--all")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, "1 dead letters dropped.")
	st, err = q.Stats(ctx)
	require.NoError(t, err)
	assert.Zero(t, st.DeadLetters)
}

func TestDeadLettersOfAnEncryptedStore(t *testing.T) {
	t.Parallel()
	addr, prefix := redisFor(t)
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	t.Cleanup(func() { _ = rdb.Close() })
	_, err := redisstore.New(t.Context(), rdb, redisstore.WithPrefix(prefix), redisstore.WithEncryptionKey(key))
	require.NoError(t, err)

	e := env{"REDIS_ADDR": addr, "REDIS_PREFIX": prefix}
	r := scrm(t, e, "", "deadletters", "list")
	assert.Equal(t, exitFailed, r.code)
	assert.Contains(t, r.stderr, "is encrypted: give its key with --redis-key ($REDIS_ENCRYPTION_KEY)")

	e["REDIS_ENCRYPTION_KEY"] = base64.StdEncoding.EncodeToString(key)
	r = scrm(t, e, "", "deadletters", "list")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, "0 dead letters.")
	assert.NotContains(t, r.stdout+r.stderr, e["REDIS_ENCRYPTION_KEY"])
}
