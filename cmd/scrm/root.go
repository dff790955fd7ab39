package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/term"
)

// app is what the commands share: the streams, the environment and the
// clock, given by main or by a test.
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	now            func() time.Time
	// isTerminal reports whether w is a terminal (the progress bar is drawn
	// only there).
	isTerminal func(w io.Writer) bool

	verbose bool
}

func newApp(stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) *app {
	return &app{stdin: stdin, stdout: stdout, stderr: stderr, getenv: getenv, now: time.Now, isTerminal: isTerminal}
}

// isTerminal reports whether w is a file on a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// logger logs to stderr with --verbose and nowhere otherwise. The SDK's
// logs carry no token or secret.
func (a *app) logger() *slog.Logger {
	if !a.verbose {
		return slog.New(slog.DiscardHandler)
	}
	return slog.New(slog.NewTextHandler(a.stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// slogInfo logs at Info level and above to w.
func slogInfo(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

// Exit codes.
const (
	exitOK      = 0
	exitFailed  = 1 // the command ran and what it checked or did failed
	exitUsage   = 2 // bad flags or arguments
	annotEnv    = "scrm_env"
	annotSecret = "scrm_secret"
)

// usageError is a mistake in the command line.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// reported is a failure the command has explained already on its output:
// run prints nothing more and exits with exitFailed.
type reported struct{ err error }

func (e reported) Error() string { return e.err.Error() }
func (e reported) Unwrap() error { return e.err }

// run executes the command line args and returns the exit code.
func run(ctx context.Context, a *app, args []string) int {
	root := newRootCommand(a)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	var rep reported
	if errors.As(err, &rep) {
		return exitFailed
	}
	fmt.Fprintln(a.stderr, "scrm:", err)
	var ue usageError
	if errors.As(err, &ue) || isCobraUsage(err) {
		fmt.Fprintln(a.stderr, "Run 'scrm --help' or 'scrm <command> --help' for usage.")
		return exitUsage
	}
	return exitFailed
}

// isCobraUsage recognises cobra's error for an unknown command, which it
// returns unwrapped (flag errors and argument counts are usageErrors).
func isCobraUsage(err error) bool { return strings.HasPrefix(err.Error(), "unknown command ") }

// args wraps an argument validator so that its errors are usage errors.
func args(v cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, a []string) error {
		if err := v(cmd, a); err != nil {
			return usageError{err}
		}
		return nil
	}
}

func newRootCommand(a *app) *cobra.Command {
	root := &cobra.Command{
		Use:   "scrm",
		Short: "The work around a WeCom (企业微信) integration, done with scrmkit",
		Long: `scrm does the work around a WeCom (企业微信) integration that is not the
integration's own code: checking credentials, debugging callbacks, exporting
every customer, draining the callback queue's dead letters, and serving a fake
WeCom to teams who do not write Go.

Settings come from flags or from the environment: each flag's help names its
variable (WECOM_CORP_ID, WECOM_CORP_SECRET, WECOM_BASE_URL, WECOM_SUITE_ID,
WECOM_SUITE_SECRET, WECOM_CALLBACK_TOKEN, WECOM_CALLBACK_AES_KEY, REDIS_ADDR,
...). A flag wins over its variable. Prefer the environment for secrets: a
flag's value may stay in the shell's history. Secrets (corp and suite secrets,
tickets, permanent codes, callback tokens and keys, Redis passwords and keys)
are never printed: not in output, errors, logs or this help.

Exit status: 0 when all went well, 1 when the command ran and found or met a
failure (it says which and what to do), 2 for a mistake in the command line.`,
		Example: `  # Do the credentials work from this machine?
  WECOM_CORP_ID=ww... WECOM_CORP_SECRET=... scrm check

  # Why does this push not decrypt?
  scrm callback decrypt --query 'msg_signature=...&timestamp=...&nonce=...' < body.xml

  # A fake WeCom for the frontend team
  scrm fake --addr 127.0.0.1:8099`,
		SilenceErrors: true,
		SilenceUsage:  true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			return bindEnv(cmd, a.getenv)
		},
	}
	root.SetIn(a.stdin)
	root.SetOut(a.stdout)
	root.SetErr(a.stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.PersistentFlags().BoolVarP(&a.verbose, "verbose", "v", false, "log the SDK's calls and the handler's work to standard error (no secrets)")

	root.AddCommand(newCheckCommand(a), newCallbackCommand(a), newExportCommand(a), newDeadLettersCommand(a), newFakeCommand(a))

	// cobra's own help and completion commands get examples like the rest.
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	for _, c := range root.Commands() {
		switch c.Name() {
		case "help":
			c.Example = "  scrm help export customers"
		case "completion":
			c.Example = "  # bash, for the current shell\n  source <(scrm completion bash)"
			for _, sh := range c.Commands() {
				sh.Example = "  scrm completion " + sh.Name() + " > scrm-completion." + sh.Name()
			}
		}
	}
	return root
}

// envFlag defines a string flag that may come from the environment variable
// env (named in its help). A secret flag's value is never printed; it has no
// default, so that --help cannot show one.
func envFlag(fs *pflag.FlagSet, p *string, name, env, usage string, secret bool) {
	if secret {
		usage += " (secret: never printed)"
	}
	if env != "" {
		usage += " [$" + env + "]"
	}
	fs.StringVar(p, name, "", usage)
	if env != "" {
		_ = fs.SetAnnotation(name, annotEnv, []string{env})
	}
	if secret {
		_ = fs.SetAnnotation(name, annotSecret, []string{"true"})
	}
}

// bindEnv gives every flag of cmd that was not set on the command line the
// value of its environment variable, if that is set.
func bindEnv(cmd *cobra.Command, getenv func(string) string) error {
	var err error
	visit := func(f *pflag.Flag) {
		env := f.Annotations[annotEnv]
		if err != nil || f.Changed || len(env) == 0 {
			return
		}
		v := getenv(env[0])
		if v == "" {
			return
		}
		if e := f.Value.Set(v); e != nil {
			// The value is not repeated: it may be a secret.
			err = usageError{fmt.Errorf("$%s is not a valid value for --%s", env[0], f.Name)}
		}
	}
	cmd.Flags().VisitAll(visit)
	cmd.InheritedFlags().VisitAll(visit)
	return err
}
