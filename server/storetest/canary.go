package storetest

import (
	"math"
	"testing"

	"github.com/galley-dev/galley/server"
)

// testCanaries sets, replaces and removes a model's canary: bad weights,
// models and versions are refused, and the version a canary names cannot
// be deleted.
func testCanaries(t *testing.T, s Store) {
	trained(t, s)
	v2 := trainAgain(t, s)
	if list, err := s.FindCanaries(ctx); err != nil || len(list) != 0 {
		t.Fatalf("canaries of a new store = %+v, %v; want none", list, err)
	}
	for _, w := range []float64{1.5, -0.1, math.NaN(), math.Inf(1)} {
		_, err := s.SetCanary(ctx, server.Canary{Model: "m", Version: 1, Weight: w})
		wantCode(t, err, server.EINVALID)
	}
	_, err := s.SetCanary(ctx, server.Canary{Model: "nope", Version: 1, Weight: 0.5})
	wantCode(t, err, server.ENOTFOUND)
	_, err = s.SetCanary(ctx, server.Canary{Model: "m", Version: 9, Weight: 0.5})
	wantCode(t, err, server.EINVALID)
	if list, _ := s.FindCanaries(ctx); len(list) != 0 {
		t.Fatalf("canaries after refused writes = %+v; want none", list)
	}

	c, err := s.SetCanary(ctx, server.Canary{Model: "m", Version: 1, Weight: 0.25})
	must(t, err)
	if c.Model != "m" || c.Version != 1 || c.Weight != 0.25 || c.UpdatedAt.IsZero() {
		t.Errorf("set canary = %+v", c)
	}
	list, err := s.FindCanaries(ctx)
	must(t, err)
	if len(list) != 1 || list[0].Model != "m" || list[0].Version != 1 || list[0].Weight != 0.25 || !list[0].UpdatedAt.Equal(c.UpdatedAt) {
		t.Fatalf("canaries = %+v; want m's, version 1 at 0.25 as set at %s", list, c.UpdatedAt)
	}
	// Setting it again replaces it.
	_, err = s.SetCanary(ctx, server.Canary{Model: "m", Version: 2, Weight: 1})
	must(t, err)
	if list, _ := s.FindCanaries(ctx); len(list) != 1 || list[0].Version != 2 || list[0].Weight != 1 {
		t.Fatalf("canaries after replacing = %+v; want m's only, version 2 at 1", list)
	}
	// The version a canary sends requests to stays until the canary goes.
	wantConflict(t, s.DeleteTrainedModel(ctx, v2), "canary", "--weight 0")
	// Weight 0 removes it; no version is needed.
	c, err = s.SetCanary(ctx, server.Canary{Model: "m", Weight: 0})
	must(t, err)
	if c.Model != "m" || c.Weight != 0 || c.Version != 0 {
		t.Errorf("removed canary = %+v; want m with weight 0", c)
	}
	if list, _ := s.FindCanaries(ctx); len(list) != 0 {
		t.Fatalf("canaries after removing = %+v; want none", list)
	}
	must(t, s.DeleteTrainedModel(ctx, v2))
	// Removing a canary the model does not have is no error.
	_, err = s.SetCanary(ctx, server.Canary{Model: "m", Weight: 0})
	must(t, err)
}
