package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/scrmkit/scrm/callback"
)

// dlFlags are what every deadletters command takes: the queue, the
// callback's settings (to read the events' kinds) and the filters.
type dlFlags struct {
	redis redisFlags
	token string
	key   string

	kind      string
	olderThan time.Duration
	newerThan time.Duration
}

func newDeadLettersCommand(a *app) *cobra.Command {
	var f dlFlags
	cmd := &cobra.Command{
		Use:     "deadletters",
		Aliases: []string{"dl"},
		Short:   "List, show, replay or drop the pushes parked in the Redis callback queue",
		Long: `deadletters works on the dead letters of a redisstore.Queue: pushes whose
handlers kept failing (or that could no longer be opened), parked after the
queue's last attempt. list shows them, show one in full, replay sends them back
to the queue to run again (fix the cause first), drop deletes them.

Dead letters are kept as WeCom sent them, encrypted: with the callback's Token
and EncodingAESKey (--token, --aes-key, $WECOM_CALLBACK_TOKEN,
$WECOM_CALLBACK_AES_KEY) the commands read each one's event kind, filter by it
(--kind: the event, e.g. change_external_contact, or its change type, e.g.
add_external_contact) and show the event. --older-than and --newer-than filter
by when a push was parked.

The queue is found like the application finds it: --redis-addr ($REDIS_ADDR),
--redis-prefix ($REDIS_PREFIX, redisstore.WithPrefix), --queue
(redisstore.WithName), and --redis-key ($REDIS_ENCRYPTION_KEY) when the store is
encrypted.`,
		Example: `  export REDIS_ADDR=10.0.0.5:6379 WECOM_CALLBACK_TOKEN=... WECOM_CALLBACK_AES_KEY=...
  scrm deadletters list --kind change_external_contact --older-than 1h
  scrm deadletters show 1700000000000-0
  scrm deadletters replay --all --kind add_external_contact
  scrm deadletters drop 1700000000000-0`,
		Args: args(cobra.NoArgs),
	}
	f.redis.register(cmd)
	pf := cmd.PersistentFlags()
	envFlag(pf, &f.token, "token", "WECOM_CALLBACK_TOKEN", "the callback's Token, to read the events", true)
	envFlag(pf, &f.key, "aes-key", "WECOM_CALLBACK_AES_KEY", "the callback's EncodingAESKey, to read the events", true)
	pf.StringVar(&f.kind, "kind", "", "only dead letters of this event kind or change type (needs --token and --aes-key)")
	pf.DurationVar(&f.olderThan, "older-than", 0, "only dead letters parked longer ago than this (e.g. 1h)")
	pf.DurationVar(&f.newerThan, "newer-than", 0, "only dead letters parked more recently than this (e.g. 30m)")

	cmd.AddCommand(newDLListCommand(a, &f), newDLShowCommand(a, &f), newDLActCommand(a, &f, "replay"), newDLActCommand(a, &f, "drop"))
	return cmd
}

// opened is a dead letter with what its push says, when it could be read.
type opened struct {
	deadLetter
	event   callback.Event // nil without the callback's settings, or when it does not open
	openErr error
}

func (o *opened) kind() string {
	switch {
	case o.event != nil:
		h := o.event.Header()
		if h.ChangeType != "" {
			return string(h.Kind()) + "/" + string(h.ChangeType)
		}
		return string(h.Kind())
	case o.openErr != nil:
		return "(does not open)"
	}
	return "?"
}

// session is an open queue and, with the callback's settings, a handler to
// read the pushes.
type session struct {
	a   *app
	f   *dlFlags
	q   deadLetters
	h   *callback.Handler
	now time.Time
}

func openSession(ctx context.Context, a *app, f *dlFlags) (*session, error) {
	if f.kind != "" && (f.token == "" || f.key == "") {
		return nil, usageError{errors.New("--kind needs the callback's --token and --aes-key ($WECOM_CALLBACK_TOKEN, $WECOM_CALLBACK_AES_KEY): dead letters are encrypted")}
	}
	if f.olderThan < 0 || f.newerThan < 0 {
		return nil, usageError{errors.New("--older-than and --newer-than are durations ago, not negative")}
	}
	s := &session{a: a, f: f, now: a.now()}
	if f.token != "" && f.key != "" {
		h, err := callback.NewHandler(f.token, f.key, callback.InsecureSkipReceiverCheck(),
			callback.WithLogger(slog.New(slog.DiscardHandler)))
		if err != nil {
			return nil, usageError{errors.New(strings.TrimPrefix(err.Error(), "callback: "))}
		}
		s.h = h
	}
	q, err := openDeadLetters(ctx, a, &f.redis)
	if err != nil {
		s.close()
		return nil, err
	}
	s.q = q
	return s, nil
}

func (s *session) close() {
	if s.h != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = s.h.Close(ctx)
	}
	if s.q != nil {
		_ = s.q.close()
	}
}

