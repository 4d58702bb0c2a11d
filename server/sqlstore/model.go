package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"regexp"
	"strconv"
	"strings"

	"github.com/galley-dev/galley/server"
	"github.com/galley-dev/galley/stdlib/recipe"
)

// checkParams validates values against a recipe version's schema and
// returns them in canonical text form.
func checkParams(v *server.RecipeVersion, values map[string]string) (map[string]string, error) {
	out := map[string]string{}
	for _, k := range keys(values) {
		p, ok := v.Param(k)
		if !ok {
			var names []string
			for _, p := range v.Params {
				names = append(names, p.Name+" ("+p.Type+")")
			}
			return nil, server.Errorf(server.EINVALID, "recipe %s version %d has no parameter %q; its parameters are: %s", v.Recipe, v.Version, k, strings.Join(names, ", "))
		}
		val, err := p.Parse(values[k])
		if err != nil {
			return nil, server.Errorf(server.EINVALID, "%v (want %s)", err, p.Type)
		}
		// Stored as canonical text: a run parses it back to the same value.
		out[k] = val.String()
	}
	return out, nil
}

// CreateModel implements server.ModelService.
func (db *Store) CreateModel(ctx context.Context, m *server.Model) error {
	if err := checkName("model", m.Name); err != nil {
		return err
	}
	if m.Recipe == "" {
		return server.Errorf(server.EINVALID, "model %s names no recipe: give one with --recipe", m.Name)
	}
	if m.Dataset == "" {
		return server.Errorf(server.EINVALID, "model %s names no training dataset: give one with --dataset", m.Name)
	}
	v, err := db.FindRecipeVersion(ctx, m.Recipe, m.RecipeVersion)
	if err != nil {
		return err
	}
	params, err := checkParams(v, m.Params)
	if err != nil {
		return err
	}
	if _, err := db.Datasets.FindDatasetVersion(ctx, m.Dataset); err != nil {
		return err
	}
	b, _ := json.Marshal(params)
	now := db.now()
	var id int64
	err = db.db.QueryRowContext(ctx, `INSERT INTO models (name, recipe_version_id, params, dataset, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id`,
		m.Name, v.ID, string(b), m.Dataset, FormatTime(now)).Scan(&id)
	if db.isUnique(err) {
		return server.Errorf(server.ECONFLICT, "a model called %s already exists: choose another name", m.Name)
	} else if err != nil {
		return db.errorf("creating model: %w", err)
	}
	m.ID = id
	m.RecipeVersion, m.Params, m.CreatedAt = v.Version, params, now
	return nil
}

const modelSelect = `SELECT m.id, m.name, r.name, v.version, m.recipe_version_id, m.params, m.dataset, m.created_at
	FROM models m JOIN recipe_versions v ON v.id = m.recipe_version_id JOIN recipes r ON r.id = v.recipe_id`

func scanModel(s scanner) (*server.Model, int64, error) {
	var m server.Model
	var rvID int64
	var params, created string
	if err := s.Scan(&m.ID, &m.Name, &m.Recipe, &m.RecipeVersion, &rvID, &params, &m.Dataset, &created); err != nil {
		return nil, 0, err
	}
	if err := json.Unmarshal([]byte(params), &m.Params); err != nil {
		return nil, 0, err
	}
	m.CreatedAt = ParseTime(created)
	return &m, rvID, nil
}

// FindModel implements server.ModelService.
func (db *Store) FindModel(ctx context.Context, name string) (*server.Model, error) {
	m, _, err := scanModel(db.db.QueryRowContext(ctx, modelSelect+` WHERE m.name = ?`, name))
	if err != nil {
		return nil, NotFound(err, "model %q not found: list models with 'galley model list'", name)
	}
	return m, nil
}

func (db *Store) findModel(ctx context.Context, name string) (*server.Model, int64, error) {
	m, rv, err := scanModel(db.db.QueryRowContext(ctx, modelSelect+` WHERE m.name = ?`, name))
	if err != nil {
		return nil, 0, NotFound(err, "model %q not found: list models with 'galley model list'", name)
	}
	return m, rv, nil
}

