package sqlite

import (
	"context"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/galley-dev/galley/server"
	"github.com/galley-dev/galley/server/sqlstore"
)

// csvInfo describes a CSV file.
type csvInfo struct {
	rows    int
	columns []string
	bytes   int64
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// scanCSV checks that r is CSV with a header row and counts its rows.
func scanCSV(r io.Reader) (csvInfo, error) {
	cr := &countingReader{r: r}
	rd := csv.NewReader(cr)
	rd.ReuseRecord = true
	header, err := rd.Read()
	if err == io.EOF {
		return csvInfo{}, server.Errorf(server.EINVALID, "the dataset is empty: send CSV with a header row")
	}
	if err != nil {
		return csvInfo{}, csvErr(err)
	}
	info := csvInfo{columns: append([]string(nil), header...)}
	for {
		_, err := rd.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return csvInfo{}, csvErr(err)
		}
		info.rows++
	}
	info.bytes = cr.n
	return info, nil
}

func csvErr(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return server.Errorf(server.EINVALID, "the dataset is not valid CSV: line %d: %v", pe.Line, pe.Err)
	}
	var se *server.Error
	if errors.As(err, &se) {
		return se
	}
	return fmt.Errorf("reading the dataset: %w", err)
}

// The DB is also a dataset service that keeps each version as a CSV file
// under DatasetsDir, for servers not using the Parquet catalog.

// ImportDataset implements server.DatasetService.
func (db *DB) ImportDataset(ctx context.Context, name string, r io.Reader) (*server.DatasetVersion, error) {
	if err := server.CheckName("dataset", name); err != nil {
		return nil, err
	}
	tmp, err := os.CreateTemp(db.DatasetsDir, ".import-*")
	if err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	defer os.Remove(tmp.Name())
	info, err := scanCSV(io.TeeReader(r, tmp))
	if cerr := tmp.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	return db.addDatasetVersion(ctx, nil, name, tmp.Name(), info, nil)
}

// ExportCSV copies version ref's CSV to path.
func (db *DB) ExportCSV(ctx context.Context, ref, path string) error {
	v, err := db.FindDatasetVersion(ctx, ref)
	if err != nil {
		return err
	}
	src, err := os.Open(v.Path)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		return err
	}
	return dst.Close()
}

// SaveOutput stores a scoring run's CSV output, which it takes over, as the
// next version of name with its lineage.
func (db *DB) SaveOutput(ctx context.Context, name, csvPath string, lin *server.Lineage) (*server.DatasetVersion, error) {
	if err := server.CheckName("dataset", name); err != nil {
		return nil, err
	}
	f, err := os.Open(csvPath)
	if err != nil {
		return nil, err
	}
	info, err := scanCSV(f)
	f.Close()
	if err != nil {
		return nil, err
	}
	return db.addDatasetVersion(ctx, nil, name, csvPath, info, lin)
}

