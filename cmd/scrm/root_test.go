package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/wecom"
)

// result is what a run of scrm printed and returned.
type result struct {
	code           int
	stdout, stderr string
}

// env is a test's environment: no variable of the process leaks in.
type env map[string]string

func (e env) getenv(k string) string { return e[k] }

// scrm runs the command line args in-process, with stdin, and returns what
// it printed.
func scrm(t *testing.T, e env, stdin string, args ...string) result {
	t.Helper()
	return scrmCtx(t.Context(), t, e, stdin, args...)
}

func scrmCtx(ctx context.Context, t *testing.T, e env, stdin string, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	a := newApp(strings.NewReader(stdin), &out, &errOut, e.getenv)
	code := run(ctx, a, args)
	return result{code: code, stdout: out.String(), stderr: errOut.String()}
}

// background runs a command that serves until its context ends (fake,
// callback serve); lines of its standard output and error arrive on the
// channels, and stop ends it and returns its exit code.
type background struct {
	stdout, stderr <-chan string
	stop           func() int
}

func runBackground(t *testing.T, e env, args ...string) *background {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	outR, outW := io.Pipe()
	errR, errW := io.Pipe()
	a := newApp(strings.NewReader(""), outW, errW, e.getenv)
	lines := func(r io.Reader) <-chan string {
		ch := make(chan string, 1024)
		go func() {
			defer close(ch)
			sc := bufio.NewScanner(r)
			sc.Buffer(make([]byte, 1<<20), 1<<20)
			for sc.Scan() {
				ch <- sc.Text()
			}
		}()
		return ch
	}
	b := &background{stdout: lines(outR), stderr: lines(errR)}
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, a, args)
		_ = outW.Close()
		_ = errW.Close()
	}()
	var once sync.Once
	code := 0
	b.stop = func() int {
		once.Do(func() {
			cancel()
			code = <-done
		})
		return code
	}
	t.Cleanup(func() { b.stop() })
	return b
}

// waitLine returns the first line from ch that contains want, failing the
// test when ch closes first. The time limit only keeps a broken test from
// hanging; nothing is measured.
func waitLine(t *testing.T, ch <-chan string, want string) string {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		select {
		case l, ok := <-ch:
			require.True(t, ok, "the output ended before a line with %q", want)
			if strings.Contains(l, want) {
				return l
			}
		case <-deadline:
			require.FailNow(t, "no line with "+want)
		}
	}
}

func TestEveryCommandHasShortLongAndExample(t *testing.T) {
	t.Parallel()
	root := newRootCommand(newApp(strings.NewReader(""), io.Discard, io.Discard, env{}.getenv))
	var walk func(c *cobra.Command)
	n := 0
	walk = func(c *cobra.Command) {
		n++
		assert.NotEmpty(t, c.Short, "%s: Short", c.CommandPath())
		assert.NotEmpty(t, c.Long, "%s: Long", c.CommandPath())
		assert.NotEmpty(t, c.Example, "%s: Example", c.CommandPath())
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	assert.GreaterOrEqual(t, n, 15, "root, check, callback (3), export (1), deadletters (4), fake, help, completion (4)")
}

func TestHelpNamesTheEnvironmentAndNeverShowsASecret(t *testing.T) {
	t.Parallel()
	secrets := env{
		"WECOM_CORP_SECRET": "corp-secret-value", "WECOM_SUITE_SECRET": "suite-secret-value",
		"WECOM_SUITE_TICKET": "ticket-value", "WECOM_PERMANENT_CODE": "permanent-code-value",
		"WECOM_CALLBACK_TOKEN": "token-value", "WECOM_CALLBACK_AES_KEY": "aes-key-value",
		"REDIS_PASSWORD": "redis-password-value", "REDIS_ENCRYPTION_KEY": "redis-key-value",
	}
	for _, args := range [][]string{
		{"check", "--help"}, {"export", "customers", "--help"}, {"callback", "decrypt", "--help"},
		{"callback", "serve", "--help"}, {"deadletters", "list", "--help"}, {"fake", "--help"}, {"--help"},
	} {
		r := scrm(t, secrets, "", args...)
		require.Equal(t, exitOK, r.code, "%v: %s", args, r.stderr)
		for _, v := range secrets {
			assert.NotContains(t, r.stdout+r.stderr, v, "%v", args)
		}
	}
	r := scrm(t, nil, "", "check", "--help")
	for _, want := range []string{"$WECOM_CORP_ID", "$WECOM_CORP_SECRET", "$WECOM_BASE_URL", "$WECOM_SUITE_ID",
		"$WECOM_SUITE_SECRET", "$WECOM_SUITE_TICKET", "$WECOM_PERMANENT_CODE", "secret: never printed"} {
		assert.Contains(t, r.stdout, want)
	}
	r = scrm(t, nil, "", "callback", "decrypt", "--help")
	for _, want := range []string{"$WECOM_CALLBACK_TOKEN", "$WECOM_CALLBACK_AES_KEY", "$WECOM_RECEIVER_ID"} {
		assert.Contains(t, r.stdout, want)
	}
}

func TestCommandLineMistakesExitWithUsage(t *testing.T) {
	t.Parallel()
	for name, args := range map[string][]string{
		"unknown command":    {"nope"},
		"unknown flag":       {"check", "--nope"},
		"extra argument":     {"check", "extra"},
		"missing secret":     {"check", "--corp-id", "ww1"},
		"bad format":         {"export", "customers", "--format", "xml"},
		"no push":            {"callback", "decrypt", "--token", "t", "--aes-key", "k"},
		"drop without ids":   {"deadletters", "drop", "--redis-addr", "127.0.0.1:1"},
		"show without an id": {"deadletters", "show"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			r := scrm(t, nil, "", args...)
			assert.Equal(t, exitUsage, r.code, r.stderr)
			assert.Contains(t, r.stderr, "for usage")
		})
	}
}

