// Package server holds the domain of galley's companion server: recipes
// converted from notebooks, models configured from recipes, training and
// scoring runs, trained models with aliases, and datasets with lineage.
//
// The package declares types and service interfaces only. Implementations
// live in subpackages named for what they depend on — sqlite and postgres
// (storage), http (the REST API and its client), notebook (conversion),
// worker (the run pool, the recipe runner on the cell engine, and the
// Importer that validates notebooks in that pool) and datasets (dataset
// files) — and cmd/galley wires them together. The HTTP client implements
// the same service interfaces as the server side, so the CLI works against
// either.
//
// Every error a service returns that a caller can act on is an *Error with a
// code; ErrorCode and ErrorMessage read them back.
package server

import (
	"errors"
	"fmt"
)

// Error codes. Transports map each to a status (HTTP: 404, 400, 409, 401,
// 403, 413, 415, 429, 500, …).
const (
	ECONFLICT       = "conflict"
	EINTERNAL       = "internal"
	EINVALID        = "invalid"
	ENOTFOUND       = "not_found"
	EUNAUTHORIZED   = "unauthorized"
	ETOOLARGE       = "too_large"
	ENOTIMPLEMENTED = "not_implemented"
	// EFORBIDDEN: the request came from somewhere the server does not
	// trust (a foreign Host or Origin), whatever its credentials.
	EFORBIDDEN = "forbidden"
	// EMEDIATYPE: the request body is of a type the endpoint does not take.
	EMEDIATYPE = "unsupported_media_type"
	// ETOOMANY: the client has too many requests of this kind under way.
	ETOOMANY = "too_many_requests"
)

// Error is a service error with a code and a message for the user.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Errorf returns an *Error with code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the *Error in err's chain, EINTERNAL for
// other errors and "" for nil.
func ErrorCode(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the user-facing message of the *Error in err's chain,
// or a generic one for internal errors, which must not leak details.
func ErrorMessage(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Message
	}
	return "internal error: see the server log"
}

// Page selects part of a list and its order.
type Page struct {
	// Offset skips that many items; Limit caps the count (0: the service
	// default, at most MaxLimit).
	Offset int
	Limit  int
	// Order is a field name, prefixed with "-" for descending order. Each
	// list documents the fields it accepts; "" is its default order.
	Order string
}

// DefaultLimit and MaxLimit bound list sizes.
const (
	DefaultLimit = 50
	MaxLimit     = 1000
)

// Normalize applies defaults and rejects out-of-range values.
func (p *Page) Normalize(orders ...string) error {
	if p.Offset < 0 {
		return Errorf(EINVALID, "offset %d is negative: use 0 or more", p.Offset)
	}
	if p.Limit < 0 || p.Limit > MaxLimit {
		return Errorf(EINVALID, "limit %d is out of range: use 1 to %d", p.Limit, MaxLimit)
	}
	if p.Limit == 0 {
		p.Limit = DefaultLimit
	}
	if p.Order == "" {
		return nil
	}
	for _, o := range orders {
		if p.Order == o || p.Order == "-"+o {
			return nil
		}
	}
	return Errorf(EINVALID, "cannot order by %q: use one of %v, with a leading - for descending", p.Order, orders)
}

// Fields each list can be ordered by (Page.Order, optionally prefixed
// with "-").
var (
	RecipeOrders         = []string{"name", "created_at", "updated_at"}
	VersionOrders        = []string{"version", "created_at"}
	ModelOrders          = []string{"name", "created_at"}
	TrainedModelOrders   = []string{"version", "created_at"}
	RunOrders            = []string{"id", "created_at", "state"}
	DatasetOrders        = []string{"name", "updated_at", "created_at"}
	DatasetVersionOrders = []string{"version", "created_at"}
)
