package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/galley-dev/galley/server"
)

func checkName(kind, name string) error { return server.CheckName(kind, name) }

// CreateRecipeVersion implements server.RecipeStore.
func (db *Store) CreateRecipeVersion(ctx context.Context, v *server.RecipeVersion) (created bool, err error) {
	if err := checkName("recipe", v.Recipe); err != nil {
		return false, err
	}
	if v.ContentHash == "" || v.Source == "" {
		return false, server.Errorf(server.EINVALID, "recipe version has no source")
	}
	params, err := json.Marshal(v.Params)
	if err != nil {
		return false, err
	}
	now := db.now()
	err = db.tx(ctx, func(tx conn) error {
		// Creating the recipe if needed and then locking its row makes
		// concurrent imports of one recipe take version numbers in turn.
		if _, err := tx.ExecContext(ctx, `INSERT INTO recipes (name, created_at, updated_at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING`,
			v.Recipe, FormatTime(now), FormatTime(now)); err != nil {
			return err
		}
		var recipeID int64
		if err := tx.QueryRowContext(ctx, `SELECT id FROM recipes WHERE name = ?`+db.d.ForUpdate, v.Recipe).Scan(&recipeID); err != nil {
			return err
		}
		var existing int64
		err := tx.QueryRowContext(ctx, `SELECT id FROM recipe_versions WHERE recipe_id = ? AND content_hash = ?`, recipeID, v.ContentHash).Scan(&existing)
		if err == nil {
			old, err := scanRecipeVersion(tx.QueryRowContext(ctx, recipeVersionSelect+` WHERE v.id = ?`, existing))
			if err != nil {
				return err
			}
			*v = *old
			return nil
		} else if err != sql.ErrNoRows {
			return err
		}
		var next int
		if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) + 1 FROM recipe_versions WHERE recipe_id = ?`, recipeID).Scan(&next); err != nil {
			return err
		}
		var id int64
		if err := tx.QueryRowContext(ctx, `INSERT INTO recipe_versions (recipe_id, version, content_hash, notebook_hash, source, params, author, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, recipeID, next, v.ContentHash, v.NotebookHash, v.Source, string(params), v.Author, FormatTime(now)).Scan(&id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE recipes SET updated_at = ? WHERE id = ?`, FormatTime(now), recipeID); err != nil {
			return err
		}
		v.ID = id
		v.Version, v.CreatedAt, created = next, now, true
		return nil
	})
	if err != nil {
		return false, db.errorf("creating recipe version: %w", err)
	}
	return created, nil
}

const recipeSelect = `SELECT r.id, r.name, r.created_at, r.updated_at,
	(SELECT coalesce(max(version), 0) FROM recipe_versions WHERE recipe_id = r.id) FROM recipes r`

func scanRecipe(s scanner) (*server.Recipe, error) {
	var r server.Recipe
	var c, u string
	if err := s.Scan(&r.ID, &r.Name, &c, &u, &r.LatestVersion); err != nil {
		return nil, err
	}
	r.CreatedAt, r.UpdatedAt = ParseTime(c), ParseTime(u)
	return &r, nil
}

// FindRecipe implements server.RecipeService.
func (db *Store) FindRecipe(ctx context.Context, name string) (*server.Recipe, error) {
	r, err := scanRecipe(db.db.QueryRowContext(ctx, recipeSelect+` WHERE r.name = ?`, name))
	if err != nil {
		return nil, NotFound(err, "recipe %q not found: list recipes with 'galley recipe list'", name)
	}
	return r, nil
}

// FindRecipes implements server.RecipeService.
func (db *Store) FindRecipes(ctx context.Context, f server.RecipeFilter) ([]*server.Recipe, int, error) {
	if err := f.Page.Normalize(server.RecipeOrders...); err != nil {
		return nil, 0, err
	}
	where, args := "WHERE 1=1", []any{}
	if f.Name != "" {
		where += " AND r.name = ?"
		args = append(args, f.Name)
	}
	var total int
	if err := db.db.QueryRowContext(ctx, `SELECT count(*) FROM recipes r `+where, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	order := OrderBy(f.Page, "r.name ASC", map[string]string{"name": "r.name", "created_at": "r.created_at", "updated_at": "r.updated_at"})
	rows, err := db.db.QueryContext(ctx, recipeSelect+" "+where+" ORDER BY "+order+", r.id LIMIT ? OFFSET ?", append(args, f.Limit, f.Offset)...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	list := []*server.Recipe{}
	for rows.Next() {
		r, err := scanRecipe(rows)
		if err != nil {
			return nil, 0, err
		}
		list = append(list, r)
	}
	return list, total, rows.Err()
}

const recipeVersionSelect = `SELECT v.id, r.name, v.version, v.content_hash, v.notebook_hash, v.source, v.params, v.author, v.created_at
	FROM recipe_versions v JOIN recipes r ON r.id = v.recipe_id`

func scanRecipeVersion(s scanner) (*server.RecipeVersion, error) {
	var v server.RecipeVersion
	var params, created string
	if err := s.Scan(&v.ID, &v.Recipe, &v.Version, &v.ContentHash, &v.NotebookHash, &v.Source, &params, &v.Author, &created); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(params), &v.Params); err != nil {
		return nil, fmt.Errorf("recipe version %d params: %w", v.ID, err)
	}
	v.CreatedAt = ParseTime(created)
	return &v, nil
}

// FindRecipeVersion implements server.RecipeService.
func (db *Store) FindRecipeVersion(ctx context.Context, name string, version int) (*server.RecipeVersion, error) {
	if _, err := db.FindRecipe(ctx, name); err != nil {
		return nil, err
	}
	q := recipeVersionSelect + ` WHERE r.name = ? AND v.version = ?`
	args := []any{name, version}
	if version == 0 {
		q = recipeVersionSelect + ` WHERE r.name = ? ORDER BY v.version DESC LIMIT 1`
		args = args[:1]
	}
	v, err := scanRecipeVersion(db.db.QueryRowContext(ctx, q, args...))
	if err != nil {
		return nil, NotFound(err, "recipe %s has no version %d: see 'galley recipe show %s'", name, version, name)
	}
	return v, nil
}

// FindRecipeVersionByID implements server.RunQueue.
func (db *Store) FindRecipeVersionByID(ctx context.Context, id int64) (*server.RecipeVersion, error) {
	v, err := scanRecipeVersion(db.db.QueryRowContext(ctx, recipeVersionSelect+` WHERE v.id = ?`, id))
	if err != nil {
		return nil, NotFound(err, "recipe version %d not found", id)
	}
	return v, nil
}

// FindRecipeVersions implements server.RecipeService.
func (db *Store) FindRecipeVersions(ctx context.Context, name string, p server.Page) ([]*server.RecipeVersion, int, error) {
	if err := p.Normalize(server.VersionOrders...); err != nil {
		return nil, 0, err
	}
	if _, err := db.FindRecipe(ctx, name); err != nil {
		return nil, 0, err
	}
	var total int
	if err := db.db.QueryRowContext(ctx, `SELECT count(*) FROM recipe_versions v JOIN recipes r ON r.id = v.recipe_id WHERE r.name = ?`, name).Scan(&total); err != nil {
		return nil, 0, err
	}
	order := OrderBy(p, "v.version DESC", map[string]string{"version": "v.version", "created_at": "v.created_at"})
	rows, err := db.db.QueryContext(ctx, recipeVersionSelect+` WHERE r.name = ? ORDER BY `+order+` LIMIT ? OFFSET ?`, name, p.Limit, p.Offset)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	list := []*server.RecipeVersion{}
	for rows.Next() {
		v, err := scanRecipeVersion(rows)
		if err != nil {
			return nil, 0, err
		}
		list = append(list, v)
	}
	return list, total, rows.Err()
}
