package sqlstore

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/galley-dev/galley/server"
)

// Deleting refuses while anything still refers to what would go: the
// message names what and says what to delete first, so that nothing is
// left pointing at a recipe, model or run that no longer exists.

// conflict runs query (returning names as text) and, when it finds any,
// returns ECONFLICT with msg followed by up to five of them.
func conflict(ctx context.Context, tx conn, msg, query string, args ...any) error {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return err
		}
		names = append(names, s)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if len(names) == 0 {
		return nil
	}
	more := ""
	if len(names) > 5 {
		more = fmt.Sprintf(" and %d more", len(names)-5)
		names = names[:5]
	}
	return server.Errorf(server.ECONFLICT, msg, strings.Join(names, ", ")+more)
}

// DeleteRecipe implements server.RecipeFinder.
func (db *Store) DeleteRecipe(ctx context.Context, name string) error {
	if _, err := db.FindRecipe(ctx, name); err != nil {
		return err
	}
	return db.tx(ctx, func(tx conn) error {
		// Locking the recipe keeps an import from adding a version, and a
		// model from being created on one, while the checks below run.
		if _, err := tx.ExecContext(ctx, `SELECT id FROM recipes WHERE name = ?`+db.d.ForUpdate, name); err != nil {
			return err
		}
		if err := conflict(ctx, tx, "recipe "+name+" is used by model(s) %s: delete them first ('galley model delete NAME')",
			`SELECT m.name FROM models m JOIN recipe_versions v ON v.id = m.recipe_version_id JOIN recipes r ON r.id = v.recipe_id WHERE r.name = ? ORDER BY m.name`, name); err != nil {
			return err
		}
		if err := conflict(ctx, tx, "recipe "+name+" is recorded by run(s) %s: delete them first ('galley runs delete ID')",
			`SELECT CAST(u.id AS TEXT) FROM runs u JOIN recipe_versions v ON v.id = u.recipe_version_id JOIN recipes r ON r.id = v.recipe_id WHERE r.name = ? ORDER BY u.id`, name); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM recipe_versions WHERE recipe_id = (SELECT id FROM recipes WHERE name = ?)`, name); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM recipes WHERE name = ?`, name)
		return err
	})
}

