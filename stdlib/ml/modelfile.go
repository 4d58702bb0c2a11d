package ml

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
)

// Model files are zip archives holding two JSON documents:
//
//	manifest.json  {"format": "galley-model", "version": 1, "kind": ..., ...}
//	model.json     the Model: input schema, fitted pipeline, parameters,
//	               trees or weights, metrics and training metadata
//
// JSON keeps the file self-describing and diffable, and Go's float
// formatting round-trips every float64 exactly, so a loaded model predicts
// bit for bit what the saved one did. Metric values that are NaN are
// stored as null.
const (
	modelFormat = "galley-model"
	// ModelFormatVersion is the newest model file version this package
	// reads and writes. Version 2 added categorical splits; version 3
	// multinomial logistic models and multiclass calibration. A model is
	// written as the oldest version that holds it, which older releases
	// read.
	ModelFormatVersion = 3
)

type manifest struct {
	Format  string `json:"format"`
	Version int    `json:"version"`
	Kind    string `json:"kind"`
	Task    string `json:"task"`
	Label   string `json:"label"`
}

// Save writes the model to path (conventionally ending in .galley).
func (m *Model) Save(path string) error {
	var buf bytes.Buffer
	if err := m.Write(&buf); err != nil {
		return err
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("ml: saving model: %w", err)
	}
	return nil
}

// Write writes the model file to w.
func (m *Model) Write(w io.Writer) error {
	zw := zip.NewWriter(w)
	put := func(name string, v any) error {
		fw, err := zw.Create(name)
		if err != nil {
			return err
		}
		enc := json.NewEncoder(fw)
		enc.SetIndent("", " ")
		return enc.Encode(v)
	}
	if err := put("manifest.json", manifest{Format: modelFormat, Version: m.formatVersion(), Kind: m.Kind, Task: m.Task, Label: m.Label}); err != nil {
		return fmt.Errorf("ml: writing model: %w", err)
	}
	if err := put("model.json", m); err != nil {
		return fmt.Errorf("ml: writing model: %w", err)
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("ml: writing model: %w", err)
	}
	return nil
}

// Load reads a model file written by Save.
func Load(path string) (*Model, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("ml: loading model: %w", err)
	}
	m, err := Read(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return nil, fmt.Errorf("%w (file %s)", err, path)
	}
	return m, nil
}

// Read reads a model file of size bytes from r.
func Read(r io.ReaderAt, size int64) (*Model, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil, fmt.Errorf("ml: not a galley model file: %w", err)
	}
	get := func(name string, v any) error {
		f, err := zr.Open(name)
		if err != nil {
			return fmt.Errorf("ml: model file has no %s: %w", name, err)
		}
		defer f.Close()
		if err := json.NewDecoder(f).Decode(v); err != nil {
			return fmt.Errorf("ml: reading %s: %w", name, err)
		}
		return nil
	}
	var man manifest
	if err := get("manifest.json", &man); err != nil {
		return nil, err
	}
	if man.Format != modelFormat {
		return nil, fmt.Errorf("ml: model file format is %q, want %q", man.Format, modelFormat)
	}
	if man.Version > ModelFormatVersion || man.Version < 1 {
		return nil, fmt.Errorf("ml: model file version %d is not supported (this galley reads versions 1 to %d); load it with a galley release that writes version %d, or retrain", man.Version, ModelFormatVersion, man.Version)
	}
	m := &Model{}
	if err := get("model.json", m); err != nil {
		return nil, err
	}
	if err := m.validate(); err != nil {
		return nil, fmt.Errorf("ml: invalid model file: %w", err)
	}
	for _, s := range m.Pipeline.Steps {
		s.prepare()
	}
	return m, nil
}

// formatVersion is the oldest model file version that holds m, so that
// releases that cannot score a model refuse its file instead of
// misreading it.
func (m *Model) formatVersion() int {
	if (m.Linear != nil && m.Linear.Multinomial()) || (m.Calibration != nil && m.Calibration.Classes != nil) {
		return 3
	}
	if m.GBM != nil {
		for _, t := range m.GBM.Trees {
			if t.Categories != nil {
				return 2
			}
		}
	}
	return 1
}