// ReplaceOutput stores a scoring run's CSV output, which it takes over, in
// place of version ref, which an earlier run of the same schedule slot
// wrote, with lin as its lineage.
func (db *DB) ReplaceOutput(ctx context.Context, ref, csvPath string, lin *server.Lineage) (*server.DatasetVersion, error) {
	v, err := db.FindDatasetVersion(ctx, ref)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(csvPath)
	if err != nil {
		return nil, err
	}
	info, err := scanCSV(f)
	f.Close()
	if err != nil {
		return nil, err
	}
	cols, _ := json.Marshal(info.columns)
	b, _ := json.Marshal(lin)
	err = db.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE dataset_versions SET rows = ?, columns = ?, bytes = ?, lineage = ?
			WHERE version = ? AND dataset_id = (SELECT id FROM datasets WHERE name = ?)`, info.rows, string(cols), info.bytes, string(b), v.Version, v.Name); err != nil {
			return err
		}
		// Last, as in addDatasetVersion: a failed update leaves the old
		// file in place.
		return os.Rename(csvPath, v.Path)
	})
	if err != nil {
		return nil, fmt.Errorf("sqlite: replacing dataset version %s: %w", ref, err)
	}
	v.Rows, v.Columns, v.Bytes, v.Lineage = info.rows, info.columns, info.bytes, lin
	return v, nil
}

// addDatasetVersion moves file into the datasets directory as the next
// version of name. With a non-nil tx it joins that transaction.
func (db *DB) addDatasetVersion(ctx context.Context, tx *sql.Tx, name, file string, info csvInfo, lin *server.Lineage) (*server.DatasetVersion, error) {
	var v *server.DatasetVersion
	fn := func(tx *sql.Tx) error {
		now := db.Now().UTC()
		var id int64
		err := tx.QueryRowContext(ctx, `SELECT id FROM datasets WHERE name = ?`, name).Scan(&id)
		if err == sql.ErrNoRows {
			res, err := tx.ExecContext(ctx, `INSERT INTO datasets (name, created_at, updated_at) VALUES (?, ?, ?)`, name, sqlstore.FormatTime(now), sqlstore.FormatTime(now))
			if err != nil {
				return err
			}
			id, _ = res.LastInsertId()
		} else if err != nil {
			return err
		}
		var next int
		if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) + 1 FROM dataset_versions WHERE dataset_id = ?`, id).Scan(&next); err != nil {
			return err
		}
		dir := filepath.Join(db.DatasetsDir, name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		path := filepath.Join(dir, strconv.Itoa(next)+".csv")
		cols, _ := json.Marshal(info.columns)
		var linJSON sql.NullString
		if lin != nil {
			b, _ := json.Marshal(lin)
			linJSON = sql.NullString{String: string(b), Valid: true}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO dataset_versions (dataset_id, version, rows, columns, format, bytes, path, lineage, created_at)
			VALUES (?, ?, ?, ?, 'csv', ?, ?, ?, ?)`, id, next, info.rows, string(cols), info.bytes, path, linJSON, sqlstore.FormatTime(now)); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE datasets SET updated_at = ? WHERE id = ?`, sqlstore.FormatTime(now), id); err != nil {
			return err
		}
		// The rename comes last so a failed insert leaves no file behind; a
		// failed commit after it leaves an orphan file, never a row without
		// its file.
		if err := os.Rename(file, path); err != nil {
			return err
		}
		v = &server.DatasetVersion{Name: name, Version: next, Rows: info.rows, Columns: info.columns, Format: "csv", Bytes: info.bytes, Lineage: lin, CreatedAt: now, Path: path}
		return nil
	}
	var err error
	if tx != nil {
		err = fn(tx)
	} else {
		err = db.tx(ctx, fn)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: adding dataset version: %w", err)
	}
	return v, nil
}

const datasetSelect = `SELECT d.name, d.created_at, d.updated_at, (SELECT coalesce(max(version), 0) FROM dataset_versions WHERE dataset_id = d.id) FROM datasets d`

func scanDataset(s scanner) (*server.Dataset, error) {
	var d server.Dataset
	var c, u string
	if err := s.Scan(&d.Name, &c, &u, &d.LatestVersion); err != nil {
		return nil, err
	}
	d.CreatedAt, d.UpdatedAt = sqlstore.ParseTime(c), sqlstore.ParseTime(u)
	return &d, nil
}

// FindDataset implements server.DatasetService.
func (db *DB) FindDataset(ctx context.Context, name string) (*server.Dataset, error) {
	d, err := scanDataset(db.db.QueryRowContext(ctx, datasetSelect+` WHERE d.name = ?`, name))
	if err != nil {
		return nil, sqlstore.NotFound(err, "dataset %q not found: import it with 'galley dataset import FILE --name %s'", name, name)
	}
	return d, nil
}

// FindDatasets implements server.DatasetService.
func (db *DB) FindDatasets(ctx context.Context, f server.DatasetFilter) ([]*server.Dataset, int, error) {
	if err := f.Page.Normalize(server.DatasetOrders...); err != nil {
		return nil, 0, err
	}
	var total int
	if err := db.db.QueryRowContext(ctx, `SELECT count(*) FROM datasets`).Scan(&total); err != nil {
		return nil, 0, err
	}
	order := sqlstore.OrderBy(f.Page, "d.name ASC", map[string]string{"name": "d.name", "updated_at": "d.updated_at", "created_at": "d.created_at"})
	rows, err := db.db.QueryContext(ctx, datasetSelect+" ORDER BY "+order+", d.id LIMIT ? OFFSET ?", f.Limit, f.Offset)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	list := []*server.Dataset{}
	for rows.Next() {
		d, err := scanDataset(rows)
		if err != nil {
			return nil, 0, err
		}
		list = append(list, d)
	}
	return list, total, rows.Err()
}