// FindModels implements server.ModelService.
func (db *Store) FindModels(ctx context.Context, f server.ModelFilter) ([]*server.Model, int, error) {
	if err := f.Page.Normalize(server.ModelOrders...); err != nil {
		return nil, 0, err
	}
	where, args := " WHERE 1=1", []any{}
	if f.Recipe != "" {
		where += " AND r.name = ?"
		args = append(args, f.Recipe)
	}
	var total int
	if err := db.db.QueryRowContext(ctx, `SELECT count(*) FROM models m JOIN recipe_versions v ON v.id = m.recipe_version_id JOIN recipes r ON r.id = v.recipe_id`+where, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	order := OrderBy(f.Page, "m.name ASC", map[string]string{"name": "m.name", "created_at": "m.created_at"})
	rows, err := db.db.QueryContext(ctx, modelSelect+where+" ORDER BY "+order+", m.id LIMIT ? OFFSET ?", append(args, f.Limit, f.Offset)...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	list := []*server.Model{}
	for rows.Next() {
		m, _, err := scanModel(rows)
		if err != nil {
			return nil, 0, err
		}
		list = append(list, m)
	}
	return list, total, rows.Err()
}

const trainedSelect = `SELECT t.id, m.name, t.version, t.run_id, t.recipe_version_id, t.params, t.dataset_snapshot, t.metrics, t.artifact, t.created_at,
	coalesce((SELECT string_agg(alias, ',' ORDER BY alias) FROM aliases a WHERE a.trained_model_id = t.id), '')
	FROM trained_models t JOIN models m ON m.id = t.model_id`

func scanTrained(s scanner) (*server.TrainedModel, error) {
	var t server.TrainedModel
	var params, metrics, created, aliases string
	if err := s.Scan(&t.ID, &t.Model, &t.Version, &t.RunID, &t.RecipeVersionID, &params, &t.DatasetSnapshot, &metrics, &t.Artifact, &created, &aliases); err != nil {
		return nil, err
	}
	json.Unmarshal([]byte(params), &t.Params)
	json.Unmarshal([]byte(metrics), &t.Metrics)
	// Runs that record no metrics store null; the API promises objects.
	if t.Params == nil {
		t.Params = map[string]string{}
	}
	if t.Metrics == nil {
		t.Metrics = recipe.Metrics{}
	}
	t.CreatedAt = ParseTime(created)
	t.Aliases = []string{}
	if aliases != "" {
		t.Aliases = strings.Split(aliases, ",")
	}
	return &t, nil
}

// FindTrainedModel implements server.TrainedModelService.
func (db *Store) FindTrainedModel(ctx context.Context, ref string) (*server.TrainedModel, error) {
	name, sel, _ := strings.Cut(ref, "@")
	if _, err := db.FindModel(ctx, name); err != nil {
		return nil, err
	}
	var (
		t   *server.TrainedModel
		err error
	)
	switch n, convErr := strconv.Atoi(strings.TrimPrefix(sel, "v")); {
	case sel == "":
		t, err = scanTrained(db.db.QueryRowContext(ctx, trainedSelect+` WHERE m.name = ? ORDER BY t.version DESC LIMIT 1`, name))
		if err == sql.ErrNoRows {
			return nil, server.Errorf(server.ENOTFOUND, "model %s has not been trained yet: run 'galley train %s'", name, name)
		}
	case convErr == nil:
		t, err = scanTrained(db.db.QueryRowContext(ctx, trainedSelect+` WHERE m.name = ? AND t.version = ?`, name, n))
	default:
		t, err = scanTrained(db.db.QueryRowContext(ctx, trainedSelect+` JOIN aliases a ON a.trained_model_id = t.id WHERE m.name = ? AND a.alias = ?`, name, sel))
	}
	if err != nil {
		return nil, NotFound(err, "trained model %q not found: list versions with 'galley model show %s'", ref, name)
	}
	return t, nil
}

// FindTrainedModels implements server.TrainedModelService.
func (db *Store) FindTrainedModels(ctx context.Context, f server.TrainedModelFilter) ([]*server.TrainedModel, int, error) {
	if err := f.Page.Normalize(server.TrainedModelOrders...); err != nil {
		return nil, 0, err
	}
	where, args := " WHERE 1=1", []any{}
	if f.Model != "" {
		where += " AND m.name = ?"
		args = append(args, f.Model)
	}
	var total int
	if err := db.db.QueryRowContext(ctx, `SELECT count(*) FROM trained_models t JOIN models m ON m.id = t.model_id`+where, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	order := OrderBy(f.Page, "t.id DESC", map[string]string{"version": "t.version", "created_at": "t.created_at"})
	rows, err := db.db.QueryContext(ctx, trainedSelect+where+" ORDER BY "+order+" LIMIT ? OFFSET ?", append(args, f.Limit, f.Offset)...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	list := []*server.TrainedModel{}
	for rows.Next() {
		t, err := scanTrained(rows)
		if err != nil {
			return nil, 0, err
		}
		list = append(list, t)
	}
	return list, total, rows.Err()
}

var (
	// versionRE matches what FindTrainedModel reads as a version number.
	versionRE = regexp.MustCompile(`^v?[0-9]+$`)
)

// SetAlias implements server.TrainedModelService.
func (db *Store) SetAlias(ctx context.Context, model, alias string, version int) (*server.TrainedModel, error) {
	if err := checkAlias(alias); err != nil {
		return nil, err
	}
	t, err := db.FindTrainedModel(ctx, model+"@"+strconv.Itoa(version))
	if err != nil {
		return nil, err
	}
	if err := setAlias(ctx, db.db, model, alias, t.ID); err != nil {
		return nil, db.errorf("setting alias: %w", err)
	}
	return db.FindTrainedModel(ctx, t.Ref())
}

func checkAlias(alias string) error {
	if server.CheckName("alias", alias) != nil || alias[0] >= '0' && alias[0] <= '9' {
		return server.Errorf(server.EINVALID, "alias %q is invalid: use letters, digits, '.', '_' or '-', starting with a letter", alias)
	}
	if versionRE.MatchString(alias) {
		return server.Errorf(server.EINVALID, "alias %q reads as version %s: pick a name that is not v followed by digits", alias, alias[1:])
	}
	return nil
}

// setAlias points alias of model at trained model id through ex.
func setAlias(ctx context.Context, ex execer, model, alias string, id int64) error {
	_, err := ex.ExecContext(ctx, `INSERT INTO aliases (model_id, alias, trained_model_id) SELECT id, CAST(? AS TEXT), CAST(? AS BIGINT) FROM models WHERE name = ?
		ON CONFLICT (model_id, alias) DO UPDATE SET trained_model_id = excluded.trained_model_id`, alias, id, model)
	return err
}
