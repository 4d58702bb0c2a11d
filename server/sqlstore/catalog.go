package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/galley-dev/galley/server"
)

// The shared dataset catalog's registry: which versions each dataset has,
// what they hold and the object-store key of each one's Parquet file
// (tables catalog_datasets and catalog_versions). The files themselves are
// the object store's business (package datasets); the store only gives out
// version numbers, one at a time per dataset under the dataset's row lock,
// so that processes on several machines never give out one number twice.

func datasetNotFound(name string) error {
	return server.Errorf(server.ENOTFOUND, "dataset %s not found: list datasets with 'galley dataset list' or import one with 'galley dataset import FILE --name %s'", name, name)
}

// AddCatalogVersion registers o, whose Parquet file is already in the
// object store, as the next version of its dataset (or in place of version
// o.Replaces), creating the dataset on its first version.
func (db *Store) AddCatalogVersion(ctx context.Context, o *server.DatasetObject) (*server.DatasetVersion, error) {
	var v *server.DatasetVersion
	err := db.tx(ctx, func(tx conn) error {
		var err error
		v, err = db.putCatalogVersion(ctx, tx, o, 0)
		return err
	})
	if err != nil {
		if server.ErrorCode(err) != server.EINTERNAL {
			return nil, err
		}
		return nil, db.errorf("registering a version of dataset %s: %w", o.Name, err)
	}
	return v, nil
}