// validate checks that a decoded model is internally consistent, so a
// corrupt file fails at load rather than panicking while scoring.
func (m *Model) validate() error {
	if m.Pipeline == nil || m.Pipeline.Features == nil {
		return errors.New("no fitted pipeline")
	}
	d := len(m.Pipeline.Features)
	switch m.Kind {
	case KindLogistic, KindLinear:
		if m.Linear == nil {
			return fmt.Errorf("%s model has no weights", m.Kind)
		}
		if m.Linear.Multinomial() {
			if m.Kind != KindLogistic || m.Task != TaskMulticlass {
				return fmt.Errorf("a %s %s model has weights per class", m.Task, m.Kind)
			}
		} else if len(m.Linear.Weights) != d {
			return fmt.Errorf("%s model needs %d weights", m.Kind, d)
		}
	case KindGBM:
		if m.GBM == nil {
			return errors.New("gbm model has no trees")
		}
		for k, t := range m.GBM.Trees {
			nodes := len(t.Feature)
			if len(t.Threshold) != nodes || len(t.MissingLeft) != nodes || len(t.Left) != nodes || len(t.Right) != nodes || len(t.LeafValue) != nodes+1 {
				return fmt.Errorf("tree %d: node arrays disagree", k)
			}
			if (t.Count != nil || t.LeafCount != nil) && (len(t.Count) != nodes || len(t.LeafCount) != nodes+1) {
				return fmt.Errorf("tree %d: node counts disagree with its nodes", k)
			}
			if t.Categories != nil && len(t.Categories) != nodes {
				return fmt.Errorf("tree %d: %d category sets for %d nodes", k, len(t.Categories), nodes)
			}
			for i, codes := range t.Categories {
				for _, c := range codes {
					if c < 0 || c > maxCategoryCode {
						return fmt.Errorf("tree %d: category code %d at node %d out of range", k, c, i)
					}
				}
				if !slices.IsSorted(codes) {
					return fmt.Errorf("tree %d: category codes at node %d not in order", k, i)
				}
			}
			for i := 0; i < nodes; i++ {
				if t.Feature[i] < 0 || int(t.Feature[i]) >= d {
					return fmt.Errorf("tree %d: feature %d out of range", k, t.Feature[i])
				}
				for _, c := range []int32{t.Left[i], t.Right[i]} {
					if c >= int32(nodes) || (c >= 0 && c <= int32(i)) || (c < 0 && int(^c) > nodes) {
						return fmt.Errorf("tree %d: bad child %d at node %d", k, c, i)
					}
				}
			}
		}
	default:
		return fmt.Errorf("unknown model kind %q", m.Kind)
	}
	if err := m.validateClasses(); err != nil {
		return err
	}
	if m.Calibration != nil {
		if err := m.Calibration.validate(); err != nil {
			return err
		}
		if k := len(m.Calibration.Classes); (m.Task == TaskMulticlass) != (k > 0) || (k > 0 && k != len(m.Classes)) {
			return fmt.Errorf("a %s model with %d classes has a calibration for %d classes", m.Task, len(m.Classes), k)
		}
	}
	return nil
}

// nullableFloats encodes NaN as null.
func nullableFloats(v []float64) []*float64 {
	out := make([]*float64, len(v))
	for i := range v {
		if !math.IsNaN(v[i]) {
			out[i] = &v[i]
		}
	}
	return out
}

type metricsJSON struct {
	Title  string     `json:"title,omitempty"`
	Names  []string   `json:"names"`
	Values []*float64 `json:"values"`
}

// MarshalJSON writes NaN values as null.
func (m *Metrics) MarshalJSON() ([]byte, error) {
	return json.Marshal(metricsJSON{Title: m.Title, Names: m.Names, Values: nullableFloats(m.Values)})
}

// UnmarshalJSON reads null values as NaN.
func (m *Metrics) UnmarshalJSON(b []byte) error {
	var j metricsJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	m.Title, m.Names, m.Values = j.Title, j.Names, make([]float64, len(j.Values))
	for i, v := range j.Values {
		m.Values[i] = math.NaN()
		if v != nil {
			m.Values[i] = *v
		}
	}
	return nil
}

type progressJSON Progress

// MarshalJSON writes NaN metric values as 0 with has_valid false, since a
// validation metric is NaN only when it could not be computed.
func (p Progress) MarshalJSON() ([]byte, error) {
	q := progressJSON(p)
	if math.IsNaN(q.Train) {
		q.Train = 0
	}
	if math.IsNaN(q.Valid) {
		q.Valid, q.HasValid = 0, false
	}
	return json.Marshal(q)
}
