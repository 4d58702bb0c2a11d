package web

import (
	"net/http"

	"github.com/galley-dev/galley/server"
)

// servicesView is the online scoring service: warm versions and canaries.
type servicesView struct {
	Serving  []server.ServingModel
	Canaries []server.Canary
}

func (h *Handler) servicesPage(w http.ResponseWriter, r *http.Request) {
	if h.Predict == nil {
		h.fail(w, r, server.Errorf(server.ENOTFOUND, "this server does not score online"))
		return
	}
	v := servicesView{Serving: h.Predict.Serving(r.Context()), Canaries: h.Predict.Canaries(r.Context())}
	h.render(w, r, "services", "Services", "services", v)
}