func TestFlagsWinOverTheEnvironment(t *testing.T) {
	t.Parallel()
	var c creds
	cmd := &cobra.Command{Use: "x", RunE: func(*cobra.Command, []string) error { return nil }}
	c.register(cmd)
	cmd.SetArgs([]string{"--corp-id", "from-flag"})
	cmd.PersistentPreRunE = func(cmd *cobra.Command, _ []string) error {
		return bindEnv(cmd, env{"WECOM_CORP_ID": "from-env", "WECOM_CORP_SECRET": "s"}.getenv)
	}
	require.NoError(t, cmd.Execute())
	assert.Equal(t, "from-flag", c.corpID)
	assert.Equal(t, "s", c.secret)
}

// flat joins the words of wrapped output with single spaces.
func flat(s string) string { return strings.Join(strings.Fields(s), " ") }

// readmeCommand returns the words of the first command of README.md that
// starts with prefix (continuation lines joined), without the "go run
// ./cmd/scrm" in front, and the file its standard input is redirected
// from ("" if none), relative to the repository's root.
func readmeCommand(t *testing.T, prefix string) (args []string, stdin string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	require.NoError(t, err)
	lines := strings.Split(string(b), "\n")
	for i, l := range lines {
		if !strings.HasPrefix(l, prefix) {
			continue
		}
		cmd := strings.TrimPrefix(l, "$ ")
		for strings.HasSuffix(cmd, "\\") && i+1 < len(lines) {
			i++
			cmd = strings.TrimSuffix(cmd, "\\") + " " + strings.TrimSpace(lines[i])
		}
		words := shellWords(cmd)
		require.Equal(t, []string{"go", "run", "./cmd/scrm"}, words[:3], cmd)
		words = words[3:]
		if n := len(words); n >= 2 && words[n-2] == "<" {
			return words[:n-2], words[n-1]
		}
		return words, ""
	}
	require.FailNow(t, "README.md has no command starting with "+prefix)
	return nil, ""
}

// shellWords splits a command line as a POSIX shell would, for the quoting
// README uses (single and double quotes, no escapes inside them).
func shellWords(s string) []string {
	var words []string
	var cur strings.Builder
	in, quote := false, rune(0)
	for _, r := range s {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			cur.WriteRune(r)
		case r == '\'' || r == '"':
			quote, in = r, true
		case r == ' ' || r == '\t':
			if in {
				words = append(words, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteRune(r)
			in = true
		}
	}
	if in {
		words = append(words, cur.String())
	}
	return words
}

func TestREADMEDecryptCommandWorks(t *testing.T) {
	t.Parallel()
	args, stdin := readmeCommand(t, "$ go run ./cmd/scrm callback decrypt --token")
	require.NotEmpty(t, stdin)
	body, err := os.ReadFile(filepath.Join("..", "..", stdin))
	require.NoError(t, err)
	r := scrm(t, nil, string(body), args...)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, `"Content": "hello"`)
	assert.Contains(t, r.stdout, `"type": "callback.MessageEvent"`)
}

func TestREADMEFakeCommandWorks(t *testing.T) {
	t.Parallel()
	args, _ := readmeCommand(t, "$ go run ./cmd/scrm fake --addr")
	require.Equal(t, []string{"fake", "--addr", "127.0.0.1:8099"}, args)
	args[2] = "127.0.0.1:0" // the same command on a port no other test or program holds
	b := runBackground(t, nil, args...)
	s := waitStarted(t, b)
	_, err := wecom.New(s.corpID, s.secret, wecom.WithBaseURL(s.baseURL)).AccessToken(t.Context())
	require.NoError(t, err)
	assert.Equal(t, exitOK, b.stop())
}
