package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/scrmkit/scrm/contact"
)

func newExportCommand(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "export",
		Short: "Export data from WeCom",
		Long: `export writes what WeCom holds to files, for a CRM's first import or a backup.
Its one subcommand so far is customers.`,
		Example: `  scrm export customers -o customers.jsonl`,
		Args:    args(cobra.NoArgs),
	}
	cmd.AddCommand(newExportCustomersCommand(a))
	return cmd
}

type exportOpts struct {
	output, format, checkpoint string
	restart                    bool
	batchUsers, pageSize       int
	interval                   time.Duration
}

func newExportCustomersCommand(a *app) *cobra.Command {
	var (
		c creds
		o exportOpts
	)
	cmd := &cobra.Command{
		Use:   "customers",
		Short: "Export every customer relation to JSON lines or CSV, resumably",
		Long: `customers streams every customer of the corp with contact.Service.Sync: every
member with the customer-contact feature, 100 at a time, and every page of
batch/get_by_user for them. It writes one line per relation (a customer and one
member who follows them: a customer two members follow is on two lines), as
JSON lines in WeCom's shape ({"external_contact": ..., "follow_info": ...}) or
as CSV with a header (--format csv, or an --output ending in .csv).

Progress goes to standard error: a bar (members done, customers, rate, ETA) on a
terminal, plain lines every --progress-interval otherwise.

With --output a file, the position after each page is saved in a checkpoint file
(--checkpoint, default the output's name + ".checkpoint") once the page is
written. Interrupted (Ctrl-C, a network failure, a WeCom error), the export says
what went wrong; run the same command again and it resumes where it stopped,
without a repeated or a missing line. The checkpoint is removed when the export
completes; --restart ignores one and starts over.

Members without an interop licence (互通许可) have their customers left out by
WeCom; they are listed at the end.

` + credsHelp,
		Example: `  # JSON lines, resumable
  WECOM_CORP_ID=ww... WECOM_CORP_SECRET=... scrm export customers -o customers.jsonl

  # CSV, for a spreadsheet
  scrm export customers -o customers.csv

  # to standard output (not resumable), e.g. into jq
  scrm export customers | jq -r .external_contact.name`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.resolve(); err != nil {
				return err
			}
			return runExport(cmd.Context(), a, &c, &o)
		},
	}
	c.register(cmd)
	fs := cmd.Flags()
	fs.StringVarP(&o.output, "output", "o", "-", "the file to write (\"-\": standard output)")
	fs.StringVar(&o.format, "format", "", "jsonl or csv (default: csv for an --output ending in .csv, else jsonl)")
	fs.StringVar(&o.checkpoint, "checkpoint", "", "the checkpoint file (default: the output's name + \".checkpoint\")")
	fs.BoolVar(&o.restart, "restart", false, "ignore an existing checkpoint and start over")
	fs.IntVar(&o.batchUsers, "batch-users", 0, "members per batch/get_by_user call (1 to 100; default 100)")
	fs.IntVar(&o.pageSize, "page-size", 0, "records per page (1 to 100; default 100)")
	fs.DurationVar(&o.interval, "progress-interval", 5*time.Second, "how often a progress line is printed when standard error is not a terminal (0: every page)")
	return cmd
}

func (o *exportOpts) resolve() error {
	if o.format == "" {
		o.format = "jsonl"
		if strings.EqualFold(filepath.Ext(o.output), ".csv") {
			o.format = "csv"
		}
	}
	if o.format != "jsonl" && o.format != "csv" {
		return usageError{fmt.Errorf("--format must be jsonl or csv, not %q", o.format)}
	}
	if o.output == "-" {
		if o.checkpoint != "" {
			return usageError{errors.New("a checkpoint needs --output to be a file: standard output cannot be resumed")}
		}
		return nil
	}
	if o.checkpoint == "" {
		o.checkpoint = o.output + ".checkpoint"
	}
	return nil
}

// exportState is the checkpoint file: where the sync is and how much of
// the output holds the records before it.
type exportState struct {
	Version    int                `json:"version"`
	CorpID     string             `json:"corp_id"`
	Output     string             `json:"output"`
	Format     string             `json:"format"`
	Checkpoint contact.Checkpoint `json:"checkpoint"`
	// Offset is the output's length once the records before Checkpoint
	// were written: a resume cuts the output there.
	Offset     int64    `json:"offset"`
	Records    int64    `json:"records"`
	Unlicensed []string `json:"unlicensed,omitempty"`
}

const exportStateVersion = 1

// loadState reads the checkpoint file; nil when there is none.
func loadState(path string) (*exportState, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var st exportState
	if err := json.Unmarshal(b, &st); err != nil || st.Version != exportStateVersion {
		return nil, fmt.Errorf("the checkpoint %s is not one this version of scrm wrote: delete it, or use --restart", path)
	}
	return &st, nil
}

