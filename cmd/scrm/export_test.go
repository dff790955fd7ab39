package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/contact"
	"github.com/scrmkit/scrm/wecom/wecomtest"
)

// exportWorld has three members, one (cat) without an interop licence,
// 50 customers each and one customer of two: 102 relations to export.
func exportWorld(t *testing.T) *wecomtest.Server {
	t.Helper()
	srv := wecomtest.NewServer(t)
	require.NoError(t, srv.Seed(t.Context(), &wecomtest.World{Corps: []wecomtest.WorldCorp{{
		Staff:           []wecomtest.WorldMember{{ID: "amy"}, {ID: "bob"}, {ID: "cat", Unlicensed: true}},
		Tags:            []wecomtest.WorldTagGroup{{Group: "Level", Tags: []string{"VIP"}}},
		Customers:       []wecomtest.WorldCustomer{{ID: "wmShared", Name: "Shared", Followers: []string{"amy", "bob"}, Tags: []string{"VIP"}}},
		RandomCustomers: 150,
	}}}))
	return srv
}

const exportRelations = 102

// readJSONLines decodes an export and fails on a repeated relation.
func readJSONLines(t *testing.T, path string) []contact.CustomerRecord {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	var out []contact.CustomerRecord
	seen := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var r contact.CustomerRecord
		require.NoError(t, json.Unmarshal(sc.Bytes(), &r), "line %d", len(out)+1)
		key := r.ExternalContact.ExternalUserID + "/" + r.FollowInfo.UserID
		require.False(t, seen[key], "relation %s exported twice", key)
		seen[key] = true
		out = append(out, r)
	}
	require.NoError(t, sc.Err())
	return out
}

var exportArgs = []string{"export", "customers", "--batch-users", "1", "--page-size", "20", "--progress-interval", "0"}

func TestExportCustomersToJSONLines(t *testing.T) {
	t.Parallel()
	srv := exportWorld(t)
	out := filepath.Join(t.TempDir(), "customers.jsonl")

	r := scrm(t, selfBuilt(srv), "", append(exportArgs, "-o", out)...)
	require.Equal(t, exitOK, r.code, r.stderr)
	records := readJSONLines(t, out)
	assert.Len(t, records, exportRelations)
	for _, rec := range records {
		assert.NotEqual(t, "cat", rec.FollowInfo.UserID, "an unlicensed member's customers are left out by WeCom")
		if rec.ExternalContact.ExternalUserID == "wmShared" {
			assert.Equal(t, "Shared", rec.ExternalContact.Name)
			assert.Len(t, rec.FollowInfo.TagID, 1)
		}
	}

	// Progress in its plain form: a line per page (--progress-interval 0),
	// members done out of 3, the customers so far, the rate and the ETA.
	var progress []string
	for _, l := range strings.Split(r.stderr, "\n") {
		if strings.HasPrefix(l, "progress: ") {
			progress = append(progress, l)
		}
	}
	require.Len(t, progress, 7, r.stderr) // amy: 3 pages, bob: 3, cat: 1 (all unlicensed)
	assert.Regexp(t, `^progress: 0/3 members, 20 customers, \d+/s, ETA \?$`, progress[0])
	assert.Regexp(t, `^progress: 1/3 members, 51 customers, \d+/s, ETA \S+$`, progress[2])
	assert.Regexp(t, `^progress: 3/3 members, 102 customers, \d+/s, ETA 0s$`, progress[6])
	assert.NotContains(t, r.stderr, "\r", "no bar off a terminal")
	assert.Contains(t, r.stderr, "Exported 102 customer relations of 3 members to "+out+" (jsonl).")
	assert.Contains(t, flat(r.stderr), "1 member has no interop licence (互通许可), so WeCom left their customers out: cat.")
	assert.NoFileExists(t, out+".checkpoint", "a complete export leaves no checkpoint")
	assert.Empty(t, r.stdout)
}

// cancelAfter is a standard error that cancels the run once it has
// printed n progress lines: the export is interrupted as Ctrl-C would.
type cancelAfter struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	n      int
	cancel context.CancelFunc
}

func (c *cancelAfter) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n -= strings.Count(string(p), "progress: ")
	if c.n <= 0 {
		c.cancel()
	}
	return c.buf.Write(p)
}

