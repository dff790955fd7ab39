package contact_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/scrmkit/scrm/contact"
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
			if seen[key(r)] {
				t.Fatalf("record %s yielded twice", key(r))
			}
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
	srv, svc := setup(t)
	ids := seed(t, srv, 1000, staffNames(7)...)
	// one customer followed by a second member: two records
	w, err := svc.AddContactWay(bg, &contact.AddContactWayRequest{Type: contact.ContactWaySingle, Scene: contact.SceneQRCode, User: []string{"staff03"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Corp(srv.CorpID).ScanContactWay(bg, w.ConfigID, ids[0]); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	pages, err := drain(t, svc.Sync(bg, nil, contact.SyncBatchUsers(3), contact.SyncPageSize(40)), seen)
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) != 1001 || !seen[ids[0]+"/staff00"] || !seen[ids[0]+"/staff03"] {
		t.Fatalf("%d records", len(seen))
	}
	if pages < 1000/40 {
		t.Fatalf("%d pages", pages)
	}
	for _, r := range srv.Requests() {
		if r.Path != batchPath {
			continue
		}
		var body struct {
			UserIDList []string `json:"userid_list"`
			Limit      int      `json:"limit"`
		}
		if err := json.Unmarshal(r.Body, &body); err != nil || len(body.UserIDList) > 3 || body.Limit != 40 {
			t.Fatalf("batch request %s", r.Body)
		}
	}
}

func TestSyncEmptyCorpAndCheckpointAtEnd(t *testing.T) {
	t.Parallel()
	srv, svc := setup(t)
	seen := map[string]bool{}
	if n, err := drain(t, svc.Sync(bg, nil), seen); err != nil || n != 0 {
		t.Fatalf("empty corp: %d pages, %v", n, err)
	}
	seed(t, srv, 3, "a")
	var last contact.Checkpoint
	for page, err := range svc.Sync(bg, nil) {
		if err != nil {
			t.Fatal(err)
		}
		last = page.Next
	}
	if last.UserIndex != 1 || last.Cursor != "" {
		t.Fatalf("final checkpoint = %+v", last)
	}
	if n, err := drain(t, svc.Sync(bg, &last), map[string]bool{}); err != nil || n != 0 {
		t.Fatalf("resume at end: %d pages, %v", n, err)
	}
}

// TestSyncSurvivesFaults injects -1, 45009, HTTP 5xx, an expired token and a
// dropped connection mid-stream: the client's retries absorb them and the
// sync completes with every record exactly once.
func TestSyncSurvivesFaults(t *testing.T) {
	t.Parallel()
	srv, svc := setup(t)
	seed(t, srv, 600, staffNames(5)...)
	seq := svc.Sync(bg, nil, contact.SyncBatchUsers(2), contact.SyncPageSize(50))
	seen := map[string]bool{}
	i := 0
	for page, err := range seq {
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range page.Records {
			if seen[key(r)] {
				t.Fatalf("duplicate %s", key(r))
			}
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
	if len(seen) != 600 {
		t.Fatalf("%d records, want 600", len(seen))
	}
	if srv.Corp(srv.CorpID).TokenFetches() != 2 {
		t.Fatalf("token fetches = %d, want 2 (one refresh after 42001)", srv.Corp(srv.CorpID).TokenFetches())
	}
}

// TestSyncResume stops the sync with errors the client does not retry and
// resumes from the error's checkpoint each time: no record is lost or seen
// twice.
func TestSyncResume(t *testing.T) {
	t.Parallel()
	srv, svc := setup(t, wecom.WithRetryPolicy(wecom.NoRetry()))
	seed(t, srv, 500, staffNames(6)...)
	opts := []contact.SyncOption{contact.SyncBatchUsers(4), contact.SyncPageSize(30)}
	faults := []wecomtest.Fault{
		{Errcode: -1}, {Errcode: 45009}, {HTTPStatus: 503}, {Errcode: 48002},
	}
	seen := map[string]bool{}
	var from *contact.Checkpoint
	stops := 0
	for round := 0; ; round++ {
		pages := 0
		var failed error
		for page, err := range svc.Sync(bg, from, opts...) {
			if err != nil {
				failed = err
				break
			}
			for _, r := range page.Records {
				if seen[key(r)] {
					t.Fatalf("round %d: duplicate %s", round, key(r))
				}
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
		if !ok {
			t.Fatalf("error without checkpoint: %v", failed)
		}
		var se *contact.SyncError
		if !errors.As(failed, &se) || se.Checkpoint != cp || se.Err == nil {
			t.Fatalf("error shape: %v", failed)
		}
		// checkpoints survive a JSON round trip
		b, _ := json.Marshal(cp)
		from = new(contact.Checkpoint)
		if err := json.Unmarshal(b, from); err != nil || *from != cp {
			t.Fatalf("checkpoint round trip: %s", b)
		}
	}
	if stops != len(faults) {
		t.Fatalf("%d stops, want %d", stops, len(faults))
	}
	if len(seen) != 500 {
		t.Fatalf("%d records after resuming, want 500", len(seen))
	}
}

// TestSyncResumeFaultBeyondRetries uses the normal retry policy with a fault
// that outlasts it, and an expired token on the follow-user list.
func TestSyncResumeFaultBeyondRetries(t *testing.T) {
	t.Parallel()
	srv, svc := setup(t)
	seed(t, srv, 250, staffNames(3)...)
	srv.Corp(srv.CorpID).ExpireTokens()
	seen := map[string]bool{}
	var failed error
	pages := 0
	for page, err := range svc.Sync(bg, nil, contact.SyncPageSize(60)) {
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
	if wecom.ErrorCode(failed) != -1 {
		t.Fatalf("err = %v, want -1 after retries", failed)
	}
	cp, _ := contact.CheckpointOf(failed)
	if cp.Cursor == "" || cp.UserID != "staff00" {
		t.Fatalf("checkpoint = %+v", cp)
	}
	if _, err := drain(t, svc.Sync(bg, &cp), seen); err != nil {
		t.Fatal(err)
	}
	if len(seen) != 250 {
		t.Fatalf("%d records", len(seen))
	}
}

func TestSyncFollowUserListError(t *testing.T) {
	t.Parallel()
	srv, svc := setup(t, wecom.WithRetryPolicy(wecom.NoRetry()))
	seed(t, srv, 10, "a")
	srv.Fail("/cgi-bin/externalcontact/get_follow_user_list", wecomtest.Fault{Errcode: -1})
	from := &contact.Checkpoint{UserIndex: 0, UserID: "a", Cursor: "abc"}
	n := 0
	for page, err := range svc.Sync(bg, from) {
		n++
		cp, ok := contact.CheckpointOf(err)
		if page != nil || !ok || cp != *from || wecom.ErrorCode(err) != -1 {
			t.Fatalf("page %v, err = %v, cp %+v", page, err, cp)
		}
	}
	if n != 1 {
		t.Fatalf("%d yields, want the one error", n)
	}
	n = 0
	for page, err := range svc.Sync(bg, &contact.Checkpoint{UserIndex: -1}) {
		n++
		if page != nil {
			t.Fatalf("page %v with a negative UserIndex", page)
		}
		wantInvalid(t, err)
	}
	if n != 1 {
		t.Fatalf("%d yields for a negative UserIndex, want the one error", n)
	}
	if c := srv.Count(batchPath); c != 0 {
		t.Fatalf("%d batch calls after failures before the first", c)
	}
}

// TestSyncResumeAfterMemberLeft resumes from a checkpoint whose member is no
// longer listed: the sync restarts at the next batch.
func TestSyncResumeAfterMemberLeft(t *testing.T) {
	t.Parallel()
	srv, svc := setup(t)
	ids := seed(t, srv, 6, "a", "b", "c")
	if err := srv.Corp(srv.CorpID).ResignStaff("b"); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	cp := &contact.Checkpoint{UserIndex: 1, UserID: "b", Cursor: "stale"}
	if _, err := drain(t, svc.Sync(bg, cp, contact.SyncBatchUsers(1)), seen); err != nil {
		t.Fatal(err)
	}
	if len(seen) != 2 || !seen[ids[2]+"/c"] {
		t.Fatalf("seen %v", seen)
	}
}

func TestSyncStopsWhenBroken(t *testing.T) {
	t.Parallel()
	srv, svc := setup(t)
	seed(t, srv, 300, "a")
	for range svc.Sync(bg, nil) {
		break
	}
	time.Sleep(10 * time.Millisecond)
	if n := srv.Count(batchPath); n != 1 {
		t.Fatalf("%d batch calls after break, want 1", n)
	}
}

// BenchmarkSync measures a full sync of 10,000 customers over 20 members
// against wecomtest (HTTP over loopback, JSON both ways).
func BenchmarkSync(b *testing.B) {
	srv := wecomtest.NewServer(b)
	staff := staffNames(20)
	if err := srv.Corp(srv.CorpID).AddStaff(staff...); err != nil {
		b.Fatal(err)
	}
	if _, err := srv.Corp(srv.CorpID).SeedCustomers(10_000, staff); err != nil {
		b.Fatal(err)
	}
	svc := contact.New(srv.Client())
	b.ReportAllocs()
	b.ResetTimer()
	records := 0
	for range b.N {
		for page, err := range svc.Sync(bg, nil) {
			if err != nil {
				b.Fatal(err)
			}
			records += len(page.Records)
		}
	}
	if records != 10_000*b.N {
		b.Fatalf("%d records", records)
	}
	b.ReportMetric(float64(records)/b.Elapsed().Seconds(), "records/s")
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
		if err := json.Unmarshal(r.Body, &body); err != nil {
			t.Fatal(err)
		}
		return body.Cursor
	}
	t.Fatal("no batch/get_by_user call")
	return ""
}

// TestSyncResumeAfterMemberJoinedBatch stops a sync after one page whose
// cursor points into the second member of the batch, adds a member that
// sorts between the first two, and resumes: the saved cursor was issued for
// the old batch, so the batch is read again from its first page. Records
// may repeat; none may be lost.
func TestSyncResumeAfterMemberJoinedBatch(t *testing.T) {
	t.Parallel()
	srv, svc := setup(t)
	seed(t, srv, 30, "a", "c", "d") // ten customers each
	seen := map[string]int{}
	var cp contact.Checkpoint
	pages := 0
	for page, err := range svc.Sync(bg, nil, contact.SyncPageSize(12)) {
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, r := range page.Records {
			seen[key(r)]++
		}
		cp = page.Next
		break // stop after one page: a's ten records and two of c's
	}
	if pages != 1 || cp.Cursor == "" || cp.UserID != "a" {
		t.Fatalf("after one page: %d pages, checkpoint %+v", pages, cp)
	}
	// the checkpoint travels as JSON, as a caller would store it
	b, err := json.Marshal(cp)
	if err != nil {
		t.Fatal(err)
	}
	var from contact.Checkpoint
	if err := json.Unmarshal(b, &from); err != nil || from != cp {
		t.Fatalf("checkpoint round trip %s: %v", b, err)
	}

	seed(t, srv, 6, "b") // "b" sorts between "a" and "c"
	want := map[string]bool{}
	for _, u := range []string{"a", "b", "c", "d"} {
		ids, err := svc.List(bg, u)
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range ids {
			want[id+"/"+u] = true
		}
	}
	if len(want) != 36 {
		t.Fatalf("%d relations, want 36", len(want))
	}
	before := len(srv.Requests())
	if n, err := collect(svc.Sync(bg, &from, contact.SyncPageSize(12)), seen); err != nil || n == 0 {
		t.Fatalf("resume: %d pages, %v", n, err)
	}
	if c := firstBatchCursor(t, srv, before); c != "" {
		t.Errorf("resumed with the old batch's cursor %q", c)
	}
	for k := range want {
		if seen[k] == 0 {
			t.Errorf("record %s lost after resuming", k)
		}
	}
	if len(seen) != len(want) {
		t.Fatalf("%d distinct records, want %d", len(seen), len(want))
	}
}

// TestSyncResumeBatchChanged resumes checkpoints whose batch differs from
// the one the cursor was issued for (another SyncBatchUsers; an older
// checkpoint that does not identify its batch): the cursor is dropped and
// the batch read from its first page, losing nothing. An unchanged batch
// keeps its cursor.
func TestSyncResumeBatchChanged(t *testing.T) {
	t.Parallel()
	srv, svc := setup(t)
	seed(t, srv, 40, "a", "b", "c", "d")
	seen := map[string]int{}
	var cp contact.Checkpoint
	for page, err := range svc.Sync(bg, nil, contact.SyncBatchUsers(2), contact.SyncPageSize(3)) {
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range page.Records {
			seen[key(r)]++
		}
		cp = page.Next
		break
	}
	if cp.Cursor == "" {
		t.Fatalf("no mid-batch checkpoint: %+v", cp)
	}

	// same batch: the cursor is kept
	before := len(srv.Requests())
	for range svc.Sync(bg, &cp, contact.SyncBatchUsers(2), contact.SyncPageSize(3)) {
		break
	}
	if c := firstBatchCursor(t, srv, before); c != cp.Cursor {
		t.Fatalf("unchanged batch resumed with cursor %q, want %q", c, cp.Cursor)
	}

	// another batch size: the cursor is dropped
	before = len(srv.Requests())
	if _, err := collect(svc.Sync(bg, &cp, contact.SyncBatchUsers(3), contact.SyncPageSize(3)), seen); err != nil {
		t.Fatal(err)
	}
	if c := firstBatchCursor(t, srv, before); c != "" {
		t.Fatalf("resumed a batch of three with the cursor %q of a batch of two", c)
	}
	if len(seen) != 40 {
		t.Fatalf("%d distinct records after resuming with another batch size, want 40", len(seen))
	}

	// a checkpoint stored before checkpoints named their batch: restart it
	var old contact.Checkpoint
	if err := json.Unmarshal([]byte(`{"user_index":0,"user_id":"a","cursor":"`+cp.Cursor+`"}`), &old); err != nil {
		t.Fatal(err)
	}
	before = len(srv.Requests())
	got := map[string]int{}
	if _, err := collect(svc.Sync(bg, &old, contact.SyncBatchUsers(2), contact.SyncPageSize(3)), got); err != nil {
		t.Fatal(err)
	}
	if c := firstBatchCursor(t, srv, before); c != "" || len(got) != 40 {
		t.Fatalf("old checkpoint: first cursor %q, %d records", c, len(got))
	}
}
