// Package ml trains, evaluates, saves and scores tabular models: logistic
// and linear regression and histogram-based gradient-boosted trees, fed by a
// feature pipeline that is fitted with the model and saved inside it.
//
// # Training from a frame
//
//	train, test, _ := frame.StratifiedSplit("Churn", 0.25, 7)
//	m, err := ml.Train(train, test, ml.Spec{
//		Label:    "Churn",                        // "Yes"/"No", bool or 0/1
//		Pipeline: ml.TreePipeline("customerID"),  // ordinal codes; drop the ID
//		GBM:      &ml.GBMParams{Trees: 300, LearningRate: 0.05, EarlyStopping: 30},
//		Progress: ml.ShowProgress(0),             // live bar in the cell
//	})
//	ev, _ := m.Evaluate(test)   // metrics table; ev.ROC(), ev.Lift(), ev.Calibration() plot
//	m.Save("churn.galley")
//
// A Spec names the label and sets exactly one of Logistic, Linear and GBM.
// Logistic regression minimises scikit-learn's objective (C is the inverse
// L2 strength; ClassWeight "balanced" reweights classes) with L-BFGS or
// Newton's method, computing gradients over all cores. Trees grow leaf by
// leaf like LightGBM's, over features quantised into at most 255 bins, with
// the histogram subtraction trick, row and feature subsampling, L2 leaf
// penalty, early stopping on a validation set and missing values sent to
// whichever side each split learned is better. Training is deterministic
// for a given seed and thread count.
//
// # Pipelines
//
// A Pipeline is a list of steps — Select, Drop, Impute (with missing-value
// indicators), Scale, OneHot and Ordinal (with a policy for categories not
// seen in training), and quantile Bin — fitted on training data. Steps given
// no column names apply to every column of their kind, so LinearPipeline()
// and TreePipeline() suit most tables.
//
// # Scoring
//
// Model.Score checks a frame against the input schema recorded at training
// (missing, extra and mistyped columns are errors naming them), applies the
// pipeline and appends a prediction column. Model.ScoreStream does the same
// chunk by chunk from a data.CSVReader to a data.CSVWriter. Scoring is
// parallel and allocates per chunk, never per row.
//
// # Model files
//
// Save writes a zip holding manifest.json (format name and version) and
// model.json (schema, pipeline, parameters, trees or weights, metrics and
// training metadata). Load reads it back exactly: predictions are identical
// to the bit. Files from a newer format version are refused with an error.
//
// # Without frames
//
// The numeric core works on plain slices too: Table holds named float64
// (NaN for missing) and string columns, Matrix is a column-major feature
// matrix, and FitLogistic, FitLinear and FitGBM train directly on it.
// Metrics (AUC, AUCPR, LogLoss, ConfusionAt, Lift, Calibration, RMSE, MAE,
// R2) take label and prediction slices.
package ml
