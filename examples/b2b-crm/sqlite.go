package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	_ "modernc.org/sqlite" // the "sqlite" database/sql driver, pure Go: no cgo, no C toolchain

	"github.com/scrmkit/scrm/churn"
	"github.com/scrmkit/scrm/mirror"
)

// crmDB is the CRM's database: SQLite in one file. It is the mirror.Sink
// (relations, groups, the reconcile's checkpoint) and keeps the CRM's own
// tables beside them (churn records).
type crmDB struct {
	db *sql.DB
}

const schema = `
CREATE TABLE IF NOT EXISTS relations (
	user_id         TEXT NOT NULL,
	external_userid TEXT NOT NULL,
	name            TEXT NOT NULL,
	type            INTEGER NOT NULL,
	corp_name       TEXT NOT NULL,
	unionid         TEXT NOT NULL,
	remark          TEXT NOT NULL,
	description     TEXT NOT NULL,
	tag_ids         TEXT NOT NULL, -- JSON array
	state           TEXT NOT NULL,
	add_way         INTEGER NOT NULL,
	added_at        INTEGER NOT NULL, -- unix seconds
	observed_at     INTEGER NOT NULL, -- unix nanoseconds
	generation      INTEGER NOT NULL,
	PRIMARY KEY (user_id, external_userid)
);
CREATE TABLE IF NOT EXISTS relation_deletions (
	user_id         TEXT NOT NULL,
	external_userid TEXT NOT NULL,
	reason          TEXT NOT NULL,
	deleted_at      INTEGER NOT NULL,
	PRIMARY KEY (user_id, external_userid)
);
CREATE TABLE IF NOT EXISTS groups (
	chat_id     TEXT PRIMARY KEY,
	name        TEXT NOT NULL,
	owner       TEXT NOT NULL,
	notice      TEXT NOT NULL,
	create_time INTEGER NOT NULL,
	admins      TEXT NOT NULL, -- JSON array
	members     TEXT NOT NULL, -- JSON array of groupchat.Member
	observed_at INTEGER NOT NULL,
	generation  INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS checkpoint (
	id    INTEGER PRIMARY KEY CHECK (id = 1),
	value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS churn (
	id              TEXT PRIMARY KEY,
	external_userid TEXT NOT NULL,
	name            TEXT NOT NULL,
	user_id         TEXT NOT NULL,
	deleted_by      TEXT NOT NULL,
	at              INTEGER NOT NULL,
	channel         TEXT NOT NULL,
	tags            TEXT NOT NULL, -- JSON array of "group/name"
	source          TEXT NOT NULL
);
`

// openCRM opens (creating) the database at path.
func openCRM(ctx context.Context, path string) (*crmDB, error) {
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)")
	if err != nil {
		return nil, err
	}
	// One connection: SQLite has one writer at a time, and the callback
	// Handler's functions write concurrently.
	db.SetMaxOpenConns(1)
	if _, err := db.ExecContext(ctx, schema); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("create the schema: %w", err)
	}
	return &crmDB{db: db}, nil
}

func (c *crmDB) Close() error { return c.db.Close() }

var _ mirror.Sink = (*crmDB)(nil)

// UpsertRelation stores r unless the row holds a later observation, whose
// generation it then raises (mirror.Sink's rule).
func (c *crmDB) UpsertRelation(ctx context.Context, r *mirror.Relation) error {
	tags, err := json.Marshal(nonNil(r.TagIDs))
	if err != nil {
		return err
	}
	tx, err := c.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	if _, err := tx.ExecContext(ctx, `
INSERT INTO relations (user_id, external_userid, name, type, corp_name, unionid, remark, description, tag_ids, state, add_way, added_at, observed_at, generation)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (user_id, external_userid) DO UPDATE SET
	name = excluded.name, type = excluded.type, corp_name = excluded.corp_name, unionid = excluded.unionid,
	remark = excluded.remark, description = excluded.description, tag_ids = excluded.tag_ids, state = excluded.state,
	add_way = excluded.add_way, added_at = excluded.added_at, observed_at = excluded.observed_at,
	generation = max(relations.generation, excluded.generation)
WHERE excluded.observed_at >= relations.observed_at`,
		r.UserID, r.ExternalUserID, r.Name, int(r.Type), r.CorpName, r.UnionID, r.Remark, r.Description, string(tags), r.State,
		int(r.AddWay), r.AddedAt.Unix(), r.ObservedAt.UnixNano(), r.Generation); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE relations SET generation = max(generation, ?) WHERE user_id = ? AND external_userid = ?`,
		r.Generation, r.UserID, r.ExternalUserID); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM relation_deletions WHERE user_id = ? AND external_userid = ?`, r.UserID, r.ExternalUserID); err != nil {
		return err
	}
	return tx.Commit()
}

