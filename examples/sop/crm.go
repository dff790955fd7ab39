package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/scrmkit/scrm/appmsg"
	"github.com/scrmkit/scrm/callback"
	"github.com/scrmkit/scrm/contact"
	"github.com/scrmkit/scrm/groupchat"
)

// This file is the vendor's side: its CRM records (who owns a customer,
// what they bought, their service tickets), the layer each record puts a
// customer in, and the pool (公海) of customers no member follows any more.

// purchase is what the vendor's systems know of a customer: sales (spend),
// transactions (orders, days since the last one; -1 for never) and service
// (open tickets).
type purchase struct {
	spend, orders, lastOrder, tickets int
}

// vendorData is the data of the customers in the order they arrive.
var vendorData = []purchase{
	{8800, 6, 3, 0}, {1200, 2, 10, 0}, {0, 0, -1, 0}, {6400, 5, 20, 1},
	{300, 1, 5, 0}, {0, 0, -1, 0}, {5200, 3, 40, 0}, {900, 1, 12, 0},
	{150, 1, 90, 0}, {0, 0, -1, 2}, {7300, 7, 2, 0}, {0, 0, -1, 0},
}

// layerOf is the layering rule: service first (a customer with an open
// ticket gets no promotion), then sales, then transactions.
func layerOf(p purchase) string {
	switch {
	case p.tickets > 0:
		return layerService
	case p.spend >= 5000:
		return layerVIP
	case p.lastOrder >= 0 && p.lastOrder <= 30:
		return layerActive
	}
	return layerDormant
}

// customer is one CRM record.
type customer struct {
	index   int
	id      string // external_userid
	channel string
	owner   string // the member responsible in the CRM
	data    purchase
	layer   string
}

// poolEntry is a customer in the pool, and why.
type poolEntry struct {
	id, from, why string
	resigned      bool // a resigned member's customer: WeCom hands it over
}

// crm is the vendor's CRM, in memory.
type crm struct {
	mu        sync.Mutex
	customers []*customer
	byID      map[string]*customer
	pool      []poolEntry
	// reassigned records the pool's decisions: customer → new owner.
	reassigned map[string]string
	notified   map[string]string // customer → member notified to win them back
}

func newCRM() *crm {
	return &crm{byID: map[string]*customer{}, reassigned: map[string]string{}, notified: map[string]string{}}
}

// arrived records a customer who scanned a code, with the vendor's data
// for them.
func (c *crm) arrived(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cu := c.byID[id]
	if cu == nil {
		cu = &customer{id: id}
		c.byID[id] = cu
	}
	cu.index = len(c.customers)
	cu.data = vendorData[cu.index%len(vendorData)]
	cu.layer = layerOf(cu.data)
	c.customers = append(c.customers, cu)
}

// added is contact.Channels telling who came through which channel and
// whom they added: the first member a customer adds owns them.
func (c *crm) added(id, userID, channel string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cu := c.byID[id]
	if cu == nil {
		cu = &customer{id: id}
		c.byID[id] = cu
	}
	if cu.owner == "" {
		cu.owner, cu.channel = userID, channel
	}
}

func (c *crm) byIndex(i int) *customer {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.customers[i]
}

func (c *crm) all() []*customer {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.customers)
}

// load counts the customers each member owns.
func (c *crm) load() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := map[string]int{}
	for _, cu := range c.customers {
		n[cu.owner]++
	}
	return n
}

// owners describes who owns how many customers.
func (c *crm) owners() string {
	n := c.load()
	var parts []string
	for _, u := range sales {
		parts = append(parts, fmt.Sprintf("%s %d", u, n[u]))
	}
	return "owners: " + strings.Join(parts, ", ")
}

func (c *crm) toPool(e poolEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, p := range c.pool {
		if p.id == e.id {
			return
		}
	}
	c.pool = append(c.pool, e)
}

func (c *crm) takePool() []poolEntry {
	c.mu.Lock()
	defer c.mu.Unlock()
	p := c.pool
	c.pool = nil
	return p
}

func (c *crm) setOwner(id, owner string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if cu := c.byID[id]; cu != nil {
		cu.owner = owner
	}
}

// churned handles del_follow_user (the customer deleted the member) and
// del_external_contact (the member deleted the customer). The customer
// stays with the CRM owner's colleague who still follows them; when no
// member does, the customer goes to the pool.
func (f *flow) churned(ctx context.Context, ev *callback.ExternalContactEvent) error {
	d, err := f.contacts.Get(ctx, &contact.GetRequest{ExternalUserID: ev.ExternalUserID})
	if err != nil && !contact.IsNotFound(err) {
		return err // answered 500: WeCom sends the event again
	}
	var left []string
	if d != nil {
		for _, fu := range d.FollowUser {
			left = append(left, fu.UserID)
		}
	}
	why := "deleted by " + ev.UserID
	if ev.ChangeType == callback.ChangeDelFollowUser {
		why = "deleted " + ev.UserID
	}
	f.log.add("%s %s", short(ev.ExternalUserID), why)
	if len(left) == 0 {
		f.crm.toPool(poolEntry{id: ev.ExternalUserID, from: ev.UserID, why: why})
		return nil
	}
	f.crm.mu.Lock()
	cu := f.crm.byID[ev.ExternalUserID]
	if cu != nil && cu.owner == ev.UserID {
		cu.owner = left[0]
	}
	f.crm.mu.Unlock()
	return nil
}

