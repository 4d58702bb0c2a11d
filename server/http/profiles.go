package http

import (
	"context"
	"maps"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/galley-dev/galley/server"
)

// profileTargetRequest names the profile set a scoring run writes into and
// the scoring output's identity column.
type profileTargetRequest struct {
	Name string `json:"name" openapi:"name"`
	ID   string `json:"id" openapi:"column"`
}

// scoresResponse is one model's latest batch scores for one identity.
type scoresResponse struct {
	Name string `json:"name"`
	ID   string `json:"id"`
	server.ProfileAttributes
}

// profileConstraints are the constraints profile requests name; see
// constraints.
var profileConstraints = map[string]map[string]any{
	"column":     {"type": "string", "minLength": 1, "maxLength": 200},
	"profileKey": {"type": "string", "minLength": 1, "maxLength": server.MaxProfileIDLength},
	"scoreName":  {"type": "string", "pattern": `^[A-Za-z_][A-Za-z0-9_.-]{0,99}$`},
	"score":      {"type": "number"},
}

func init() { maps.Copy(constraints, profileConstraints) }

func (s *Server) profileRoutes() []route {
	return []route{
		{method: "GET", path: "/api/profiles", summary: "List profile sets", query: pageParams([]string{"name", "updated_at"}),
			status: 200, response: list[*server.ProfileSet]{}, handler: s.listProfileSets},
		{method: "GET", path: "/api/profiles/{name}", summary: "List a profile set's profiles by id, or those whose score lies in [min, max] by score, highest first",
			query: []param{
				{name: "model", typ: "string", desc: "only profiles this model scored"},
				{name: "score", typ: "scoreName", desc: "filter and order by this score of model (such as churn_probability)"},
				{name: "min", typ: "score", desc: "lowest score listed (with score)"},
				{name: "max", typ: "score", desc: "highest score listed (with score)"},
				{name: "after", typ: "string", desc: "only ids after this one, for paging through a whole set (not with score)"},
				{name: "limit", typ: "limit", desc: "items per page, up to 1000 (0 or absent: 50)"},
				{name: "offset", typ: "count", desc: "items to skip"},
			},
			status: 200, response: list[*server.Profile]{}, errors: []int{404}, handler: s.listProfiles},
		{method: "GET", path: "/api/profiles/{name}/{key}", summary: "Show one identity's profile: every model's latest attributes",
			status: 200, response: server.Profile{}, errors: []int{404}, handler: s.getProfile},
		{method: "GET", path: "/api/profiles/{name}/{key}/history", summary: "An identity's attribute changes, newest first",
			query: []param{
				{name: "limit", typ: "limit", desc: "items per page, up to 1000 (0 or absent: 50)"},
				{name: "offset", typ: "count", desc: "items to skip"},
			},
			status: 200, response: list[*server.ProfileChange]{}, errors: []int{404}, handler: s.profileHistory},
		{method: "GET", path: "/api/profiles/{name}/{key}/scores", summary: "An identity's latest batch scores from one model, without running it",
			query:  []param{{name: "model", typ: "string", desc: "the model (absent: the only model that scored the identity)"}},
			status: 200, response: scoresResponse{}, errors: []int{404}, handler: s.profileScores},
	}
}

// profiles returns the server's profile service, or answers that it keeps
// none and returns nil.
func (s *Server) profiles(w http.ResponseWriter, r *http.Request) server.ProfileService {
	if s.Profiles == nil {
		s.error(w, r, server.Errorf(server.ENOTIMPLEMENTED, "this server keeps no profiles"))
	}
	return s.Profiles
}

func (s *Server) listProfileSets(w http.ResponseWriter, r *http.Request) {
	if svc := s.profiles(w, r); svc != nil {
		listPage(s, w, r, func(p server.Page) ([]*server.ProfileSet, int, error) { return svc.FindProfileSets(r.Context(), p) })
	}
}

func (s *Server) listProfiles(w http.ResponseWriter, r *http.Request) {
	svc := s.profiles(w, r)
	if svc == nil {
		return
	}
	q := r.URL.Query()
	listPage(s, w, r, func(p server.Page) ([]*server.Profile, int, error) {
		f := server.ProfileFilter{Set: r.PathValue("name"), Model: q.Get("model"), Score: q.Get("score"), After: q.Get("after"), Page: p}
		for _, b := range []struct {
			name string
			dst  **float64
		}{{"min", &f.Min}, {"max", &f.Max}} {
			if v := q.Get(b.name); v != "" {
				x, _ := strconv.ParseFloat(v, 64) // checkQuery checked it
				*b.dst = &x
			}
		}
		return svc.FindProfiles(r.Context(), f)
	})
}