func TestExportResumesWhereItStopped(t *testing.T) {
	t.Parallel()
	srv := exportWorld(t)
	out := filepath.Join(t.TempDir(), "customers.jsonl")
	args := append(exportArgs, "-o", out)

	// Interrupted after two pages.
	ctx, cancel := context.WithCancel(t.Context())
	stderr := &cancelAfter{n: 2, cancel: cancel}
	var stdout bytes.Buffer
	code := run(ctx, newApp(strings.NewReader(""), &stdout, stderr, selfBuilt(srv).getenv), args)
	assert.Equal(t, exitFailed, code)
	first := stderr.buf.String()
	assert.Contains(t, first, "Export interrupted at member #1 (amy), within its batch")
	assert.Contains(t, first, "after 40 lines")
	assert.Contains(t, first, "The position is saved in "+out+".checkpoint: run the same command again to resume.")
	assert.Len(t, readJSONLines(t, out), 40)
	require.FileExists(t, out+".checkpoint")

	// The same command again resumes from there.
	r := scrm(t, selfBuilt(srv), "", args...)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stderr, "Resuming the export from member #1 (amy), within its batch")
	assert.Contains(t, r.stderr, "after 40 lines")
	assert.Regexp(t, `progress: 1/3 members, 51 customers`, r.stderr, "the counts go on from the checkpoint")
	assert.Len(t, readJSONLines(t, out), exportRelations, "no relation repeated, none missing")
	assert.Contains(t, r.stderr, "no interop licence")
	assert.NoFileExists(t, out+".checkpoint")
}

func TestExportStopsOnAWeComErrorAndResumes(t *testing.T) {
	t.Parallel()
	srv := exportWorld(t)
	out := filepath.Join(t.TempDir(), "customers.csv")
	args := append(exportArgs, "-o", out)
	srv.Fail("/cgi-bin/externalcontact/batch/get_by_user", wecomtest.Fault{Errcode: 60020,
		Errmsg: "not allow to access from your ip, from ip: 198.51.100.9"})

	r := scrm(t, selfBuilt(srv), "", args...)
	assert.Equal(t, exitFailed, r.code)
	assert.Contains(t, r.stderr, "Export stopped at member #1 (amy), after 0 lines: errcode 60020")
	assert.Contains(t, flat(r.stderr), "WeCom saw the call come from 198.51.100.9")
	assert.Contains(t, r.stderr, "run the same command again to resume")

	r = scrm(t, selfBuilt(srv), "", args...)
	require.Equal(t, exitOK, r.code, r.stderr)
	f, err := os.Open(out)
	require.NoError(t, err)
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	require.NoError(t, err)
	require.Len(t, rows, 1+exportRelations, "one header, written once")
	assert.Equal(t, csvHeader, rows[0])
}

func TestExportCSVToStandardOutput(t *testing.T) {
	t.Parallel()
	srv := exportWorld(t)
	r := scrm(t, selfBuilt(srv), "", "export", "customers", "--format", "csv")
	require.Equal(t, exitOK, r.code, r.stderr)
	rows, err := csv.NewReader(strings.NewReader(r.stdout)).ReadAll()
	require.NoError(t, err)
	require.Len(t, rows, 1+exportRelations)
	for _, row := range rows[1:] {
		if row[0] == "wmShared" {
			assert.Equal(t, "Shared", row[1])
			assert.NotEmpty(t, row[12], "tag ids")
		}
	}
	assert.Contains(t, r.stderr, "to standard output (csv)")

	r = scrm(t, selfBuilt(srv), "", "export", "customers", "--checkpoint", "x.checkpoint")
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, "standard output cannot be resumed")
}

func TestExportRefusesAnotherCorpsCheckpoint(t *testing.T) {
	t.Parallel()
	srv := exportWorld(t)
	out := filepath.Join(t.TempDir(), "customers.jsonl")
	st := &exportState{Version: exportStateVersion, CorpID: "wwanother", Output: out, Format: "jsonl"}
	require.NoError(t, st.save(out+".checkpoint"))
	r := scrm(t, selfBuilt(srv), "", "export", "customers", "-o", out)
	assert.Equal(t, exitFailed, r.code)
	assert.Contains(t, r.stderr, "is of an export of corp wwanother")

	r = scrm(t, selfBuilt(srv), "", "export", "customers", "-o", out, "--restart")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Len(t, readJSONLines(t, out), exportRelations)
}

func TestProgressBarOnATerminal(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	a := newApp(strings.NewReader(""), &buf, &buf, env{}.getenv)
	a.isTerminal = func(io.Writer) bool { return true }
	p := newProgress(a, 4, 0, 0, 0)
	p.update(2, 10)
	p.finish(4, 20)
	out := buf.String()
	assert.Contains(t, out, "\r[==============>               ] 2/4 members, 10 customers")
	assert.Contains(t, out, "\r[==============================] 4/4 members, 20 customers")
	assert.True(t, strings.HasSuffix(out, "\n"))
}