func (s *session) open(d deadLetter) *opened {
	o := &opened{deadLetter: d}
	if s.h != nil {
		o.event, o.openErr = s.h.OpenDelivery(&d.Delivery)
	}
	return o
}

// matches applies the filters.
func (s *session) matches(o *opened) bool {
	f := s.f
	if f.olderThan > 0 && !o.FailedAt.Before(s.now.Add(-f.olderThan)) {
		return false
	}
	if f.newerThan > 0 && o.FailedAt.Before(s.now.Add(-f.newerThan)) {
		return false
	}
	if f.kind != "" {
		if o.event == nil {
			return false
		}
		h := o.event.Header()
		if string(h.Kind()) != f.kind && string(h.ChangeType) != f.kind {
			return false
		}
	}
	return true
}

// each calls fn for every dead letter the filters match, oldest first,
// until fn returns false or limit were seen (limit <= 0: no limit).
func (s *session) each(ctx context.Context, limit int, fn func(*opened) error) error {
	after, seen := "", 0
	for {
		page, err := s.q.list(ctx, after, 100)
		if err != nil {
			return err
		}
		for _, d := range page {
			o := s.open(d)
			if !s.matches(o) {
				continue
			}
			if err := fn(o); err != nil {
				return err
			}
			seen++
			if limit > 0 && seen >= limit {
				return nil
			}
		}
		if len(page) < 100 {
			return nil
		}
		after = page[len(page)-1].ID
	}
}

func newDLListCommand(a *app, f *dlFlags) *cobra.Command {
	var (
		limit  int
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the dead letters, oldest first",
		Long: `list shows each dead letter the filters match: its id (for show, replay and drop),
when it was parked and how long ago, its attempts, its event kind (with the
callback's Token and EncodingAESKey) and its last error. --json prints one JSON
object per line instead.`,
		Example: `  scrm deadletters list
  scrm deadletters list --kind add_external_contact --newer-than 24h --json`,
		Args: args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := openSession(cmd.Context(), a, f)
			if err != nil {
				return err
			}
			defer s.close()
			return s.list(cmd.Context(), limit, asJSON)
		},
	}
	cmd.Flags().IntVar(&limit, "limit", 0, "list at most this many (0: all)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON lines")
	return cmd
}

// dlJSON is a dead letter in --json output.
type dlJSON struct {
	ID         string    `json:"id"`
	ReceivedAt time.Time `json:"received_at"`
	FailedAt   time.Time `json:"failed_at"`
	Attempts   int       `json:"attempts"`
	Error      string    `json:"error"`
	Kind       string    `json:"kind,omitempty"`
	OpenError  string    `json:"open_error,omitempty"`
	Event      *eventOut `json:"event,omitempty"`
}

func toJSON(o *opened, withEvent bool) dlJSON {
	j := dlJSON{ID: o.ID, ReceivedAt: o.ReceivedAt.UTC(), FailedAt: o.FailedAt.UTC(), Attempts: o.Attempts, Error: o.Err}
	if o.event != nil {
		j.Kind = o.kind()
		if withEvent {
			e := eventJSON(o.event)
			j.Event = &e
		}
	}
	if o.openErr != nil {
		j.OpenError = o.openErr.Error()
	}
	return j
}

func (s *session) list(ctx context.Context, limit int, asJSON bool) error {
	out := s.a.stdout
	if asJSON {
		enc := json.NewEncoder(out)
		enc.SetEscapeHTML(false)
		return s.each(ctx, limit, func(o *opened) error { return enc.Encode(toJSON(o, false)) })
	}
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tPARKED\tAGO\tATTEMPTS\tKIND\tERROR")
	n := 0
	err := s.each(ctx, limit, func(o *opened) error {
		n++
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\n", o.ID, o.FailedAt.UTC().Format(time.DateTime), ago(s.now, o.FailedAt),
			o.Attempts, o.kind(), oneLine(o.Err, 100))
		return nil
	})
	if ferr := tw.Flush(); err == nil {
		err = ferr
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "%d dead letters%s.\n", n, s.filtersSaid())
	if s.h == nil {
		fmt.Fprintln(out, "Give the callback's --token and --aes-key to see their event kinds.")
	}
	return nil
}

// filtersSaid describes the filters in force, for the count line.
func (s *session) filtersSaid() string {
	var parts []string
	if s.f.kind != "" {
		parts = append(parts, "of kind "+s.f.kind)
	}
	if s.f.olderThan > 0 {
		parts = append(parts, "parked more than "+s.f.olderThan.String()+" ago")
	}
	if s.f.newerThan > 0 {
		parts = append(parts, "parked less than "+s.f.newerThan.String()+" ago")
	}
	if len(parts) == 0 {
		return ""
	}
	return " " + strings.Join(parts, ", ")
}

