package contact_test

import (
	"encoding/json"
	"fmt"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/contact"
	"github.com/scrmkit/scrm/internal/testkit"
	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

const batchPath = "/cgi-bin/externalcontact/batch/get_by_user"

// key identifies one record: a customer and one member following it.
func key(r contact.CustomerRecord) string {
	return r.ExternalContact.ExternalUserID + "/" + r.FollowInfo.UserID
}

// drain runs a sync to its end or first error, failing on a duplicate.
func drain(t testing.TB, seq func(func(*contact.SyncPage, error) bool), seen map[string]bool) (pages int, err error) {
	t.Helper()
	for page, err := range seq {
		if err != nil {
			return pages, err
		}
		pages++
		for _, r := range page.Records {
			require.False(t, seen[key(r)], "record %s yielded twice", key(r))
			seen[key(r)] = true
		}
	}
	return pages, nil
}

func staffNames(n int) []string {
	s := make([]string, n)
	for i := range s {
		s[i] = fmt.Sprintf("staff%02d", i)
	}
	return s
}

func TestSyncAll(t *testing.T) {
	t.Parallel()
	srv, c := testkit.Setup(t)
	svc := contact.New(c)
	ids := testkit.Seed(t, srv, 1000, staffNames(7)...)
	// one customer followed by a second member: two records
	w, err := svc.AddContactWay(t.Context(), &contact.AddContactWayRequest{Type: contact.ContactWaySingle, Scene: contact.SceneQRCode, User: []string{"staff03"}})
	require.NoError(t, err)
	_, err = srv.Corp(srv.CorpID).ScanContactWay(t.Context(), w.ConfigID, ids[0])
	require.NoError(t, err)
	seen := map[string]bool{}
	pages, err := drain(t, svc.Sync(t.Context(), nil, contact.WithBatchUsers(3), contact.WithPageSize(40)), seen)
	require.NoError(t, err)
	assert.Len(t, seen, 1001)
	assert.True(t, seen[ids[0]+"/staff00"])
	assert.True(t, seen[ids[0]+"/staff03"])
	assert.GreaterOrEqual(t, pages, 1000/40)
	for _, r := range srv.Requests() {
		if r.Path != batchPath {
			continue
		}
		var body struct {
			UserIDList []string `json:"userid_list"`
			Limit      int      `json:"limit"`
		}
		require.NoError(t, json.Unmarshal(r.Body, &body))
		assert.LessOrEqual(t, len(body.UserIDList), 3, "batch request %s", r.Body)
		assert.Equal(t, 40, body.Limit, "batch request %s", r.Body)
	}
}

func TestSyncEmptyCorpAndCheckpointAtEnd(t *testing.T) {
	t.Parallel()
	srv, c := testkit.Setup(t)
	svc := contact.New(c)
	n, err := drain(t, svc.Sync(t.Context(), nil), map[string]bool{})
	require.NoError(t, err)
	assert.Zero(t, n, "pages of an empty corp")
	testkit.Seed(t, srv, 3, "a")
	var last contact.Checkpoint
	for page, err := range svc.Sync(t.Context(), nil) {
		require.NoError(t, err)
		last = page.Next
	}
	assert.Equal(t, contact.Checkpoint{UserIndex: 1}, last, "the final checkpoint")
	n, err = drain(t, svc.Sync(t.Context(), &last), map[string]bool{})
	require.NoError(t, err)
	assert.Zero(t, n, "pages resumed at the end")
}

// TestSyncSurvivesFaults injects -1, 45009, HTTP 5xx, an expired token and a
// dropped connection mid-stream: the client's retries absorb them and the
// sync completes with every record exactly once.
func TestSyncSurvivesFaults(t *testing.T) {
	t.Parallel()
	srv, c := testkit.Setup(t)
	svc := contact.New(c)
	testkit.Seed(t, srv, 600, staffNames(5)...)
	seq := svc.Sync(t.Context(), nil, contact.WithBatchUsers(2), contact.WithPageSize(50))
	seen := map[string]bool{}
	i := 0
	for page, err := range seq {
		require.NoError(t, err)
		for _, r := range page.Records {
			require.False(t, seen[key(r)], "duplicate %s", key(r))
			seen[key(r)] = true
		}
		switch i {
		case 1:
			srv.Fail(batchPath, wecomtest.Fault{Errcode: -1, Times: 2})
		case 3:
			srv.Fail(batchPath, wecomtest.Fault{Errcode: 45009})
		case 5:
			srv.Fail(batchPath, wecomtest.Fault{HTTPStatus: 502, Times: 2})
		case 7:
			srv.Corp(srv.CorpID).ExpireTokens()
		case 9:
			srv.Fail(batchPath, wecomtest.Fault{Drop: true})
		}
		i++
	}
	assert.Len(t, seen, 600)
	assert.Equal(t, 2, srv.Corp(srv.CorpID).TokenFetches(), "token fetches: one refresh after 42001")
}

// TestSyncResume stops the sync with errors the client does not retry and
// resumes from the error's checkpoint each time: no record is lost or seen
// twice.
func TestSyncResume(t *testing.T) {
	t.Parallel()
	srv, c := testkit.Setup(t, testkit.WithClientOptions(wecom.WithRetryPolicy(wecom.NoRetry())))
	svc := contact.New(c)
	testkit.Seed(t, srv, 500, staffNames(6)...)
	opts := []contact.SyncOption{contact.WithBatchUsers(4), contact.WithPageSize(30)}
	faults := []wecomtest.Fault{
		{Errcode: -1}, {Errcode: 45009}, {HTTPStatus: 503}, {Errcode: 48002},
	}
	seen := map[string]bool{}
	var from *contact.Checkpoint
	stops := 0
	for round := 0; ; round++ {
		pages := 0
		var failed error
		for page, err := range svc.Sync(t.Context(), from, opts...) {
			if err != nil {
				failed = err
				break
			}
			for _, r := range page.Records {
				require.False(t, seen[key(r)], "round %d: duplicate %s", round, key(r))
				seen[key(r)] = true
			}
			pages++
			if pages == 2 && round < len(faults) {
				srv.Fail(batchPath, faults[round])
			}
		}
		if failed == nil {
			break
		}
		stops++
		cp, ok := contact.CheckpointOf(failed)
		require.True(t, ok, "an error without a checkpoint: %v", failed)
		var se *contact.SyncError
		require.ErrorAs(t, failed, &se)
		assert.Equal(t, cp, se.Checkpoint)
		assert.Error(t, se.Err)
		// checkpoints survive a JSON round trip
		b, err := json.Marshal(cp)
		require.NoError(t, err)
		from = new(contact.Checkpoint)
		require.NoError(t, json.Unmarshal(b, from))
		require.Equal(t, cp, *from, "checkpoint round trip: %s", b)
	}
	assert.Equal(t, len(faults), stops)
	assert.Len(t, seen, 500, "records after resuming")
}

// TestSyncResumeFaultBeyondRetries uses the normal retry policy with a fault
// that outlasts it, and an expired token on the follow-user list.
func TestSyncResumeFaultBeyondRetries(t *testing.T) {
	t.Parallel()
	srv, c := testkit.Setup(t)
	svc := contact.New(c)
	testkit.Seed(t, srv, 250, staffNames(3)...)
	srv.Corp(srv.CorpID).ExpireTokens()
	seen := map[string]bool{}
	var failed error
	pages := 0
	for page, err := range svc.Sync(t.Context(), nil, contact.WithPageSize(60)) {
		if err != nil {
			failed = err
			break
		}
		for _, r := range page.Records {
			seen[key(r)] = true
		}
		if pages++; pages == 2 {
			srv.Fail(batchPath, wecomtest.Fault{Errcode: -1, Times: 3}) // three attempts in FastRetry
		}
	}
	testkit.WantCode(t, failed, wecom.CodeSystemBusy) // after the retries
	cp, ok := contact.CheckpointOf(failed)
	require.True(t, ok)
	assert.NotEmpty(t, cp.Cursor)
	assert.Equal(t, "staff00", cp.UserID)
	_, err := drain(t, svc.Sync(t.Context(), &cp), seen)
	require.NoError(t, err)
	assert.Len(t, seen, 250)
}

func TestSyncFollowUserListError(t *testing.T) {
	t.Parallel()
	srv, c := testkit.Setup(t, testkit.WithClientOptions(wecom.WithRetryPolicy(wecom.NoRetry())))
	svc := contact.New(c)
	testkit.Seed(t, srv, 10, "a")
	srv.Fail("/cgi-bin/externalcontact/get_follow_user_list", wecomtest.Fault{Errcode: -1})
	from := &contact.Checkpoint{UserIndex: 0, UserID: "a", Cursor: "abc"}
	n := 0
	for page, err := range svc.Sync(t.Context(), from) {
		n++
		assert.Nil(t, page)
		testkit.WantCode(t, err, wecom.CodeSystemBusy)
		cp, ok := contact.CheckpointOf(err)
		assert.True(t, ok)
		assert.Equal(t, *from, cp)
	}
	assert.Equal(t, 1, n, "yields: the one error")
	n = 0
	for page, err := range svc.Sync(t.Context(), &contact.Checkpoint{UserIndex: -1}) {
		n++
		assert.Nil(t, page, "a page with a negative UserIndex")
		testkit.WantInvalid(t, err, contact.ErrInvalidArgument)
	}
	assert.Equal(t, 1, n, "yields for a negative UserIndex: the one error")
	assert.Zero(t, srv.Count(batchPath), "batch calls after failures before the first")
}

// TestSyncResumeAfterMemberLeft resumes from a checkpoint whose member is no
// longer listed: the sync restarts at the next batch.
func TestSyncResumeAfterMemberLeft(t *testing.T) {
	t.Parallel()
	srv, c := testkit.Setup(t)
	svc := contact.New(c)
	ids := testkit.Seed(t, srv, 6, "a", "b", "c")
	require.NoError(t, srv.Corp(srv.CorpID).ResignStaff("b"))
	seen := map[string]bool{}
	cp := &contact.Checkpoint{UserIndex: 1, UserID: "b", Cursor: "stale"}
	_, err := drain(t, svc.Sync(t.Context(), cp, contact.WithBatchUsers(1)), seen)
	require.NoError(t, err)
	assert.Len(t, seen, 2)
	assert.True(t, seen[ids[2]+"/c"])
}

func TestSyncStopsWhenBroken(t *testing.T) {
	t.Parallel()
	srv, c := testkit.Setup(t)
	svc := contact.New(c)
	testkit.Seed(t, srv, 300, "a")
	for range svc.Sync(t.Context(), nil) {
		break
	}
	// Sync runs on the caller's goroutine: once the loop is left, nothing
	// more is sent.
	assert.Equal(t, 1, srv.Count(batchPath), "batch calls after break")
}

// collect runs a sync to its end or first error, counting each record; a
// record may come more than once (resuming can repeat a batch).
func collect(seq func(func(*contact.SyncPage, error) bool), seen map[string]int) (pages int, err error) {
	for page, err := range seq {
		if err != nil {
			return pages, err
		}
		pages++
		for _, r := range page.Records {
			seen[key(r)]++
		}
	}
	return pages, nil
}

// firstBatchCursor returns the cursor of the first batch/get_by_user call
// after the first skip requests the server got.
func firstBatchCursor(t *testing.T, srv *wecomtest.Server, skip int) string {
	t.Helper()
	for _, r := range srv.Requests()[skip:] {
		if r.Path != batchPath {
			continue
		}
		var body struct {
			Cursor string `json:"cursor"`
		}
		require.NoError(t, json.Unmarshal(r.Body, &body))
		return body.Cursor
	}
	require.FailNow(t, "no batch/get_by_user call")
	return ""
}

// TestSyncResumeAfterMemberJoinedBatch stops a sync after one page whose
// cursor points into the second member of the batch, adds a member that
// sorts between the first two, and resumes: the saved cursor was issued for
// the old batch, so the batch is read again from its first page. Records
// may repeat; none may be lost.
func TestSyncResumeAfterMemberJoinedBatch(t *testing.T) {
	t.Parallel()
	srv, c := testkit.Setup(t)
	svc := contact.New(c)
	testkit.Seed(t, srv, 30, "a", "c", "d") // ten customers each
	seen := map[string]int{}
	var cp contact.Checkpoint
	pages := 0
	for page, err := range svc.Sync(t.Context(), nil, contact.WithPageSize(12)) {
		require.NoError(t, err)
		pages++
		for _, r := range page.Records {
			seen[key(r)]++
		}
		cp = page.Next
		break // stop after one page: a's ten records and two of c's
	}
	assert.Equal(t, 1, pages)
	assert.NotEmpty(t, cp.Cursor, "the checkpoint after one page")
	assert.Equal(t, "a", cp.UserID)
	// the checkpoint travels as JSON, as a caller would store it
	b, err := json.Marshal(cp)
	require.NoError(t, err)
	var from contact.Checkpoint
	require.NoError(t, json.Unmarshal(b, &from))
	require.Equal(t, cp, from, "checkpoint round trip %s", b)

	testkit.Seed(t, srv, 6, "b") // "b" sorts between "a" and "c"
	want := map[string]bool{}
	for _, u := range []string{"a", "b", "c", "d"} {
		ids, err := svc.List(t.Context(), u)
		require.NoError(t, err)
		for _, id := range ids {
			want[id+"/"+u] = true
		}
	}
	require.Len(t, want, 36, "relations")
	before := len(srv.Requests())
	n, err := collect(svc.Sync(t.Context(), &from, contact.WithPageSize(12)), seen)
	require.NoError(t, err)
	assert.NotZero(t, n, "pages resumed")
	assert.Empty(t, firstBatchCursor(t, srv, before), "resumed with the old batch's cursor")
	for k := range want {
		assert.NotZero(t, seen[k], "record %s lost after resuming", k)
	}
	assert.Len(t, seen, len(want), "distinct records")
}

// TestSyncResumeBatchChanged resumes checkpoints whose batch differs from
// the one the cursor was issued for (another WithBatchUsers; an older
// checkpoint that does not identify its batch): the cursor is dropped and
// the batch read from its first page, losing nothing. An unchanged batch
// keeps its cursor.
func TestSyncResumeBatchChanged(t *testing.T) {
	t.Parallel()
	srv, c := testkit.Setup(t)
	svc := contact.New(c)
	testkit.Seed(t, srv, 40, "a", "b", "c", "d")
	seen := map[string]int{}
	var cp contact.Checkpoint
	for page, err := range svc.Sync(t.Context(), nil, contact.WithBatchUsers(2), contact.WithPageSize(3)) {
		require.NoError(t, err)
		for _, r := range page.Records {
			seen[key(r)]++
		}
		cp = page.Next
		break
	}
	require.NotEmpty(t, cp.Cursor, "a mid-batch checkpoint")

	// same batch: the cursor is kept
	before := len(srv.Requests())
	for range svc.Sync(t.Context(), &cp, contact.WithBatchUsers(2), contact.WithPageSize(3)) {
		break
	}
	assert.Equal(t, cp.Cursor, firstBatchCursor(t, srv, before), "the cursor an unchanged batch resumes with")

	// another batch size: the cursor is dropped
	before = len(srv.Requests())
	_, err := collect(svc.Sync(t.Context(), &cp, contact.WithBatchUsers(3), contact.WithPageSize(3)), seen)
	require.NoError(t, err)
	assert.Empty(t, firstBatchCursor(t, srv, before), "a batch of three resumed with the cursor of a batch of two")
	assert.Len(t, seen, 40, "distinct records after resuming with another batch size")

	// a checkpoint stored before checkpoints named their batch: restart it
	var old contact.Checkpoint
	require.NoError(t, json.Unmarshal([]byte(`{"user_index":0,"user_id":"a","cursor":"`+cp.Cursor+`"}`), &old))
	before = len(srv.Requests())
	got := map[string]int{}
	_, err = collect(svc.Sync(t.Context(), &old, contact.WithBatchUsers(2), contact.WithPageSize(3)), got)
	require.NoError(t, err)
	assert.Empty(t, firstBatchCursor(t, srv, before), "an old checkpoint's cursor")
	assert.Len(t, got, 40)
}

// streamingPeak syncs n customers and returns the peak live heap above the
// level before the sync (the fake's own state excluded), sampled after a
// forced collection every tenth page, and the records seen.
func streamingPeak(tb testing.TB, n int) (peak uint64, records int) {
	srv := syncServer(tb, n)
	svc := contact.New(srv.Client(wecom.WithRateLimit(batchPath, wecom.Limit{})))
	ctx := tb.Context()
	live := func() uint64 {
		srv.ResetRequests() // the fake's request log grows with every call; it is not the SDK's
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	base := live()
	pages := 0
	for page, err := range svc.Sync(ctx, nil) {
		require.NoError(tb, err)
		records += len(page.Records)
		if pages++; pages%10 == 0 {
			if h := live(); h > base && h-base > peak {
				peak = h - base
			}
		}
	}
	return peak, records
}

// The heap Sync needs while streaming does not grow with the corp: 10 times
// the customers, the same peak (within a page's worth of slack).
//
// Not parallel: it reads the process's live heap, which other tests would
// move.
func TestSyncHeapDoesNotGrowWithTheCorp(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds 22,000 customers")
	}
	small, n1 := streamingPeak(t, 2_000)
	large, n2 := streamingPeak(t, 20_000)
	require.Equal(t, 2_000, n1)
	require.Equal(t, 20_000, n2)
	t.Logf("peak live heap while streaming: %d KB for 2,000 customers, %d KB for 20,000", small>>10, large>>10)
	assert.LessOrEqual(t, large, small+2<<20, "the streaming heap grew from %d KB to %d KB with ten times the customers", small>>10, large>>10)
}

// Sync skips members without a licence, reports each once, and neither
// stops nor loops: a batch whose members all lack one (701008) included.
func TestSyncSkipsUnlicensedMembers(t *testing.T) {
	t.Parallel()
	srv, c := testkit.Setup(t)
	svc := contact.New(c)
	staff := []string{"u1", "u2", "u3", "u4", "u5"}
	testkit.Seed(t, srv, 20, staff...)
	for _, u := range []string{"u1", "u2", "u4"} { // batch [u1 u2] all unlicensed; [u3 u4] half
		require.NoError(t, srv.Corp(srv.CorpID).SetUnlicensed(u, true))
	}
	ctx := t.Context()
	var (
		records    int
		unlicensed []string
		pages      []contact.SyncPage
	)
	for page, err := range svc.Sync(ctx, nil, contact.WithBatchUsers(2), contact.WithPageSize(3)) {
		require.NoError(t, err)
		pages = append(pages, *page)
		unlicensed = append(unlicensed, page.Unlicensed...)
		for _, r := range page.Records {
			assert.Contains(t, []string{"u3", "u5"}, r.FollowInfo.UserID)
		}
		records += len(page.Records)
		require.Less(t, len(pages), 50, "the sync loops")
	}
	assert.Equal(t, 8, records, "u3's and u5's 4 customers each")
	assert.ElementsMatch(t, []string{"u1", "u2", "u4"}, unlicensed)

	// Resuming from the page that reported the unlicensed batch goes on
	// from the next batch, without reporting it again or stopping.
	var first contact.SyncPage
	for _, p := range pages {
		if len(p.Unlicensed) == 2 {
			first = p
			break
		}
	}
	require.Equal(t, []string{"u1", "u2"}, first.Unlicensed)
	var resumed int
	for page, err := range svc.Sync(ctx, &first.Next, contact.WithBatchUsers(2), contact.WithPageSize(3)) {
		require.NoError(t, err)
		assert.NotContains(t, page.Unlicensed, "u1")
		resumed += len(page.Records)
	}
	assert.Equal(t, 8, resumed)
}

// TestSyncResumeAfterMembersJoinedAroundTheCheckpoint pins what Sync's doc
// says of members who get the customer-contact feature between a failed run
// and its resume: the resume reads the one whose userid sorts after the
// checkpoint's member and not the one that sorts before it; the next full
// sync reads both.
func TestSyncResumeAfterMembersJoinedAroundTheCheckpoint(t *testing.T) {
	t.Parallel()
	srv, c := testkit.Setup(t)
	svc := contact.New(c)
	testkit.Seed(t, srv, 4, "b", "d")
	seen := map[string]bool{}
	var failed error
	for page, err := range svc.Sync(t.Context(), nil, contact.WithBatchUsers(1)) {
		if err != nil {
			failed = err
			break
		}
		for _, r := range page.Records {
			seen[key(r)] = true
		}
		srv.Fail(batchPath, wecomtest.Fault{Errcode: 48002}) // the next batch fails
	}
	cp, ok := contact.CheckpointOf(failed)
	require.True(t, ok, "err = %v", failed)
	assert.Equal(t, "d", cp.UserID)
	srv.ClearFaults()

	early := testkit.Seed(t, srv, 1, "a") // sorts before the checkpoint's member
	late := testkit.Seed(t, srv, 1, "e")  // after it
	_, err := drain(t, svc.Sync(t.Context(), &cp, contact.WithBatchUsers(1)), seen)
	require.NoError(t, err)
	assert.True(t, seen[late[0]+"/e"], "a member who sorts after the checkpoint is read by the resume")
	assert.False(t, seen[early[0]+"/a"], "a member who sorts before it is not")

	full := map[string]bool{}
	_, err = drain(t, svc.Sync(t.Context(), nil, contact.WithBatchUsers(1)), full)
	require.NoError(t, err)
	assert.True(t, full[early[0]+"/a"], "the next full sync reads it")
	assert.Len(t, full, 6)
}
