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
	canaries, err := h.Predict.Canaries(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	v := servicesView{Serving: h.Predict.Serving(r.Context()), Canaries: canaries}
	h.render(w, r, "services", "Services", "services", v)
}