// putCatalogVersion registers o inside tx; runID, when not 0, is the
// scoring run that wrote it.
func (db *Store) putCatalogVersion(ctx context.Context, tx conn, o *server.DatasetObject, runID int64) (*server.DatasetVersion, error) {
	if err := server.CheckName("dataset", o.Name); err != nil {
		return nil, err
	}
	if o.Object == "" {
		return nil, fmt.Errorf("dataset %s: a version needs its object", o.Name)
	}
	now := db.now()
	if _, err := tx.ExecContext(ctx, `INSERT INTO catalog_datasets (name, created_at, updated_at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING`,
		o.Name, FormatTime(now), FormatTime(now)); err != nil {
		return nil, err
	}
	// The row lock makes writers of one dataset take numbers in turn.
	var id int64
	var next int
	if err := tx.QueryRowContext(ctx, `SELECT id, next_version FROM catalog_datasets WHERE name = ?`+db.d.ForUpdate, o.Name).Scan(&id, &next); err != nil {
		if err == sql.ErrNoRows {
			return nil, server.Errorf(server.ECONFLICT, "dataset %s was deleted while a version was being added: add it again", o.Name)
		}
		return nil, err
	}
	cols, _ := json.Marshal(o.Columns)
	if o.Columns == nil {
		cols = []byte("[]")
	}
	var lin, run any
	if o.Lineage != nil {
		b, _ := json.Marshal(o.Lineage)
		lin = string(b)
	}
	if runID != 0 {
		run = runID
	}
	version := o.Replaces
	if version > 0 {
		res, err := tx.ExecContext(ctx, `UPDATE catalog_versions SET rows = ?, columns = ?, bytes = ?, object = ?, source = ?, lineage = ?, run_id = ?, created_at = ?
			WHERE dataset_id = ? AND version = ?`, o.Rows, string(cols), o.Bytes, o.Object, o.Source, lin, run, FormatTime(now), id, version)
		if err != nil {
			return nil, err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil, server.Errorf(server.ENOTFOUND, "dataset %s has no version %d to replace", o.Name, version)
		}
	} else {
		version = next
		// A dataset deleted and made again starts its life anew, but not
		// its numbering.
		if _, err := tx.ExecContext(ctx, `UPDATE catalog_datasets SET next_version = ?,
			created_at = CASE WHEN EXISTS (SELECT 1 FROM catalog_versions WHERE dataset_id = ?) THEN created_at ELSE ? END WHERE id = ?`,
			next+1, id, FormatTime(now), id); err != nil {
			return nil, err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO catalog_versions (dataset_id, version, rows, columns, bytes, object, source, lineage, run_id, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, id, version, o.Rows, string(cols), o.Bytes, o.Object, o.Source, lin, run, FormatTime(now)); err != nil {
			if db.isUnique(err) && runID != 0 {
				return nil, server.Errorf(server.ECONFLICT, "run %d already registered its output", runID)
			}
			return nil, err
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE catalog_datasets SET updated_at = ? WHERE id = ?`, FormatTime(now), id); err != nil {
		return nil, err
	}
	return &server.DatasetVersion{Name: o.Name, Version: version, Rows: o.Rows, Columns: append([]string{}, o.Columns...), Format: "parquet",
		Bytes: o.Bytes, Lineage: o.Lineage, CreatedAt: now, Object: o.Object}, nil
}

const catalogDatasetSelect = `SELECT d.name, d.created_at, d.updated_at, coalesce((SELECT max(version) FROM catalog_versions WHERE dataset_id = d.id), 0) FROM catalog_datasets d`

func scanCatalogDataset(s scanner) (*server.Dataset, error) {
	var d server.Dataset
	var c, u string
	if err := s.Scan(&d.Name, &c, &u, &d.LatestVersion); err != nil {
		return nil, err
	}
	d.CreatedAt, d.UpdatedAt = ParseTime(c), ParseTime(u)
	return &d, nil
}

// FindCatalogDataset returns the shared catalog's dataset name; ENOTFOUND
// when it has no version.
func (db *Store) FindCatalogDataset(ctx context.Context, name string) (*server.Dataset, error) {
	d, err := scanCatalogDataset(db.db.QueryRowContext(ctx, catalogDatasetSelect+` WHERE d.name = ?`, name))
	if err == sql.ErrNoRows || (err == nil && d.LatestVersion == 0) {
		return nil, datasetNotFound(name)
	}
	if err != nil {
		return nil, db.errorf("finding dataset %s: %w", name, err)
	}
	return d, nil
}

// FindCatalogDatasets lists the shared catalog's datasets.
func (db *Store) FindCatalogDatasets(ctx context.Context, f server.DatasetFilter) ([]*server.Dataset, int, error) {
	if err := f.Page.Normalize(server.DatasetOrders...); err != nil {
		return nil, 0, err
	}
	const has = ` WHERE EXISTS (SELECT 1 FROM catalog_versions v WHERE v.dataset_id = d.id)`
	var total int
	if err := db.db.QueryRowContext(ctx, `SELECT count(*) FROM catalog_datasets d`+has).Scan(&total); err != nil {
		return nil, 0, db.errorf("listing datasets: %w", err)
	}
	order := OrderBy(f.Page, "d.name ASC", map[string]string{"name": "d.name", "updated_at": "d.updated_at", "created_at": "d.created_at"})
	rows, err := db.db.QueryContext(ctx, catalogDatasetSelect+has+" ORDER BY "+order+", d.id LIMIT ? OFFSET ?", f.Limit, f.Offset)
	if err != nil {
		return nil, 0, db.errorf("listing datasets: %w", err)
	}
	defer rows.Close()
	list := []*server.Dataset{}
	for rows.Next() {
		d, err := scanCatalogDataset(rows)
		if err != nil {
			return nil, 0, err
		}
		list = append(list, d)
	}
	return list, total, rows.Err()
}

const catalogVersionSelect = `SELECT d.name, v.version, v.rows, v.columns, v.bytes, v.object, v.lineage, v.created_at
	FROM catalog_versions v JOIN catalog_datasets d ON d.id = v.dataset_id`

func scanCatalogVersion(s scanner) (*server.DatasetVersion, error) {
	v := server.DatasetVersion{Format: "parquet"}
	var cols, created string
	var lin sql.NullString
	if err := s.Scan(&v.Name, &v.Version, &v.Rows, &cols, &v.Bytes, &v.Object, &lin, &created); err != nil {
		return nil, err
	}
	json.Unmarshal([]byte(cols), &v.Columns)
	if v.Columns == nil {
		v.Columns = []string{}
	}
	if lin.Valid {
		v.Lineage = new(server.Lineage)
		json.Unmarshal([]byte(lin.String), v.Lineage)
	}
	v.CreatedAt = ParseTime(created)
	return &v, nil
}

// FindCatalogVersion returns version n of dataset name in the shared
// catalog, its latest for 0.
func (db *Store) FindCatalogVersion(ctx context.Context, name string, n int) (*server.DatasetVersion, error) {
	if _, err := db.FindCatalogDataset(ctx, name); err != nil {
		return nil, err
	}
	q, args := catalogVersionSelect+` WHERE d.name = ? ORDER BY v.version DESC LIMIT 1`, []any{name}
	if n > 0 {
		q, args = catalogVersionSelect+` WHERE d.name = ? AND v.version = ?`, []any{name, n}
	}
	v, err := scanCatalogVersion(db.db.QueryRowContext(ctx, q, args...))
	if err == sql.ErrNoRows {
		return nil, server.Errorf(server.ENOTFOUND, "dataset %s has no version %d: see 'galley dataset show %s'", name, n, name)
	}
	if err != nil {
		return nil, db.errorf("finding dataset %s: %w", name, err)
	}
	return v, nil
}

// FindCatalogVersions lists the versions of dataset name in the shared
// catalog, newest first unless p orders them otherwise.
func (db *Store) FindCatalogVersions(ctx context.Context, name string, p server.Page) ([]*server.DatasetVersion, int, error) {
	if err := p.Normalize(server.DatasetVersionOrders...); err != nil {
		return nil, 0, err
	}
	if _, err := db.FindCatalogDataset(ctx, name); err != nil {
		return nil, 0, err
	}
	var total int
	if err := db.db.QueryRowContext(ctx, `SELECT count(*) FROM catalog_versions v JOIN catalog_datasets d ON d.id = v.dataset_id WHERE d.name = ?`, name).Scan(&total); err != nil {
		return nil, 0, db.errorf("listing versions of %s: %w", name, err)
	}
	order := OrderBy(p, "v.version DESC", map[string]string{"version": "v.version", "created_at": "v.created_at"})
	rows, err := db.db.QueryContext(ctx, catalogVersionSelect+` WHERE d.name = ? ORDER BY `+order+`, v.version DESC LIMIT ? OFFSET ?`, name, p.Limit, p.Offset)
	if err != nil {
		return nil, 0, db.errorf("listing versions of %s: %w", name, err)
	}
	defer rows.Close()
	list := []*server.DatasetVersion{}
	for rows.Next() {
		v, err := scanCatalogVersion(rows)
		if err != nil {
			return nil, 0, err
		}
		list = append(list, v)
	}
	return list, total, rows.Err()
}

// DeleteCatalogDataset removes the versions of dataset name from the
// shared catalog and returns the object keys of their files, for the
// caller to remove from the object store.
func (db *Store) DeleteCatalogDataset(ctx context.Context, name string) ([]string, error) {
	var objects []string
	err := db.tx(ctx, func(tx conn) error {
		var id int64
		if err := tx.QueryRowContext(ctx, `SELECT id FROM catalog_datasets WHERE name = ?`+db.d.ForUpdate, name).Scan(&id); err != nil {
			if err == sql.ErrNoRows {
				return datasetNotFound(name)
			}
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT object FROM catalog_versions WHERE dataset_id = ?`, id)
		if err != nil {
			return err
		}
		for rows.Next() {
			var o string
			if err := rows.Scan(&o); err != nil {
				rows.Close()
				return err
			}
			objects = append(objects, o)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if len(objects) == 0 {
			return datasetNotFound(name)
		}
		// The dataset's row stays, keeping its count of versions.
		_, err = tx.ExecContext(ctx, `DELETE FROM catalog_versions WHERE dataset_id = ?`, id)
		return err
	})
	if err != nil {
		if server.ErrorCode(err) != server.EINTERNAL {
			return nil, err
		}
		return nil, db.errorf("deleting dataset %s: %w", name, err)
	}
	return objects, nil
}

// CatalogObjects lists the object keys of every version in the shared
// catalog, for retention to tell its files from leftovers.
func (db *Store) CatalogObjects(ctx context.Context) (map[string]bool, error) {
	rows, err := db.db.QueryContext(ctx, `SELECT object FROM catalog_versions`)
	if err != nil {
		return nil, db.errorf("listing dataset objects: %w", err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var o string
		if err := rows.Scan(&o); err != nil {
			return nil, err
		}
		out[o] = true
	}
	return out, rows.Err()
}
