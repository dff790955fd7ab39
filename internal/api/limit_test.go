package api

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestPageLimit(t *testing.T) {
	t.Parallel()
	sentinel := errors.New("pkg: invalid argument")
	k := Check{Pkg: "pkg", Sentinel: sentinel}
	for _, v := range []int{0, 1, 500, 1000} {
		assert.NoError(t, PageLimit(k, "Limit", v, 1000), "v=%d", v)
	}
	for _, v := range []int{-1, 1001} {
		err := PageLimit(k, "Limit", v, 1000)
		assert.ErrorIs(t, err, sentinel, "v=%d", v)
	}
	assert.EqualError(t, PageLimit(k, "PageSize", 5000, 1000), "pkg: PageSize is 5000; WeCom allows 1 to 1000 (0 for its default)")
	assert.EqualError(t, PageLimit(k, "Limit", -1, 100), "pkg: Limit is -1; WeCom allows 1 to 100 (0 for its default)")
}