// DeleteRelation removes the relation and keeps why.
func (c *crmDB) DeleteRelation(ctx context.Context, userID, externalUserID string, reason mirror.DeleteReason) error {
	tx, err := c.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	if _, err := tx.ExecContext(ctx, `DELETE FROM relations WHERE user_id = ? AND external_userid = ?`, userID, externalUserID); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO relation_deletions (user_id, external_userid, reason, deleted_at) VALUES (?, ?, ?, ?)`,
		userID, externalUserID, string(reason), time.Now().Unix()); err != nil {
		return err
	}
	return tx.Commit()
}

// UpsertGroup stores g on the same rule as UpsertRelation.
func (c *crmDB) UpsertGroup(ctx context.Context, g *mirror.Group) error {
	admins, err := json.Marshal(nonNil(g.Admins))
	if err != nil {
		return err
	}
	members, err := json.Marshal(nonNil(g.Members))
	if err != nil {
		return err
	}
	tx, err := c.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	if _, err := tx.ExecContext(ctx, `
INSERT INTO groups (chat_id, name, owner, notice, create_time, admins, members, observed_at, generation)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (chat_id) DO UPDATE SET
	name = excluded.name, owner = excluded.owner, notice = excluded.notice, create_time = excluded.create_time,
	admins = excluded.admins, members = excluded.members, observed_at = excluded.observed_at,
	generation = max(groups.generation, excluded.generation)
WHERE excluded.observed_at >= groups.observed_at`,
		g.ChatID, g.Name, g.Owner, g.Notice, g.CreateTime.Unix(), string(admins), string(members), g.ObservedAt.UnixNano(), g.Generation); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE groups SET generation = max(generation, ?) WHERE chat_id = ?`, g.Generation, g.ChatID); err != nil {
		return err
	}
	return tx.Commit()
}

// DeleteGroup removes the group.
func (c *crmDB) DeleteGroup(ctx context.Context, chatID string) error {
	_, err := c.db.ExecContext(ctx, `DELETE FROM groups WHERE chat_id = ?`, chatID)
	return err
}