const datasetVersionSelect = `SELECT d.name, v.version, v.rows, v.columns, v.format, v.bytes, v.path, v.lineage, v.created_at
	FROM dataset_versions v JOIN datasets d ON d.id = v.dataset_id`

func scanDatasetVersion(s scanner) (*server.DatasetVersion, error) {
	var v server.DatasetVersion
	var cols, created string
	var lin sql.NullString
	if err := s.Scan(&v.Name, &v.Version, &v.Rows, &cols, &v.Format, &v.Bytes, &v.Path, &lin, &created); err != nil {
		return nil, err
	}
	json.Unmarshal([]byte(cols), &v.Columns)
	if lin.Valid {
		v.Lineage = new(server.Lineage)
		json.Unmarshal([]byte(lin.String), v.Lineage)
	}
	v.CreatedAt = sqlstore.ParseTime(created)
	return &v, nil
}

// FindDatasetVersion implements server.DatasetService.
func (db *DB) FindDatasetVersion(ctx context.Context, ref string) (*server.DatasetVersion, error) {
	name, sel, _ := strings.Cut(ref, "@")
	if _, err := db.FindDataset(ctx, name); err != nil {
		return nil, err
	}
	q, args := datasetVersionSelect+` WHERE d.name = ? ORDER BY v.version DESC LIMIT 1`, []any{name}
	if sel != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(sel, "v"))
		if err != nil {
			return nil, server.Errorf(server.EINVALID, "dataset reference %q is invalid: use NAME or NAME@VERSION", ref)
		}
		q, args = datasetVersionSelect+` WHERE d.name = ? AND v.version = ?`, []any{name, n}
	}
	v, err := scanDatasetVersion(db.db.QueryRowContext(ctx, q, args...))
	if err != nil {
		return nil, sqlstore.NotFound(err, "dataset %s has no version %s: see 'galley dataset show %s'", name, sel, name)
	}
	return v, nil
}

// FindDatasetVersions implements server.DatasetService.
func (db *DB) FindDatasetVersions(ctx context.Context, name string, p server.Page) ([]*server.DatasetVersion, int, error) {
	if err := p.Normalize(server.DatasetVersionOrders...); err != nil {
		return nil, 0, err
	}
	if _, err := db.FindDataset(ctx, name); err != nil {
		return nil, 0, err
	}
	var total int
	if err := db.db.QueryRowContext(ctx, `SELECT count(*) FROM dataset_versions v JOIN datasets d ON d.id = v.dataset_id WHERE d.name = ?`, name).Scan(&total); err != nil {
		return nil, 0, err
	}
	order := sqlstore.OrderBy(p, "v.version DESC", map[string]string{"version": "v.version", "created_at": "v.created_at"})
	rows, err := db.db.QueryContext(ctx, datasetVersionSelect+` WHERE d.name = ? ORDER BY `+order+` LIMIT ? OFFSET ?`, name, p.Limit, p.Offset)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	list := []*server.DatasetVersion{}
	for rows.Next() {
		v, err := scanDatasetVersion(rows)
		if err != nil {
			return nil, 0, err
		}
		list = append(list, v)
	}
	return list, total, rows.Err()
}

// DeleteDataset implements server.DatasetService for datasets the DB
// keeps itself.
func (db *DB) DeleteDataset(ctx context.Context, name string) error {
	if _, err := db.FindDataset(ctx, name); err != nil {
		return err
	}
	if err := db.DatasetInUse(ctx, name); err != nil {
		return err
	}
	var paths []string
	err := db.tx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT v.path FROM dataset_versions v JOIN datasets d ON d.id = v.dataset_id WHERE d.name = ?`, name)
		if err != nil {
			return err
		}
		for rows.Next() {
			var p string
			if err := rows.Scan(&p); err != nil {
				rows.Close()
				return err
			}
			paths = append(paths, p)
		}
		rows.Close()
		if _, err := tx.ExecContext(ctx, `DELETE FROM dataset_versions WHERE dataset_id = (SELECT id FROM datasets WHERE name = ?)`, name); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM datasets WHERE name = ?`, name)
		return err
	})
	if err == nil {
		for _, p := range paths {
			os.Remove(p)
		}
	}
	return err
}

type scanner interface{ Scan(...any) error }
