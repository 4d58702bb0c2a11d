// Package recipe is the authoring contract between a notebook and galley's
// server.
//
// A recipe is ordinary Go code that declares a few entry points:
//
//	func Load(cfg recipe.Config) (recipe.Frame, error)
//	func Train(cfg recipe.Config, f recipe.Frame) (recipe.Model, error)
//	func Score(cfg recipe.Config, m recipe.Model, f recipe.Frame) (recipe.Frame, error)
//
// and optionally
//
//	func Split(cfg recipe.Config, f recipe.Frame) (train, test recipe.Frame, err error)
//	func Evaluate(cfg recipe.Config, m recipe.Model, f recipe.Frame) (recipe.Metrics, error)
//
// Evaluate may instead return an *Evaluation, which adds the curves the
// evaluation draws (a ROC curve named "roc", a lift curve named "lift");
// the server stores them with the training run and overlays them when
// trained versions are compared:
//
//	func Evaluate(cfg recipe.Config, m recipe.Model, f recipe.Frame) (*recipe.Evaluation, error)
//
// Such a function goes in Funcs.EvaluateCurves when a notebook calls Try.
// TrainAndCompare evaluates an earlier model on the same held-out rows as
// the new one, which the server does for schedules that promote.
//
// Load reads the dataset named by cfg.Input(), honouring cfg.Limit() when it
// is positive. The server calls Load for training (with the model's training
// dataset) and again for scoring (with the dataset to score), so a recipe
// describes its data preparation once.
//
// The configuration is typed: each Param has a name, a Go type, a default and
// a description. In a notebook, the cell tagged "parameters" declares them
// with literal defaults. A value is parsed once into a Value (ParseValue,
// Resolve); a server run sets the parameters in a cell it injects right
// after the parameters cell, as papermill does, and hands the same values
// to every entry point through Config.
//
// Inside a notebook the same functions run interactively on a sample:
//
//	cfg := recipe.NewConfig("telco-churn.csv").WithLimit(500)
//	res, err := recipe.Try(cfg, recipe.Funcs{Load: Load, Train: Train, Score: Score, Evaluate: Evaluate})
//	res.Metrics
//
// Frame and Model are small interfaces so that any table or model type can
// flow through a recipe: Table is a minimal CSV-backed Frame for recipes that
// need nothing more. Scoring output is written as CSV, so a Frame returned by
// Score should also implement CSVWriter.
//
// The exported API is deliberately non-generic so the interpreter can bind it.
package recipe