// DeleteModel implements server.ModelService.
func (db *Store) DeleteModel(ctx context.Context, name string) error {
	if _, err := db.FindModel(ctx, name); err != nil {
		return err
	}
	return db.tx(ctx, func(tx conn) error {
		// The lock FinishRun takes before numbering a trained version: no
		// run of this model finishes while the checks below run.
		if _, err := tx.ExecContext(ctx, `SELECT id FROM models WHERE name = ?`+db.d.ForUpdate, name); err != nil {
			return err
		}
		if err := conflict(ctx, tx, "model "+name+" has trained version(s) %s: delete them first ('galley model delete NAME@VERSION')",
			`SELECT m.name || '@' || t.version FROM trained_models t JOIN models m ON m.id = t.model_id WHERE m.name = ? ORDER BY t.version`, name); err != nil {
			return err
		}
		if err := conflict(ctx, tx, "model "+name+" has schedule(s) %s: delete them first ('galley schedule delete NAME')",
			`SELECT s.name FROM schedules s JOIN models m ON m.id = s.model_id WHERE m.name = ? ORDER BY s.name`, name); err != nil {
			return err
		}
		if err := conflict(ctx, tx, "model "+name+" has run(s) %s: delete them first ('galley runs delete ID')",
			`SELECT CAST(u.id AS TEXT) FROM runs u JOIN models m ON m.id = u.model_id WHERE m.name = ? ORDER BY u.id`, name); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM models WHERE name = ?`, name)
		return err
	})
}

// DeleteTrainedModel implements server.TrainedModelService.
func (db *Store) DeleteTrainedModel(ctx context.Context, ref string) error {
	t, err := db.FindTrainedModel(ctx, ref)
	if err != nil {
		return err
	}
	err = db.tx(ctx, func(tx conn) error {
		// Serialised with FinishRun numbering the model's next version,
		// which counts the deleted versions recorded here.
		if _, err := tx.ExecContext(ctx, `SELECT id FROM models WHERE id = (SELECT model_id FROM trained_models WHERE id = ?)`+db.d.ForUpdate, t.ID); err != nil {
			return err
		}
		if err := conflict(ctx, tx, t.Ref()+" is what alias(es) %s point at: point them at another version first ('galley model alias')",
			`SELECT alias FROM aliases WHERE trained_model_id = ? ORDER BY alias`, t.ID); err != nil {
			return err
		}
		if err := conflict(ctx, tx, t.Ref()+" is the canary of model %s: remove the canary first ('galley predict canary "+t.Model+" --weight 0')",
			`SELECT m.name FROM canaries c JOIN models m ON m.id = c.model_id WHERE c.trained_model_id = ?`, t.ID); err != nil {
			return err
		}
		if err := conflict(ctx, tx, t.Ref()+" is used by scoring run(s) %s: delete them first ('galley runs delete ID')",
			`SELECT CAST(id AS TEXT) FROM runs WHERE kind = 'score' AND trained_model = ? ORDER BY id`, t.Ref()); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO deleted_trained_models (model_id, version) SELECT model_id, version FROM trained_models WHERE id = ?
			ON CONFLICT DO NOTHING`, t.ID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM trained_models WHERE id = ?`, t.ID)
		return err
	})
	// A file path is an artifact from before object storage; an object
	// key's object is removed by whoever holds the store ('galley gc').
	if err == nil && filepath.IsAbs(t.Artifact) {
		os.Remove(t.Artifact)
	}
	return err
}

// DatasetInUse returns ECONFLICT naming the models that train on dataset
// name and the runs that read it, or nil when there are none. The catalog
// asks it before deleting a dataset.
func (db *Store) DatasetInUse(ctx context.Context, name string) error {
	return db.tx(ctx, func(tx conn) error {
		if err := conflict(ctx, tx, "dataset "+name+" is the training data of model(s) %s: delete them first ('galley model delete NAME')",
			`SELECT name FROM models WHERE dataset = ?1 OR dataset LIKE ?1 || '@%' ORDER BY name`, name); err != nil {
			return err
		}
		return conflict(ctx, tx, "dataset "+name+" was read by run(s) %s: delete them first ('galley runs delete ID')",
			`SELECT CAST(id AS TEXT) FROM runs WHERE input_snapshot LIKE ?1 || '@%' ORDER BY id`, name)
	})
}

// DeleteRun implements server.RunService.
func (db *Store) DeleteRun(ctx context.Context, id int64) error {
	r, err := db.FindRun(ctx, id)
	if err != nil {
		return err
	}
	if !r.State.Final() {
		return server.Errorf(server.ECONFLICT, "run %d is %s: cancel it first ('galley runs cancel %d')", id, r.State, id)
	}
	if r.OutputSnapshot != "" && db.Datasets != nil {
		if _, err := db.Datasets.FindDatasetVersion(ctx, r.OutputSnapshot); err == nil {
			return server.Errorf(server.ECONFLICT, "run %d produced dataset %s, whose lineage records it: delete the dataset first ('galley dataset delete %s')", id, r.OutputSnapshot, r.OutputName)
		}
	}
	return db.tx(ctx, func(tx conn) error {
		if err := conflict(ctx, tx, fmt.Sprintf("run %d trained %%s: delete the trained model first ('galley model delete MODEL@VERSION')", id),
			`SELECT m.name || '@' || t.version FROM trained_models t JOIN models m ON m.id = t.model_id WHERE t.run_id = ?`, id); err != nil {
			return err
		}
		// A slot's history keeps the run it started; deleting the schedule
		// deletes its slots.
		if err := conflict(ctx, tx, fmt.Sprintf("run %d was started by schedule %%s, whose history records it: delete the schedule first ('galley schedule delete NAME')", id),
			`SELECT DISTINCT s.name FROM schedule_slots sl JOIN schedules s ON s.id = sl.schedule_id WHERE sl.run_id = ? ORDER BY s.name`, id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM run_logs WHERE run_id = ?`, id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM run_parts WHERE run_id = ?`, id); err != nil {
			return err
		}
		if db.d.KeepRunID != "" {
			if _, err := tx.ExecContext(ctx, db.d.KeepRunID, id); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM runs WHERE id = ?`, id)
		return err
	})
}
