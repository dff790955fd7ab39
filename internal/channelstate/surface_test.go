package channelstate_test

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scrmkit/scrm/acquisition"
	"github.com/scrmkit/scrm/contact"
	"github.com/scrmkit/scrm/groupchat"
	"github.com/scrmkit/scrm/internal/channelstate"
)

// area is one of the three channel helpers, as its users see it.
type area struct {
	pkg      string
	channels reflect.Type // *Channels
	channel  reflect.Type // Channel
	record   reflect.Type // ChannelCode or ChannelLink
	template reflect.Type // ChannelTemplate
	// extras are the methods only this area has, documented as such.
	extras []string
}

var areas = []area{
	{"contact", reflect.TypeFor[*contact.Channels](), reflect.TypeFor[contact.Channel](),
		reflect.TypeFor[contact.ChannelCode](), reflect.TypeFor[contact.ChannelTemplate](),
		[]string{"HandleEvent", "OnCustomer", "Register"}},
	{"groupchat", reflect.TypeFor[*groupchat.Channels](), reflect.TypeFor[groupchat.Channel](),
		reflect.TypeFor[groupchat.ChannelCode](), reflect.TypeFor[groupchat.ChannelTemplate](),
		[]string{"HandleEvent", "Joins", "OnJoin", "Register", "Tracker"}},
	{"acquisition", reflect.TypeFor[*acquisition.Channels](), reflect.TypeFor[acquisition.Channel](),
		reflect.TypeFor[acquisition.ChannelLink](), reflect.TypeFor[acquisition.ChannelTemplate](),
		[]string{"Customers", "LookupLink"}},
}

// shared returns the methods of a's Channels that are not its extras, each
// with its signature in which the area's own types read D (the channel)
// and R (the record).
func (a area) shared() map[string]string {
	out := map[string]string{}
	for i := range a.channels.NumMethod() {
		m := a.channels.Method(i)
		if slices.Contains(a.extras, m.Name) {
			continue
		}
		sig := strings.Replace(m.Type.String(), "func("+a.channels.String()+", ", "func(", 1)
		sig = strings.ReplaceAll(sig, a.record.String(), "R")
		sig = strings.ReplaceAll(sig, a.channel.String(), "D")
		out[m.Name] = sig
	}
	return out
}

// The three Channels have one API: the same verbs with the same
// signatures, apart from the extras each area documents.
func TestTheThreeChannelsShareOneAPI(t *testing.T) {
	t.Parallel()
	want := areas[0].shared()
	assert.Equal(t, map[string]string{
		"Ensure":      "func(context.Context, D) (*R, error)",
		"Update":      "func(context.Context, D) (*R, error)",
		"Lookup":      "func(context.Context, string) (*R, bool, error)",
		"LookupState": "func(context.Context, string) (*R, bool, error)",
		"List":        "func(context.Context) ([]*R, error)",
		"Retire":      "func(context.Context, string) error",
		"Resolve":     "func(context.Context, string) (string, bool, error)",
	}, want)
	for _, a := range areas {
		assert.Equal(t, want, a.shared(), a.pkg)
		for _, x := range a.extras {
			_, ok := a.channels.MethodByName(x)
			assert.True(t, ok, "%s.Channels.%s is listed as an extra but does not exist", a.pkg, x)
		}

		// The record embeds the Channel, whose Name is the "channel" of the
		// stored JSON; the templates share their naming fields.
		require.Positive(t, a.record.NumField(), a.pkg)
		assert.True(t, a.record.Field(0).Anonymous && a.record.Field(0).Type == a.channel, "%s: %s embeds Channel first", a.pkg, a.record)
		name, ok := a.channel.FieldByName("Name")
		require.True(t, ok, a.pkg)
		assert.Equal(t, "channel", name.Tag.Get("json"), a.pkg)
		state, ok := a.record.FieldByName("State")
		require.True(t, ok, a.pkg)
		assert.Equal(t, reflect.TypeFor[string](), state.Type)
		for _, f := range []string{"StatePrefix", "Namespace"} {
			field, ok := a.template.FieldByName(f)
			require.True(t, ok, "%s.ChannelTemplate.%s", a.pkg, f)
			assert.Equal(t, reflect.TypeFor[string](), field.Type)
		}
	}
	assert.Equal(t, []int{channelstate.MaxStatePrefix, channelstate.MaxStatePrefix, channelstate.MaxStatePrefix},
		[]int{contact.MaxChannelStatePrefix, groupchat.MaxChannelStatePrefix, acquisition.MaxChannelStatePrefix})
	for _, err := range []error{contact.ErrNoChannel, groupchat.ErrNoChannel, acquisition.ErrNoChannel} {
		assert.Regexp(t, `^(contact|groupchat|acquisition): no (code|link) for this channel$`, err.Error())
	}
}
