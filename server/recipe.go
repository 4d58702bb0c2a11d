package server

import (
	"context"
	"time"

	"github.com/galley-dev/galley/stdlib/recipe"
)

// Recipe is a named series of immutable versions.
type Recipe struct {
	ID            int64     `json:"id"`
	Name          string    `json:"name"`
	LatestVersion int       `json:"latest_version"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
}

// RecipeVersion is one immutable version of a recipe: Go source converted
// from a notebook, and its parameter schema.
type RecipeVersion struct {
	ID      int64  `json:"id"`
	Recipe  string `json:"recipe"`
	Version int    `json:"version"`
	// ContentHash is the SHA-256 of Source; a recipe never holds two
	// versions with the same hash.
	ContentHash  string         `json:"content_hash"`
	NotebookHash string         `json:"notebook_hash"`
	Source       string         `json:"source"`
	Params       []recipe.Param `json:"params"`
	Author       string         `json:"author"`
	CreatedAt    time.Time      `json:"created_at"`
}

// Param returns the parameter called name.
func (v *RecipeVersion) Param(name string) (recipe.Param, bool) {
	for _, p := range v.Params {
		if p.Name == name {
			return p, true
		}
	}
	return recipe.Param{}, false
}

// NotebookImport asks for a notebook to become a recipe version.
type NotebookImport struct {
	Recipe   string `json:"recipe"`
	Author   string `json:"author"`
	Notebook []byte `json:"notebook"`
}

// RecipeFilter selects recipes. Lists order by "name" (default),
// "created_at" or "updated_at".
type RecipeFilter struct {
	Name string // exact name
	Page
}

// RecipeService manages recipes.
type RecipeService interface {
	// ImportNotebook converts and validates a notebook and stores it as the
	// next version of imp.Recipe, creating the recipe on first use. When
	// the converted source equals an existing version's, that version is
	// returned with created false. Invalid notebooks fail with EINVALID
	// and a message naming the cell and line.
	ImportNotebook(ctx context.Context, imp NotebookImport) (v *RecipeVersion, created bool, err error)
	// FindRecipe returns the recipe called name, or ENOTFOUND.
	FindRecipe(ctx context.Context, name string) (*Recipe, error)
	// FindRecipes returns a page of recipes and the total matching.
	FindRecipes(ctx context.Context, f RecipeFilter) ([]*Recipe, int, error)
	// FindRecipeVersion returns version of recipe name; version 0 means the
	// latest. ENOTFOUND when either does not exist.
	FindRecipeVersion(ctx context.Context, name string, version int) (*RecipeVersion, error)
	// FindRecipeVersions lists the versions of recipe name, newest first by
	// default ("version" order).
	FindRecipeVersions(ctx context.Context, name string, p Page) ([]*RecipeVersion, int, error)
	// DeleteRecipe deletes a recipe and its versions. ECONFLICT while a
	// model or run refers to one of them, ENOTFOUND for an unknown recipe.
	DeleteRecipe(ctx context.Context, name string) error
}

// RecipeCompiler turns a notebook into an unsaved recipe version (Source,
// Params, hashes), validating it in a fresh interpreter.
type RecipeCompiler interface {
	Compile(ctx context.Context, imp NotebookImport) (*RecipeVersion, error)
}