func ago(now, t time.Time) string {
	if t.IsZero() {
		return "?"
	}
	return now.Sub(t).Round(time.Second).String()
}

func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

func newDLShowCommand(a *app, f *dlFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "show ID",
		Short: "Show one dead letter in full, with its event",
		Long: `show prints one dead letter as JSON: its times, attempts and last error and, with
the callback's Token and EncodingAESKey, the decrypted event ({"kind",
"change_type", "type", "event"}), as 'scrm callback decrypt' prints it.`,
		Example: `  scrm deadletters show 1700000000000-0`,
		Args:    args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, argv []string) error {
			s, err := openSession(cmd.Context(), a, f)
			if err != nil {
				return err
			}
			defer s.close()
			id := argv[0]
			var found *opened
			err = s.each(cmd.Context(), 0, func(o *opened) error {
				if o.ID == id {
					found = o
					return errStop
				}
				return nil
			})
			if err != nil && !errors.Is(err, errStop) {
				return err
			}
			if found == nil {
				return fmt.Errorf("no dead letter %s%s (list shows the ids)", id, s.filtersSaid())
			}
			return writeJSON(a.stdout, toJSON(found, true))
		},
	}
}

// errStop ends an each walk early.
var errStop = errors.New("stop")

func newDLActCommand(a *app, f *dlFlags, verb string) *cobra.Command {
	var all, dryRun bool
	cmd := &cobra.Command{Args: args(cobra.ArbitraryArgs)}
	switch verb {
	case "replay":
		cmd.Use = "replay [ID...]"
		cmd.Short = "Send dead letters back to the queue to run again"
		cmd.Long = `replay sends the dead letters named by id (or, with --all, every one the filters
match) back to the queue, with all their attempts to run again, and prints each
one's new id in the queue. Fix what made them fail first: a push that fails
again is parked again.`
		cmd.Example = `  scrm deadletters replay 1700000000000-0 1700000000001-0
  scrm deadletters replay --all --kind change_external_chat --dry-run`
	case "drop":
		cmd.Use = "drop [ID...]"
		cmd.Short = "Delete dead letters for good"
		cmd.Long = `drop deletes the dead letters named by id (or, with --all, every one the filters
match) for good: the events are lost. --dry-run lists what would go.`
		cmd.Example = `  scrm deadletters drop 1700000000000-0
  scrm deadletters drop --all --older-than 720h`
	}
	cmd.RunE = func(cmd *cobra.Command, ids []string) error {
		if len(ids) > 0 && all {
			return usageError{errors.New("give ids or --all, not both")}
		}
		if len(ids) == 0 && !all {
			return usageError{fmt.Errorf("name the dead letters to %s by id, or give --all to %s every one the filters match", verb, verb)}
		}
		s, err := openSession(cmd.Context(), a, f)
		if err != nil {
			return err
		}
		defer s.close()
		return s.act(cmd.Context(), verb, ids, dryRun)
	}
	cmd.Flags().BoolVar(&all, "all", false, "act on every dead letter the filters match")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "only list what would be done")
	return cmd
}

func (s *session) act(ctx context.Context, verb string, ids []string, dryRun bool) error {
	out := s.a.stdout
	do := func(id, kind string) error {
		rawID := id
		if kind != "" {
			id += " (" + kind + ")"
		}
		if dryRun {
			fmt.Fprintf(out, "would %s %s\n", verb, id)
			return nil
		}
		if verb == "drop" {
			if err := s.q.drop(ctx, rawID); err != nil {
				return err
			}
			fmt.Fprintf(out, "dropped %s\n", id)
			return nil
		}
		newID, err := s.q.replay(ctx, rawID)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "replayed %s as %s\n", id, newID)
		return nil
	}
	n, failed := 0, 0
	if len(ids) > 0 {
		for _, id := range ids {
			if err := do(id, ""); err != nil {
				failed++
				if isNoDeadLetter(err) {
					fmt.Fprintf(s.a.stderr, "no dead letter %s (list shows the ids)\n", id)
					continue
				}
				fmt.Fprintf(s.a.stderr, "%s %s failed: %v\n", verb, id, err)
				continue
			}
			n++
		}
	} else {
		// Collect first: replaying while walking the stream would change it.
		var matched []*opened
		if err := s.each(ctx, 0, func(o *opened) error { matched = append(matched, o); return nil }); err != nil {
			return err
		}
		for _, o := range matched {
			if err := do(o.ID, o.kind()); err != nil {
				failed++
				fmt.Fprintf(s.a.stderr, "%s %s failed: %v\n", verb, o.ID, err)
				continue
			}
			n++
		}
	}
	past := map[string]string{"replay": "replayed", "drop": "dropped"}[verb]
	if dryRun {
		past = "to " + verb
	}
	fmt.Fprintf(out, "%d dead letters %s.\n", n, past)
	if failed > 0 {
		return reported{fmt.Errorf("%d failed", failed)}
	}
	return nil
}
