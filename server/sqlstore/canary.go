package sqlstore

import (
	"context"
	"database/sql"

	"github.com/galley-dev/galley/server"
)

// SetCanary implements server.CanaryService. The model's row is locked
// while the canary is written, as DeleteTrainedModel locks it, so that
// the version cannot be deleted between the check and the write.
func (db *Store) SetCanary(ctx context.Context, c server.Canary) (*server.Canary, error) {
	if err := c.CheckWeight(); err != nil {
		return nil, err
	}
	if _, err := db.FindModel(ctx, c.Model); err != nil {
		return nil, err
	}
	now := db.now()
	err := db.tx(ctx, func(tx conn) error {
		var modelID int64
		err := tx.QueryRowContext(ctx, `SELECT id FROM models WHERE name = ?`+db.d.ForUpdate, c.Model).Scan(&modelID)
		if err != nil {
			return NotFound(err, "model %s not found", c.Model)
		}
		if c.Weight == 0 {
			_, err := tx.ExecContext(ctx, `DELETE FROM canaries WHERE model_id = ?`, modelID)
			return err
		}
		var trainedID int64
		err = tx.QueryRowContext(ctx, `SELECT id FROM trained_models WHERE model_id = ? AND version = ?`, modelID, c.Version).Scan(&trainedID)
		if err == sql.ErrNoRows {
			// The model in the path is the resource: a version it lacks
			// is a bad request, not a missing resource.
			return server.Errorf(server.EINVALID, "model %s has no trained version %d: list its versions with 'galley model show %s'", c.Model, c.Version, c.Model)
		}
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO canaries (model_id, trained_model_id, weight, updated_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (model_id) DO UPDATE SET trained_model_id = excluded.trained_model_id, weight = excluded.weight, updated_at = excluded.updated_at`,
			modelID, trainedID, c.Weight, FormatTime(now))
		return err
	})
	if err != nil {
		if server.ErrorCode(err) != server.EINTERNAL {
			return nil, err
		}
		return nil, db.errorf("setting the canary of %s: %w", c.Model, err)
	}
	if c.Weight == 0 {
		return &server.Canary{Model: c.Model}, nil
	}
	c.UpdatedAt = ParseTime(FormatTime(now))
	return &c, nil
}

// FindCanaries implements server.CanaryService.
func (db *Store) FindCanaries(ctx context.Context) ([]server.Canary, error) {
	rows, err := db.db.QueryContext(ctx, `SELECT m.name, t.version, c.weight, c.updated_at FROM canaries c
		JOIN models m ON m.id = c.model_id JOIN trained_models t ON t.id = c.trained_model_id ORDER BY m.name`)
	if err != nil {
		return nil, db.errorf("reading canaries: %w", err)
	}
	defer rows.Close()
	out := []server.Canary{}
	for rows.Next() {
		var c server.Canary
		var updated string
		if err := rows.Scan(&c.Model, &c.Version, &c.Weight, &updated); err != nil {
			return nil, err
		}
		c.UpdatedAt = ParseTime(updated)
		out = append(out, c)
	}
	return out, rows.Err()
}
