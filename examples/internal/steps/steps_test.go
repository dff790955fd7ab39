package steps

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestPrinter(t *testing.T) {
	var b bytes.Buffer
	p := New(&b, 6)
	if err := p.Do("one", func() (string, error) { return "fine", nil }); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	err := p.Do("two", func() (string, error) { return "", boom })
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), "two") {
		t.Fatalf("err = %v", err)
	}
	lines := strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], " 1. one    ok  fine (") ||
		!strings.HasPrefix(lines[1], " 2. two    FAILED after ") || !strings.HasSuffix(lines[1], ": boom") {
		t.Fatalf("output:\n%s", b.String())
	}
}

func TestRunLeavesFakeOnlyStepsOut(t *testing.T) {
	var out bytes.Buffer
	var ran []string
	step := func(name string, fakeOnly bool) Step {
		return Step{Name: name, FakeOnly: fakeOnly, Fn: func() (string, error) { ran = append(ran, name); return "", nil }}
	}
	all := []Step{step("a", false), step("b", true), step("c", false)}
	if err := New(&out, 4).Run(false, all); err != nil || strings.Join(ran, ",") != "a,c" {
		t.Fatalf("real server: ran %v, %v", ran, err)
	}
	ran = nil
	if err := New(&out, 4).Run(true, all); err != nil || strings.Join(ran, ",") != "a,b,c" {
		t.Fatalf("fake: ran %v, %v", ran, err)
	}
}
