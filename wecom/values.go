package wecom

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// This file holds the small value types that WeCom's answers and requests
// share across API areas.

// UnixTime is a Unix time in seconds that WeCom sends either as a number or
// as a string of digits (media/upload sends "1380000000").
type UnixTime int64

// UnmarshalJSON accepts 1380000000 and "1380000000".
func (t *UnixTime) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	if s == "" || s == "null" {
		*t = 0
		return nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return fmt.Errorf("wecom: bad unix time %s", b)
	}
	*t = UnixTime(n)
	return nil
}

// Time returns t as a time.Time (the zero Time for 0).
func (t UnixTime) Time() time.Time {
	if t == 0 {
		return time.Time{}
	}
	return time.Unix(int64(t), 0)
}

// Ptr returns a pointer to a new variable holding v, for request fields
// where nil means "leave WeCom's default" and a zero value must still be
// sent: wecom.Ptr(false), wecom.Ptr(uint32(0)).
func Ptr[T any](v T) *T { return &v }

// RangeType says whether a RangeNode is a member or a department.
type RangeType int

const (
	RangeUser  RangeType = 1 // a member (RangeNode.UserID)
	RangeParty RangeType = 2 // a department (RangeNode.PartyID)
)

// RangeNode is one member or department of the range a rule group (客户联系
// and Moments rule groups) manages: WeCom's {"type", "userid", "partyid"}
// node. Build one with UserNode or PartyNode.
type RangeNode struct {
	Type    RangeType `json:"type"`
	UserID  string    `json:"userid,omitempty"`  // RangeUser only
	PartyID int       `json:"partyid,omitempty"` // RangeParty only
}

// UserNode is the range node of member userID.
func UserNode(userID string) RangeNode { return RangeNode{Type: RangeUser, UserID: userID} }

// PartyNode is the range node of department partyID.
func PartyNode(partyID int) RangeNode { return RangeNode{Type: RangeParty, PartyID: partyID} }
