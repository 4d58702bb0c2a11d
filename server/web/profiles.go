package web

import (
	"net/http"
	"net/url"
	"sort"
	"strconv"

	"github.com/galley-dev/galley/server"
)

// profileSetsView lists profile sets beside a lookup form.
type profileSetsView struct {
	Sets  []*server.ProfileSet
	Pager pager
}

func (h *Handler) profileSetsPage(w http.ResponseWriter, r *http.Request) {
	// The lookup form sends the set and the id.
	if set, id := r.URL.Query().Get("set"), r.URL.Query().Get("id"); set != "" && id != "" {
		http.Redirect(w, r, "/ui/profiles/"+url.PathEscape(set)+"/"+url.PathEscape(id), http.StatusFound)
		return
	}
	listPage(h, w, r, "profiles", "Profiles", func(p server.Page) ([]*server.ProfileSet, int, error) {
		return h.Profiles.FindProfileSets(r.Context(), p)
	}, func(sets []*server.ProfileSet, pg pager) any { return profileSetsView{Sets: sets, Pager: pg} })
}

// profileSetView is one set's profiles, filtered by a score range.
type profileSetView struct {
	Set      *server.ProfileSet
	Profiles []*server.Profile
	Pager    pager
	// The filter as given, to fill the form again.
	Model, Score, Min, Max string
	// Scores are the score names of the listed profiles' attributes, for
	// the table's columns.
	Scores []string
}

func (h *Handler) profileSetPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	q := r.URL.Query()
	name := r.PathValue("name")
	// The lookup form sends the id as a query parameter.
	if id := q.Get("id"); id != "" {
		http.Redirect(w, r, "/ui/profiles/"+url.PathEscape(name)+"/"+url.PathEscape(id), http.StatusFound)
		return
	}
	set, err := h.findSet(r, name)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	p, err := pageOf(q, 50)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	v := profileSetView{Set: set, Model: q.Get("model"), Score: q.Get("score"), Min: q.Get("min"), Max: q.Get("max")}
	f := server.ProfileFilter{Set: name, Model: v.Model, Score: v.Score, Page: p}
	for _, b := range []struct {
		text string
		dst  **float64
	}{{v.Min, &f.Min}, {v.Max, &f.Max}} {
		if b.text == "" {
			continue
		}
		x, err := strconv.ParseFloat(b.text, 64)
		if err != nil {
			h.fail(w, r, server.Errorf(server.EINVALID, "%q is not a number: give score bounds such as 0.7", b.text))
			return
		}
		*b.dst = &x
	}
	var total int
	if v.Profiles, total, err = h.Profiles.FindProfiles(ctx, f); err != nil {
		h.fail(w, r, err)
		return
	}
	v.Pager = pagerOf(q, p, total)
	seen := map[string]bool{}
	for _, pr := range v.Profiles {
		for _, a := range pr.Attributes {
			for k := range a.Scores {
				if !seen[k] {
					seen[k] = true
					v.Scores = append(v.Scores, k)
				}
			}
		}
	}
	sort.Strings(v.Scores)
	h.render(w, r, "profileset", "Profiles "+name, "profiles", v)
}

// findSet finds a set by name through the list: sets are few.
func (h *Handler) findSet(r *http.Request, name string) (*server.ProfileSet, error) {
	if err := server.CheckName("profile", name); err != nil {
		return nil, err
	}
	for off := 0; ; off += server.MaxLimit {
		sets, total, err := h.Profiles.FindProfileSets(r.Context(), server.Page{Offset: off, Limit: server.MaxLimit})
		if err != nil {
			return nil, err
		}
		for _, s := range sets {
			if s.Name == name {
				return s, nil
			}
		}
		if off+server.MaxLimit >= total {
			return nil, server.Errorf(server.ENOTFOUND, "profile set %s not found: scoring runs create it with --profile %s", name, name)
		}
	}
}

// profileView is one identity's profile and its history.
type profileView struct {
	Profile *server.Profile
	History []*server.ProfileChange
	// Drivers says whether any change on this page has drivers; the
	// history shows their column only then.
	Drivers bool
	Pager   pager
}

func (h *Handler) profilePage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	name, id := r.PathValue("name"), r.PathValue("id")
	pr, err := h.Profiles.FindProfile(ctx, name, id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	p, err := pageOf(r.URL.Query(), 50)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	v := profileView{Profile: pr}
	var total int
	if v.History, total, err = h.Profiles.ProfileHistory(ctx, name, id, p); err != nil {
		h.fail(w, r, err)
		return
	}
	for _, c := range v.History {
		v.Drivers = v.Drivers || len(c.Drivers) > 0
	}
	v.Pager = pagerOf(r.URL.Query(), p, total)
	h.render(w, r, "profile", "Profile "+id+" in "+name, "profiles", v)
}
