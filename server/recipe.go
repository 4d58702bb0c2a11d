package server

import (
	"context"
	"regexp"
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

// RecipeFinder finds recipes and their versions.
type RecipeFinder interface {
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

// RecipeService manages recipes: what the API serves and its client
// implements.
type RecipeService interface {
	RecipeFinder
	// ImportNotebook converts and validates a notebook and stores it as the
	// next version of imp.Recipe, creating the recipe on first use. When
	// the converted source equals an existing version's, that version is
	// returned with created false. Invalid notebooks fail with EINVALID
	// and a message naming the cell and line.
	ImportNotebook(ctx context.Context, imp NotebookImport) (v *RecipeVersion, created bool, err error)
}

// RecipeStore keeps recipe versions. A store neither converts nor runs
// notebooks: the service that imports them validates first.
type RecipeStore interface {
	RecipeFinder
	// CreateRecipeVersion stores v, already converted and validated, as the
	// next version of v.Recipe, filling in ID, Version and CreatedAt. When
	// the recipe has a version with the same content hash, v becomes that
	// version and created is false. EINVALID for a bad recipe name.
	CreateRecipeVersion(ctx context.Context, v *RecipeVersion) (created bool, err error)
}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$`)

// CheckName fails with EINVALID unless name is a valid name for a recipe,
// model or dataset; kind says which in the message.
func CheckName(kind, name string) error {
	if !nameRE.MatchString(name) {
		return Errorf(EINVALID, "%s name %q is invalid: use 1 to 100 letters, digits, '.', '_' or '-', starting with a letter or digit", kind, name)
	}
	return nil
}
