package steps

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestPrinter(t *testing.T) {
	var b bytes.Buffer
	p := New(&b, 6)
	require.NoError(t, p.Do("one", func() (string, error) { return "fine", nil }))
	boom := errors.New("boom")
	err := p.Do("two", func() (string, error) { return "", boom })
	require.ErrorIs(t, err, boom)
	require.ErrorContains(t, err, "two")
	lines := strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
	require.Len(t, lines, 2, "output:\n%s", b.String())
	require.True(t, strings.HasPrefix(lines[0], " 1. one    ok  fine ("), "output:\n%s", b.String())
	require.True(t, strings.HasPrefix(lines[1], " 2. two    FAILED after "), "output:\n%s", b.String())
	require.True(t, strings.HasSuffix(lines[1], ": boom"), "output:\n%s", b.String())
}

func TestRunLeavesFakeOnlyStepsOut(t *testing.T) {
	var out bytes.Buffer
	var ran []string
	step := func(name string, fakeOnly bool) Step {
		return Step{Name: name, FakeOnly: fakeOnly, Fn: func() (string, error) { ran = append(ran, name); return "", nil }}
	}
	all := []Step{step("a", false), step("b", true), step("c", false)}
	err := New(&out, 4).Run(false, all)
	require.NoError(t, err, "real server: ran %v", ran)
	require.Equal(t, []string{"a", "c"}, ran, "real server")
	ran = nil
	err = New(&out, 4).Run(true, all)
	require.NoError(t, err, "fake: ran %v", ran)
	require.Equal(t, []string{"a", "b", "c"}, ran, "fake")
}