// save writes the checkpoint file atomically (a new file renamed over it).
func (st *exportState) save(path string) error {
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// countingWriter counts the bytes written through it.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// csvHeader is the CSV columns: the customer, then the member's relation.
var csvHeader = []string{"external_userid", "name", "type", "gender", "unionid", "corp_name", "corp_full_name", "position",
	"follow_userid", "remark", "description", "createtime", "tag_ids", "remark_corp_name", "remark_mobiles",
	"add_way", "oper_userid", "state"}

func csvRow(r *contact.CustomerRecord) []string {
	e, f := &r.ExternalContact, &r.FollowInfo
	created := ""
	if t := f.CreateTime.Time(); !t.IsZero() {
		created = t.UTC().Format(time.RFC3339)
	}
	return []string{e.ExternalUserID, e.Name, strconv.Itoa(int(e.Type)), strconv.Itoa(int(e.Gender)), e.UnionID, e.CorpName,
		e.CorpFullName, e.Position, f.UserID, f.Remark, f.Description, created, strings.Join(f.TagID, ";"),
		f.RemarkCorpName, strings.Join(f.RemarkMobiles, ";"), strconv.Itoa(int(f.AddWay)), f.OperUserID, f.State}
}

// recordWriter writes records in one format through a counting writer.
type recordWriter struct {
	count *countingWriter
	buf   *bufio.Writer
	json  *json.Encoder
	csv   *csv.Writer
}

func newRecordWriter(w io.Writer, format string, header bool) (*recordWriter, error) {
	rw := &recordWriter{count: &countingWriter{w: w}}
	rw.buf = bufio.NewWriterSize(rw.count, 64<<10)
	if format == "csv" {
		rw.csv = csv.NewWriter(rw.buf)
		if header {
			if err := rw.csv.Write(csvHeader); err != nil {
				return nil, err
			}
		}
	} else {
		rw.json = json.NewEncoder(rw.buf)
		rw.json.SetEscapeHTML(false)
	}
	return rw, nil
}

func (rw *recordWriter) write(r *contact.CustomerRecord) error {
	if rw.csv != nil {
		return rw.csv.Write(csvRow(r))
	}
	return rw.json.Encode(r)
}

// flush writes everything out and returns the bytes written so far.
func (rw *recordWriter) flush() (int64, error) {
	if rw.csv != nil {
		rw.csv.Flush()
		if err := rw.csv.Error(); err != nil {
			return rw.count.n, err
		}
	}
	err := rw.buf.Flush()
	return rw.count.n, err
}

func runExport(ctx context.Context, a *app, c *creds, o *exportOpts) error {
	client, err := c.client(ctx, a)
	if err != nil {
		return err
	}
	st := &exportState{Version: exportStateVersion, CorpID: c.corpID, Output: o.output, Format: o.format}
	var resumed *exportState
	if o.checkpoint != "" && !o.restart {
		if resumed, err = loadState(o.checkpoint); err != nil {
			return err
		}
	}
	if resumed != nil {
		switch {
		case resumed.CorpID != c.corpID:
			return fmt.Errorf("the checkpoint %s is of an export of corp %s: delete it, or use --restart", o.checkpoint, resumed.CorpID)
		case resumed.Output != o.output:
			return fmt.Errorf("the checkpoint %s is of the export to %s: give that --output, or use --restart", o.checkpoint, resumed.Output)
		case resumed.Format != o.format:
			return fmt.Errorf("the checkpoint %s is of a %s export: export as %s again, or use --restart", o.checkpoint, resumed.Format, resumed.Format)
		}
		st = resumed
	}

	// The output: standard output, a new file, or the file cut back to
	// the checkpoint's offset.
	var out io.Writer = a.stdout
	var file *os.File
	if o.output != "-" {
		if resumed != nil {
			file, err = os.OpenFile(o.output, os.O_RDWR, 0)
			if err == nil {
				var info os.FileInfo
				if info, err = file.Stat(); err == nil && info.Size() < st.Offset {
					err = fmt.Errorf("%s is shorter than its checkpoint says (%d bytes, not %d): it was changed; use --restart", o.output, info.Size(), st.Offset)
				}
			}
			if err == nil {
				err = file.Truncate(st.Offset)
			}
			if err == nil {
				_, err = file.Seek(st.Offset, io.SeekStart)
			}
		} else {
			file, err = os.Create(o.output)
		}
		if err != nil {
			if file != nil {
				_ = file.Close()
			}
			return err
		}
		defer file.Close()
		out = file
	}
	rw, err := newRecordWriter(out, o.format, resumed == nil)
	if err != nil {
		return err
	}
	base := st.Offset
	n, err := rw.flush() // the CSV header, before any checkpoint counts it
	if err != nil {
		return fmt.Errorf("writing %s: %w", o.output, err)
	}
	st.Offset = base + n

	svc := contact.New(client)
	users, err := svc.ListFollowUsers(ctx)
	if err != nil {
		fmt.Fprintln(a.stderr, "export failed: listing the members with customer contact:", shortError(err))
		if advice := explain(err, c, "/cgi-bin/externalcontact/get_follow_user_list"); advice != "" {
			wrap(a.stderr, "What to do: "+advice)
		}
		return reported{err}
	}
	total := len(slices.Compact(slices.Sorted(slices.Values(users))))

	var from *contact.Checkpoint
	if resumed != nil {
		from = &st.Checkpoint
		fmt.Fprintf(a.stderr, "Resuming the export from %v, after %d lines (checkpoint %s).\n", st.Checkpoint, st.Records, o.checkpoint)
	}
	prog := newProgress(a, total, st.Checkpoint.UserIndex, st.Records, o.interval)
	var opts []contact.SyncOption
	if o.batchUsers > 0 {
		opts = append(opts, contact.WithBatchUsers(o.batchUsers))
	}
	if o.pageSize > 0 {
		opts = append(opts, contact.WithPageSize(o.pageSize))
	}

	for page, err := range svc.Sync(ctx, from, opts...) {
		if err != nil {
			prog.finish(st.Checkpoint.UserIndex, st.Records)
			if cp, ok := contact.CheckpointOf(err); ok && o.checkpoint != "" {
				st.Checkpoint = cp
				if serr := st.save(o.checkpoint); serr != nil {
					return fmt.Errorf("%w; and saving the checkpoint failed: %v", err, serr)
				}
			}
			return exportStopped(a, c, o, st, errors.Unwrap(err))
		}
		for i := range page.Records {
			if err := rw.write(&page.Records[i]); err != nil {
				return err
			}
		}
		n, err := rw.flush()
		if err != nil {
			return fmt.Errorf("writing %s: %w", o.output, err)
		}
		st.Offset = base + n
		st.Records += int64(len(page.Records))
		st.Checkpoint = page.Next
		for _, u := range page.Unlicensed {
			if !slices.Contains(st.Unlicensed, u) {
				st.Unlicensed = append(st.Unlicensed, u)
			}
		}
		if o.checkpoint != "" {
			if err := st.save(o.checkpoint); err != nil {
				return fmt.Errorf("saving the checkpoint %s: %w", o.checkpoint, err)
			}
		}
		prog.update(page.Next.UserIndex, st.Records)
	}
	prog.finish(total, st.Records)
	if _, err := rw.flush(); err != nil {
		return fmt.Errorf("writing %s: %w", o.output, err)
	}
	if file != nil {
		if err := file.Sync(); err != nil {
			return err
		}
	}
	if o.checkpoint != "" {
		if err := os.Remove(o.checkpoint); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	where := o.output
	if where == "-" {
		where = "standard output"
	}
	fmt.Fprintf(a.stderr, "Exported %d customer relations of %d members to %s (%s).\n", st.Records, total, where, o.format)
	reportUnlicensed(a.stderr, st.Unlicensed)
	return nil
}

// exportStopped explains why the export stopped and how to resume.
func exportStopped(a *app, c *creds, o *exportOpts, st *exportState, err error) error {
	w := a.stderr
	if errors.Is(err, context.Canceled) {
		fmt.Fprintf(w, "Export interrupted at %v, after %d lines.\n", st.Checkpoint, st.Records)
	} else {
		fmt.Fprintf(w, "Export stopped at %v, after %d lines: %s\n", st.Checkpoint, st.Records, shortError(err))
		if advice := explain(err, c, "/cgi-bin/externalcontact/batch/get_by_user"); advice != "" {
			wrap(w, "What to do: "+advice)
		}
	}
	if o.checkpoint != "" {
		fmt.Fprintf(w, "The position is saved in %s: run the same command again to resume.\n", o.checkpoint)
	} else {
		fmt.Fprintln(w, "Standard output cannot be resumed: export to a file (-o) to resume after an interruption.")
	}
	reportUnlicensed(w, st.Unlicensed)
	return reported{err}
}

func reportUnlicensed(w io.Writer, users []string) {
	if len(users) == 0 {
		return
	}
	members := fmt.Sprintf("%d members have", len(users))
	if len(users) == 1 {
		members = "1 member has"
	}
	wrap(w, members+" no interop licence (互通许可), so WeCom left their customers out: "+strings.Join(users, ", ")+
		". Assign licences in the admin console (我的企业 → 服务与账号 → 接口许可) and export again.")
}
