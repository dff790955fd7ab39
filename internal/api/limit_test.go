package api

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestClampLimit(t *testing.T) {
	t.Parallel()
	sentinel := errors.New("pkg: invalid argument")
	k := Check{Pkg: "pkg", Sentinel: sentinel}
	for v, want := range map[int]int{0: 0, 1: 1, 500: 500, 1000: 1000, 1001: 1000, 5000: 1000} {
		got, err := ClampLimit(k, "Limit", v, 1000)
		require.NoError(t, err, "v=%d", v)
		assert.Equal(t, want, got, "v=%d", v)
	}
	_, err := ClampLimit(k, "PageSize", -1, 1000)
	assert.ErrorIs(t, err, sentinel)
	assert.EqualError(t, err, "pkg: PageSize is -1; want 0 (WeCom's default) or more")
}