// sweepPool fills the pool with the customers of resigned members
// (get_unassigned_list) and reassigns every pooled customer: to the
// active member with the best SOP completion, then the fewest customers. A
// resigned member's customers and groups are handed over in WeCom
// (resigned transfer, group inheritance); a customer who deleted their
// member cannot be, so the new owner is asked by application message to
// win them back.
func (f *flow) sweepPool() error {
	for u, err := range f.contacts.ListUnassignedIter(f.ctx, nil) {
		if err != nil {
			return err
		}
		f.crm.toPool(poolEntry{id: u.ExternalUserID, from: u.HandoverUserID, why: u.HandoverUserID + " resigned", resigned: true})
	}
	pool := f.crm.takePool()
	if len(pool) == 0 {
		return nil
	}
	active, err := f.contacts.ListFollowUsers(f.ctx)
	if err != nil {
		return err
	}
	rate, err := f.completionRates()
	if err != nil {
		return err
	}
	load := f.crm.load()
	pick := func(not string) string {
		best := slices.DeleteFunc(slices.Clone(active), func(u string) bool { return u == not })
		slices.SortStableFunc(best, func(a, b string) int {
			if ra, rb := rate[a], rate[b]; ra != rb {
				if ra > rb {
					return -1
				}
				return 1
			}
			return load[a] - load[b]
		})
		load[best[0]]++
		return best[0]
	}
	handover := map[[2]string][]string{} // (from, to) → customers
	resignedFrom := map[string]string{}  // resigned member → a takeover for their groups
	var notes []string
	for _, e := range pool {
		to := pick(e.from) // not the member the customer left
		f.crm.setOwner(e.id, to)
		f.crm.mu.Lock()
		f.crm.reassigned[e.id] = to
		f.crm.mu.Unlock()
		notes = append(notes, fmt.Sprintf("%s→%s", short(e.id), to))
		if e.resigned {
			handover[[2]string{e.from, to}] = append(handover[[2]string{e.from, to}], e.id)
			if resignedFrom[e.from] == "" {
				resignedFrom[e.from] = to
			}
			continue
		}
		text := fmt.Sprintf("公海客户 %s 分配给你（%s）：请通过 CRM 中的电话回访，重新添加为客户。", e.id, e.why)
		if _, err := f.notifier.Notify(f.ctx, to, appmsg.Text{Content: text}); err != nil {
			return err
		}
		f.crm.mu.Lock()
		f.crm.notified[e.id] = to
		f.crm.mu.Unlock()
	}
	for k, ids := range handover {
		res, err := f.contacts.ResignedTransferCustomerMany(f.ctx, &contact.ResignedTransferCustomerRequest{
			HandoverUserID: k[0], TakeoverUserID: k[1], ExternalUserID: ids}, 4)
		if err != nil {
			return err
		}
		for _, r := range res {
			if r.Err != nil {
				return fmt.Errorf("resigned transfer of %s to %s: %w", r.Item, k[1], r.Err)
			}
		}
	}
	groups := 0
	for from, to := range resignedFrom {
		n, err := f.inheritGroups(from, to)
		if err != nil {
			return err
		}
		groups += n
	}
	slices.Sort(notes)
	f.log.add("pool: %s", strings.Join(notes, ", "))
	if groups > 0 {
		f.log.add("%d group(s) inherited", groups)
	}
	return nil
}

// inheritGroups hands the groups of resigned member from to member to.
func (f *flow) inheritGroups(from, to string) (int, error) {
	var chats []string
	for ref, err := range f.groups.ListIter(f.ctx, &groupchat.ListRequest{StatusFilter: groupchat.StatusOwnerResigned,
		OwnerFilter: &groupchat.OwnerFilter{UserIDList: []string{from}}}) {
		if err != nil {
			return 0, err
		}
		chats = append(chats, ref.ChatID)
	}
	if len(chats) == 0 {
		return 0, nil
	}
	failed, err := f.groups.Transfer(f.ctx, &groupchat.TransferRequest{ChatIDList: chats, NewOwner: to})
	if err != nil {
		return 0, err
	}
	if len(failed) > 0 {
		return 0, fmt.Errorf("group inheritance failed for %d group(s): %+v", len(failed), failed)
	}
	return len(chats), nil
}

func short(id string) string {
	if len(id) > 8 {
		return id[:8] + "…"
	}
	return id
}
