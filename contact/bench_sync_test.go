package contact_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"runtime"
	"slices"
	"testing"

	"github.com/scrmkit/scrm/contact"
	"github.com/scrmkit/scrm/wecom"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

// syncServer is a fake WeCom with n customers over 20 members.
func syncServer(b testing.TB, n int) *wecomtest.Server {
	srv := wecomtest.NewServer(b)
	staff := staffNames(20)
	if err := srv.Corp(srv.CorpID).AddStaff(staff...); err != nil {
		b.Fatal(err)
	}
	if _, err := srv.Corp(srv.CorpID).SeedCustomers(n, staff); err != nil {
		b.Fatal(err)
	}
	return srv
}

// bareSync is the reference: the same calls as Sync (get_follow_user_list,
// then batch/get_by_user in batches of 100 members and pages of 100), with
// net/http, io.ReadAll and encoding/json, decoding into the same record
// type. It calls fn with each page's records.
func bareSync(ctx context.Context, hc *http.Client, base, token string, fn func([]contact.CustomerRecord)) error {
	call := func(method, path string, body, out any) error {
		var rdr io.Reader
		if body != nil {
			b, err := json.Marshal(body)
			if err != nil {
				return err
			}
			rdr = bytes.NewReader(b)
		}
		req, err := http.NewRequestWithContext(ctx, method, base+path+"?"+url.Values{"access_token": {token}}.Encode(), rdr)
		if err != nil {
			return err
		}
		resp, err := hc.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		data, err := io.ReadAll(resp.Body)
		if err != nil {
			return err
		}
		return json.Unmarshal(data, out)
	}
	var users struct {
		ErrCode    int      `json:"errcode"`
		FollowUser []string `json:"follow_user"`
	}
	if err := call(http.MethodGet, "/cgi-bin/externalcontact/get_follow_user_list", nil, &users); err != nil || users.ErrCode != 0 {
		return fmt.Errorf("follow users: %v %d", err, users.ErrCode)
	}
	slices.Sort(users.FollowUser)
	for i := 0; i < len(users.FollowUser); i += 100 {
		batch := users.FollowUser[i:min(i+100, len(users.FollowUser))]
		cursor := ""
		for {
			var page struct {
				ErrCode             int                      `json:"errcode"`
				ExternalContactList []contact.CustomerRecord `json:"external_contact_list"`
				NextCursor          string                   `json:"next_cursor"`
			}
			req := map[string]any{"userid_list": batch, "cursor": cursor, "limit": 100}
			if err := call(http.MethodPost, "/cgi-bin/externalcontact/batch/get_by_user", req, &page); err != nil || page.ErrCode != 0 {
				return fmt.Errorf("batch: %v %d", err, page.ErrCode)
			}
			fn(page.ExternalContactList)
			if page.NextCursor == "" {
				break
			}
			cursor = page.NextCursor
		}
	}
	return nil
}

// BenchmarkSyncVsBare streams 10,000 customers with Sync and with the bare
// reference loop, in the same run against the same fake. Both include the
// fake server's own allocations (same process), which are the same for
// both; B/record is B/op over the 10,000 records.
func BenchmarkSyncVsBare(b *testing.B) {
	const n = 10_000
	srv := syncServer(b, n)
	ctx := context.Background()
	c := srv.Client(wecom.WithRateLimit("/cgi-bin/externalcontact/batch/get_by_user", wecom.Limit{}))
	tok, err := c.AccessToken(ctx)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("sdk", func(b *testing.B) {
		svc := contact.New(c)
		b.ReportAllocs()
		m := startAllocMeter()
		records := 0
		for range b.N {
			for page, err := range svc.Sync(ctx, nil) {
				if err != nil {
					b.Fatal(err)
				}
				records += len(page.Records)
			}
		}
		if records != n*b.N {
			b.Fatalf("%d records", records)
		}
		m.report(b, records)
	})
	b.Run("bare", func(b *testing.B) {
		hc := srv.HTTPClient()
		b.ReportAllocs()
		m := startAllocMeter()
		records := 0
		for range b.N {
			if err := bareSync(ctx, hc, srv.URL, tok, func(r []contact.CustomerRecord) { records += len(r) }); err != nil {
				b.Fatal(err)
			}
		}
		if records != n*b.N {
			b.Fatalf("%d records", records)
		}
		m.report(b, records)
	})
}

// allocMeter reports the bytes allocated per record over a loop
// (runtime.MemStats.TotalAlloc, so the fake server's share is included).
type allocMeter struct{ start uint64 }

func startAllocMeter() allocMeter {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return allocMeter{start: ms.TotalAlloc}
}

func (m allocMeter) report(b *testing.B, records int) {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.TotalAlloc-m.start)/float64(records), "B/record")
}

// streamingPeak syncs n customers and returns the peak live heap above the
// level before the sync (the fake's own state excluded), sampled after a
// forced collection every tenth page, and the records seen.
func streamingPeak(tb testing.TB, n int) (peak uint64, records int) {
	srv := syncServer(tb, n)
	svc := contact.New(srv.Client(wecom.WithRateLimit("/cgi-bin/externalcontact/batch/get_by_user", wecom.Limit{})))
	ctx := context.Background()
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
		if err != nil {
			tb.Fatal(err)
		}
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
func TestSyncHeapDoesNotGrowWithTheCorp(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds 22,000 customers")
	}
	small, n1 := streamingPeak(t, 2_000)
	large, n2 := streamingPeak(t, 20_000)
	if n1 != 2_000 || n2 != 20_000 {
		t.Fatalf("records %d, %d", n1, n2)
	}
	t.Logf("peak live heap while streaming: %d KB for 2,000 customers, %d KB for 20,000", small>>10, large>>10)
	if large > small+2<<20 {
		t.Fatalf("the streaming heap grew from %d KB to %d KB with ten times the customers", small>>10, large>>10)
	}
}

// BenchmarkSyncHeap reports the peak live heap while streaming 10,000 and
// 100,000 customers (one sync each; ns/op is not the point).
func BenchmarkSyncHeap(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			var peak uint64
			for range b.N {
				p, records := streamingPeak(b, n)
				if records != n {
					b.Fatalf("%d records", records)
				}
				peak = max(peak, p)
			}
			b.ReportMetric(float64(peak)/1024, "peak-live-KB")
		})
	}
}
