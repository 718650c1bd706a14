package store

import (
	"fmt"

	"gorm.io/gorm"
)

// object is one row of the objects table: the current state of one key.
type object struct {
	ID              int64  `gorm:"column:id;primaryKey"`
	Resource        string `gorm:"column:resource;not null;uniqueIndex:objects_key,priority:1"`
	Namespace       string `gorm:"column:namespace;not null;uniqueIndex:objects_key,priority:2"`
	Name            string `gorm:"column:name;not null;uniqueIndex:objects_key,priority:3"`
	UID             string `gorm:"column:uid;not null"`
	ResourceVersion int64  `gorm:"column:resource_version;not null"`
	Value           []byte `gorm:"column:value;not null"`
}

func (object) TableName() string { return "objects" }

// change is one row of the change log. The record's resource version is the
// change's revision, so it is not stored twice. PrevRevision (0 for ADDED)
// is the revision of the object the change replaced, and PrevValue, for
// MODIFIED only, its value (a DELETED change's value is already the object
// it removed): with them a list can be read as of an older revision
// (history.go).
type change struct {
	Revision  int64  `gorm:"column:revision;primaryKey;autoIncrement:false"`
	Type      string `gorm:"column:type;not null"`
	Resource  string `gorm:"column:resource;not null"`
	Namespace string `gorm:"column:namespace;not null"`
	Name      string `gorm:"column:name;not null"`
	UID       string `gorm:"column:uid;not null"`
	Value     []byte `gorm:"column:value;not null"`
	// Rows written before these columns existed have PrevRevision 0, which
	// history.go reads as "unknown": such a change is treated as compacted.
	PrevRevision int64  `gorm:"column:prev_revision;not null;default:0"`
	PrevValue    []byte `gorm:"column:prev_value"`
}

func (change) TableName() string { return "changes" }

// counter is the one row (id 1) of the revision table: the newest committed
// revision and the revision the change log is compacted to.
type counter struct {
	ID           int64 `gorm:"column:id;primaryKey;autoIncrement:false"`
	CurrentRev   int64 `gorm:"column:current_rev;not null"`
	CompactedRev int64 `gorm:"column:compacted_rev;not null"`
}

func (counter) TableName() string { return "revision" }

// migrateLockID keys the Postgres advisory lock that serialises migration
// between API servers starting at once on one database.
const migrateLockID = 0x6d696e696b3873 // "minik8s"

// migrate creates or updates the tables and the counter row. On Postgres
// it holds an advisory lock on one pinned connection, so that several API
// servers starting together do not race to create the same tables.
func migrate(db *gorm.DB) error {
	if db.Dialector.Name() != "postgres" {
		return migrateTables(db)
	}
	return db.Connection(func(conn *gorm.DB) error {
		if err := conn.Exec("SELECT pg_advisory_lock(?)", migrateLockID).Error; err != nil {
			return fmt.Errorf("lock for migration: %w", err)
		}
		defer conn.Exec("SELECT pg_advisory_unlock(?)", migrateLockID)
		return migrateTables(conn)
	})
}

func migrateTables(db *gorm.DB) error {
	if err := db.AutoMigrate(&object{}, &change{}, &counter{}); err != nil {
		return fmt.Errorf("migrate tables: %w", err)
	}
	if db.Dialector.Name() == "postgres" {
		// Lists page in byte order (etcd's key order, which continue tokens
		// follow): an index in that order lets a page read only its rows
		// whatever the database's collation.
		err := db.Exec(`CREATE INDEX IF NOT EXISTS objects_key_bytes
			ON objects (resource, namespace COLLATE "C", name COLLATE "C")`).Error
		if err != nil {
			return fmt.Errorf("create index: %w", err)
		}
	}
	err := db.Exec(`INSERT INTO revision (id, current_rev, compacted_rev) VALUES (1, 0, 0) ON CONFLICT DO NOTHING`).Error
	if err != nil {
		return fmt.Errorf("create revision row: %w", err)
	}
	return nil
}
