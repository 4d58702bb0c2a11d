// Package ml trains, evaluates, saves and scores tabular models: logistic
// and linear regression and histogram-based gradient-boosted trees, fed by a
// feature pipeline that is fitted with the model and saved inside it.
//
// # Training from a frame
//
//	train, test, _ := frame.StratifiedSplit("Churn", 0.25, 7)
//	m, err := ml.Train(train, test, ml.Spec{
//		Label:    "Churn",                        // "Yes"/"No", bool or 0/1
//		Pipeline: ml.TreePipeline("customerID"),  // categories as they are; drop the ID
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
// for a given seed and thread count. GBMParams.ClassWeight ("balanced")
// and PositiveWeight weigh the classes of a binary label, as LogisticParams'
// fields of the same names do. GBMParams.Monotone makes predictions
// non-decreasing (1) or non-increasing (-1) in named features by bounding
// leaf values, as LightGBM's basic method does.
//
// String columns need no encoding for trees: TreePipeline's Category step
// hands them over as categories, and a node splits one by sending a set of
// its categories left and the rest right, chosen as LightGBM chooses it
// (each category against the rest when there are few; otherwise the
// categories ordered by Σgradient/(Σhessian+CatSmooth) and the best run
// from either end, with the regularisation of GBMParams' Cat fields).
// Missing values are a category of their own that the split places;
// categories too rare to place and categories first seen when scoring go
// right. Saved trees list each categorical split's left categories, and
// explanations show the row's category as the driver's value.
//
// # Multiclass
//
// GBMParams{Objective: ObjectiveMulticlass} trains LightGBM's softmax
// objective on a label of strings or integers, each distinct value a class
// (at most 256): every round grows one tree per class, each class starts
// from the log of its share of the rows, and predictions are per-class
// probabilities. Model.Classes lists the classes (sorted strings, or
// integers in increasing order); PredictProba gives each row's
// probabilities and predicted class; Score writes the predicted class in
// "prediction" and each class's probability in "prediction_<class>".
// ClassWeight "balanced" weighs class k by n / (k·nₖ). Metrics are the
// multi-class log loss, accuracy, macro and weighted F1 and the
// one-vs-rest macro AUC; Evaluation.ClassConfusion gives the confusion
// matrix with each class's precision and recall, and the evaluation
// renders both. Explain and Contributions explain each row's predicted
// class (its raw score before the softmax, additive from that class's
// base); ExplainClass and ClassContributions explain a chosen class.
//
// LogisticParams{Multinomial: true} trains multinomial (softmax) logistic
// regression on the same kind of label, with scikit-learn's objective for
// LogisticRegression with lbfgs and more than two classes: one weight
// vector and intercept per class, ½‖W‖² + C·Σ loss, intercepts not
// penalised, solved by L-BFGS with the gradient computed over all cores.
// Everything above applies to it: PredictProba, Score's columns, the
// metrics, ClassWeight "balanced", and explanations, where a class's score
// splits into wₖⱼ·(xⱼ − x̄ⱼ) per feature from the base bₖ + wₖ·x̄.
// Calibrate calibrates either kind of multiclass model (see below).
//
//	m, _ := ml.Train(train, test, ml.Spec{
//		Label: "education", // 8 classes
//		GBM:   &ml.GBMParams{Objective: ml.ObjectiveMulticlass, Trees: 200, EarlyStopping: 20},
//	})
//	ev, _ := m.Evaluate(test)       // multi_logloss, accuracy, macro_f1, …, confusion matrix
//	p, _ := m.PredictProba(test)    // p.Row(i), p.Class(i)
//	why, _ := m.ExplainClass(test, 3, "university.degree")
//
//	lr, _ := ml.Train(train, test, ml.Spec{
//		Label:    "education",
//		Logistic: &ml.LogisticParams{C: 1, Multinomial: true},
//	})
//
// # Pipelines
//
// A Pipeline is a list of steps — Select, Drop, Impute (with missing-value
// indicators), Scale, OneHot, Ordinal and Category (with a policy for
// categories not seen in training), and quantile Bin — fitted on training
// data. Steps given
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
// # Explanations
//
// Model.Explain(f, k) gives the k input columns that moved each row's
// score most, with the row's value of each and its contribution, and
// renders as a table; Explanation.Waterfall(i) draws row i's score building
// up from the base value (plot.Waterfall). Contributions are additive on
// the margin (log-odds for binary models): base + Σ contributions = margin
// for every row. Trees get exact TreeSHAP values (Lundberg et al.'s
// polynomial-time algorithm, weighting the branches a row does not take
// by the training rows that went each way, as LightGBM's pred_contrib
// does); linear models get wⱼ·(xⱼ − x̄ⱼ) from the training means. A column
// the pipeline expands (one-hot categories, missing indicators) gets the
// sum of its features'. Model.Contributions returns the whole matrix, and
// ScoreOptions{Drivers: k} writes driver_i, driver_i_value and
// driver_i_contribution beside each score, so a scoring run carries the
// reasons with the scores.
//
//	why, _ := m.Explain(customers, 3)
//	why.Waterfall(0)
//	scored, _ := m.ScoreWith(customers, ml.ScoreOptions{Drivers: 3})
//
// # Calibration and search
//
// Model.Calibrate(f, method) fits Platt scaling (CalibratePlatt) or
// isotonic regression (CalibrateIsotonic) on held-out rows; the model then
// predicts calibrated probabilities and saves the calibration with it. A
// multiclass model is calibrated one-vs-rest, one calibrator per class on
// that class's probability, and each row's calibrated probabilities are
// divided by their sum so that they add up to 1, as scikit-learn's
// CalibratedClassifierCV does; the calibration rows must hold every
// class.
// Search tries hyperparameters by (stratified) cross-validation — the full
// grid of each Param's Values, or Trials random draws from values or
// ranges — running fits in parallel across cores, with a live progress bar
// through SearchOptions.Progress and a results table, best first; its Best
// field is the winning Spec.
//
//	res, _ := ml.Search(train, spec, ml.SearchOptions{
//		Params: []ml.Param{{Name: "LearningRate", Min: 0.02, Max: 0.3, Log: true}},
//		Trials: 8, Folds: 3, Progress: ml.ShowProgress(0),
//	})
//
// # Model files
//
// Save writes a zip holding manifest.json (format name and version) and
// model.json (schema, pipeline, parameters, trees or weights, metrics and
// training metadata). Load reads it back exactly: predictions are identical
// to the bit. Files from a newer format version are refused with an error;
// a model is written as the oldest version that holds it (2 for
// categorical splits, 3 for multinomial logistic models and multiclass
// calibration), so an older release refuses a model it would mispredict.
//
// # Without frames
//
// The numeric core works on plain slices too: Table holds named float64
// (NaN for missing) and string columns, Matrix is a column-major feature
// matrix, and FitLogistic, FitLinear and FitGBM train directly on it.
// Metrics (AUC, AUCPR, LogLoss, ConfusionAt, Lift, Calibration, RMSE, MAE,
// R2, and for multiclass MultiLogLoss, MacroAUC, ConfusionMatrix and
// MulticlassMetrics) take label and prediction slices; GBM.Contributions and
// LinearModel.Contributions explain a Matrix (ClassContributions one class
// of a multiclass model), and FitCalibrator and FitClassCalibrator
// calibrate binary and multiclass probability slices.
package ml