// SweepRelations removes what a complete reconcile did not see.
func (c *crmDB) SweepRelations(ctx context.Context, gen int64, since time.Time, keep []string) (int, error) {
	keepJSON, err := json.Marshal(nonNil(keep))
	if err != nil {
		return 0, err
	}
	tx, err := c.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer func() { _ = tx.Rollback() }()
	const stale = `generation < ? AND observed_at < ? AND user_id NOT IN (SELECT value FROM json_each(?))`
	if _, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO relation_deletions (user_id, external_userid, reason, deleted_at)
SELECT user_id, external_userid, ?, ? FROM relations WHERE `+stale,
		string(mirror.ReasonReconciled), time.Now().Unix(), gen, since.UnixNano(), string(keepJSON)); err != nil {
		return 0, err
	}
	res, err := tx.ExecContext(ctx, `DELETE FROM relations WHERE `+stale, gen, since.UnixNano(), string(keepJSON))
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, err
	}
	return int(n), tx.Commit()
}

// UnseenGroups lists the groups a complete reconcile did not see.
func (c *crmDB) UnseenGroups(ctx context.Context, gen int64, since time.Time) ([]string, error) {
	rows, err := c.db.QueryContext(ctx, `SELECT chat_id FROM groups WHERE generation < ? AND observed_at < ?`, gen, since.UnixNano())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// SaveCheckpoint keeps the reconcile's position.
func (c *crmDB) SaveCheckpoint(ctx context.Context, cp *mirror.Checkpoint) error {
	b, err := json.Marshal(cp)
	if err != nil {
		return err
	}
	_, err = c.db.ExecContext(ctx, `INSERT OR REPLACE INTO checkpoint (id, value) VALUES (1, ?)`, string(b))
	return err
}

// LoadCheckpoint returns the last position, nil when none.
func (c *crmDB) LoadCheckpoint(ctx context.Context) (*mirror.Checkpoint, error) {
	var raw string
	err := c.db.QueryRowContext(ctx, `SELECT value FROM checkpoint WHERE id = 1`).Scan(&raw)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var cp mirror.Checkpoint
	if err := json.Unmarshal([]byte(raw), &cp); err != nil {
		return nil, err
	}
	return &cp, nil
}

// relation reads one relation row: its tag ids and generation.
func (c *crmDB) relation(ctx context.Context, userID, externalUserID string) (tags []string, gen int64, ok bool, err error) {
	var raw string
	err = c.db.QueryRowContext(ctx, `SELECT tag_ids, generation FROM relations WHERE user_id = ? AND external_userid = ?`,
		userID, externalUserID).Scan(&raw, &gen)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, 0, false, nil
	}
	if err != nil {
		return nil, 0, false, err
	}
	return tags, gen, true, json.Unmarshal([]byte(raw), &tags)
}

// deletion reads why a relation left, "" when it did not.
func (c *crmDB) deletion(ctx context.Context, userID, externalUserID string) (string, error) {
	var reason string
	err := c.db.QueryRowContext(ctx, `SELECT reason FROM relation_deletions WHERE user_id = ? AND external_userid = ?`,
		userID, externalUserID).Scan(&reason)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return reason, err
}

// relations lists every relation row as "user/customer".
func (c *crmDB) relations(ctx context.Context) (map[string]bool, error) {
	rows, err := c.db.QueryContext(ctx, `SELECT user_id, external_userid FROM relations`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var u, e string
		if err := rows.Scan(&u, &e); err != nil {
			return nil, err
		}
		out[u+"/"+e] = true
	}
	return out, rows.Err()
}

// groupOwner reads a group's owner, "" when the group is not held.
func (c *crmDB) groupOwner(ctx context.Context, chatID string) (string, error) {
	var owner string
	err := c.db.QueryRowContext(ctx, `SELECT owner FROM groups WHERE chat_id = ?`, chatID).Scan(&owner)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return owner, err
}

func (c *crmDB) count(ctx context.Context, table string) (int, error) {
	var n int
	err := c.db.QueryRowContext(ctx, `SELECT count(*) FROM `+table).Scan(&n)
	return n, err
}

// saveChurn keeps a churn record once (its ID is the same for every
// delivery of one event).
func (c *crmDB) saveChurn(ctx context.Context, r *churn.Record) error {
	var tags []string
	for _, t := range r.Tags {
		tags = append(tags, t.GroupName+"/"+t.TagName)
	}
	b, err := json.Marshal(nonNil(tags))
	if err != nil {
		return err
	}
	_, err = c.db.ExecContext(ctx, `INSERT OR IGNORE INTO churn (id, external_userid, name, user_id, deleted_by, at, channel, tags, source)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, r.ID, r.ExternalUserID, r.Name, r.UserID, string(r.DeletedBy), r.At.Unix(), r.Channel, string(b), string(r.Source))
	return err
}

// churnRow reads the churn of a customer: who deleted, the channel and
// the tags.
func (c *crmDB) churnRow(ctx context.Context, externalUserID string) (by, channel, tags string, err error) {
	err = c.db.QueryRowContext(ctx, `SELECT deleted_by, channel, tags FROM churn WHERE external_userid = ?`, externalUserID).Scan(&by, &channel, &tags)
	return by, channel, tags, err
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
