package api

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestCheck(t *testing.T) {
	sentinel := errors.New("pkg: invalid argument")
	k := Check{Pkg: "pkg", Sentinel: sentinel}
	err := FirstErr(nil, k.Required("Name", ""), k.MaxChars("Name", "长长长", 2))
	assert.ErrorIs(t, err, sentinel)
	assert.EqualError(t, err, "pkg: Name is required")
	assert.EqualError(t, k.MaxChars("Name", "长长长", 2), "pkg: Name is 3 characters long; WeCom allows at most 2")
	assert.EqualError(t, k.MaxBytes("Name", "长", 2), "pkg: Name is 3 bytes long; WeCom allows at most 2")
	assert.EqualError(t, MaxItems(k, "IDs", []int{1, 2, 3}, 2), "pkg: IDs has 3 items; WeCom allows at most 2 per call")
	assert.NoError(t, FirstErr(k.Required("Name", "x"), MaxItems(k, "IDs", []int{1}, 2)))
	assert.False(t, errors.Is(err, errors.New("pkg: invalid argument")), "only the package's own sentinel matches")
	for v, err := range ErrSeq[int](sentinel) {
		assert.Zero(t, v)
		assert.Equal(t, sentinel, err)
	}
}