func (s *Server) getProfile(w http.ResponseWriter, r *http.Request) {
	if svc := s.profiles(w, r); svc != nil {
		p, err := svc.FindProfile(r.Context(), r.PathValue("name"), r.PathValue("key"))
		respond(s, w, r, 200, p, err)
	}
}

func (s *Server) profileHistory(w http.ResponseWriter, r *http.Request) {
	if svc := s.profiles(w, r); svc != nil {
		listPage(s, w, r, func(p server.Page) ([]*server.ProfileChange, int, error) {
			return svc.ProfileHistory(r.Context(), r.PathValue("name"), r.PathValue("key"), p)
		})
	}
}

func (s *Server) profileScores(w http.ResponseWriter, r *http.Request) {
	svc := s.profiles(w, r)
	if svc == nil {
		return
	}
	p, err := svc.FindProfile(r.Context(), r.PathValue("name"), r.PathValue("key"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	a, err := LatestScores(p, r.URL.Query().Get("model"))
	respond(s, w, r, 200, scoresResponse{Name: p.Name, ID: p.ID, ProfileAttributes: a}, err)
}

// LatestScores picks model's attributes from p; with model "", those of
// the only model that scored it.
func LatestScores(p *server.Profile, model string) (server.ProfileAttributes, error) {
	var models []string
	for _, a := range p.Attributes {
		if a.Model == model || model == "" && len(p.Attributes) == 1 {
			return a, nil
		}
		models = append(models, a.Model)
	}
	if model == "" {
		return server.ProfileAttributes{}, server.Errorf(server.EINVALID, "profile %s has scores of several models: name one with model (%s)", p.ID, strings.Join(models, ", "))
	}
	return server.ProfileAttributes{}, server.Errorf(server.ENOTFOUND, "model %s has not scored profile %s (it has scores of %s)", model, p.ID, strings.Join(models, ", "))
}

// The client side: Client implements server.ProfileService.

var _ server.ProfileService = (*Client)(nil)

// FindProfileSets implements server.ProfileService.
func (c *Client) FindProfileSets(ctx context.Context, p server.Page) ([]*server.ProfileSet, int, error) {
	var out list[*server.ProfileSet]
	err := c.do(ctx, "GET", "/api/profiles", pageQuery(p), nil, "", &out)
	return out.Items, out.Total, err
}

// FindProfile implements server.ProfileService.
func (c *Client) FindProfile(ctx context.Context, set, id string) (*server.Profile, error) {
	var out server.Profile
	return &out, c.json(ctx, "GET", "/api/profiles/"+seg(set)+"/"+seg(id), nil, &out)
}

// FindProfiles implements server.ProfileService.
func (c *Client) FindProfiles(ctx context.Context, f server.ProfileFilter) ([]*server.Profile, int, error) {
	q := pageQuery(f.Page, "model", f.Model, "score", f.Score, "after", f.After)
	for name, v := range map[string]*float64{"min": f.Min, "max": f.Max} {
		if v != nil {
			q.Set(name, strconv.FormatFloat(*v, 'g', -1, 64))
		}
	}
	var out list[*server.Profile]
	err := c.do(ctx, "GET", "/api/profiles/"+seg(f.Set), q, nil, "", &out)
	return out.Items, out.Total, err
}

// ProfileHistory implements server.ProfileService.
func (c *Client) ProfileHistory(ctx context.Context, set, id string, p server.Page) ([]*server.ProfileChange, int, error) {
	var out list[*server.ProfileChange]
	err := c.do(ctx, "GET", "/api/profiles/"+seg(set)+"/"+seg(id)+"/history", pageQuery(p), nil, "", &out)
	return out.Items, out.Total, err
}

// ProfileScores returns an identity's latest scores from model ("" for
// the only model that scored it), as GET /api/profiles/{name}/{id}/scores.
func (c *Client) ProfileScores(ctx context.Context, set, id, model string) (*server.ProfileAttributes, error) {
	var out scoresResponse
	q := url.Values{}
	if model != "" {
		q.Set("model", model)
	}
	err := c.do(ctx, "GET", "/api/profiles/"+seg(set)+"/"+seg(id)+"/scores", q, nil, "", &out)
	return &out.ProfileAttributes, err
}
