package http

import (
	"maps"
	"math"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/galley-dev/galley/server"
)

// NamePattern is what recipe, model and dataset names must match;
// AliasPattern is what aliases must match (at most 100 characters long):
// they start with a letter and are not v followed by digits, so that they
// cannot be mistaken for version numbers such as 3 or v3.
const (
	NamePattern  = `^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$`
	AliasPattern = `^([A-Za-uw-z][A-Za-z0-9._-]*|v|v[0-9]*[A-Za-z._-][A-Za-z0-9._-]*)$`
)

var pathParamRE = regexp.MustCompile(`\{([a-z]+)\}`)

// Fragments of the patterns above, for references such as MODEL@ALIAS.
const (
	namePart  = `[A-Za-z0-9][A-Za-z0-9._-]{0,99}`
	aliasPart = `[A-Za-z][A-Za-z0-9._-]{0,99}`
	// Versions are int32s; nine digits always fit.
	versionPart = `v?[0-9]{1,9}`
)

// constraints are the schemas of values the API accepts, by kind. Request
// fields name theirs with an `openapi:"KIND"` tag; path parameters are
// looked up by their name in pathConstraint.
var constraints = map[string]map[string]any{
	"name":  {"type": "string", "pattern": NamePattern},
	"alias": {"type": "string", "pattern": AliasPattern, "maxLength": 100},
	// A trained model: MODEL, MODEL@VERSION or MODEL@ALIAS.
	"trainedModel": {"type": "string", "pattern": `^` + namePart + `(@(` + versionPart + `|` + aliasPart + `))?$`},
	// What follows MODEL@ in a trained model reference.
	"trainedRef": {"type": "string", "pattern": `^(` + versionPart + `|` + aliasPart + `)$`},
	// A dataset version: NAME or NAME@VERSION.
	"dataset": {"type": "string", "pattern": `^` + namePart + `(@` + versionPart + `)?$`},
	"id":      {"type": "integer", "format": "int64", "minimum": 0, "maximum": int64(math.MaxInt64)},
	// Version numbers; 0 stands for the latest where a version is looked up.
	"version": {"type": "integer", "format": "int32", "minimum": 0, "maximum": math.MaxInt32},
	// A version that must exist, such as the target of an alias.
	"exactVersion": {"type": "integer", "format": "int32", "minimum": 1, "maximum": math.MaxInt32},
	"count":        {"type": "integer", "format": "int64", "minimum": 0, "maximum": int64(math.MaxInt64)},
	"limit":        {"type": "integer", "minimum": 0, "maximum": server.MaxLimit},
	// Recipe parameter values: strings, numbers or booleans by name.
	"params": {"type": "object", "additionalProperties": map[string]any{
		"anyOf": []any{map[string]any{"type": "string"}, map[string]any{"type": "number"}, map[string]any{"type": "boolean"}}}},
	// A Jupyter notebook, as the .ipynb file holds it: what the server reads
	// of nbformat 4.
	"notebook": notebookSchema,
	// Rows to score: MLflow's dataframe_split and dataframe_records forms.
	"frameSplit": {"type": "object", "required": []any{"columns", "data"}, "properties": map[string]any{
		"columns": map[string]any{"type": "array", "items": stringSchema},
		"data":    map[string]any{"type": "array", "items": map[string]any{"type": "array", "items": cellSchema}},
		"index":   map[string]any{"type": "array"},
	}},
	"frameRecords": {"type": "array", "items": map[string]any{"type": "object", "additionalProperties": cellSchema}},
	// A share of requests.
	"weight": {"type": "number", "minimum": 0, "maximum": 1},
}

var (
	stringSchema   = map[string]any{"type": "string"}
	cellSchema     = map[string]any{"nullable": true, "anyOf": []any{stringSchema, map[string]any{"type": "number"}, map[string]any{"type": "boolean"}}}
	notebookSchema = map[string]any{
		"type":     "object",
		"required": []any{"nbformat", "nbformat_minor", "cells"},
		"properties": map[string]any{
			"nbformat":       map[string]any{"type": "integer", "enum": []any{4}},
			"nbformat_minor": map[string]any{"type": "integer", "minimum": 0, "maximum": 5},
			"metadata": map[string]any{"type": "object", "properties": map[string]any{
				"galley": map[string]any{"type": "object", "description": "a dataset to dry-run the recipe on when it is converted", "properties": map[string]any{
					"sample":      stringSchema,
					"sample_rows": map[string]any{"type": "integer", "minimum": 0, "maximum": math.MaxInt32},
				}},
			}},
			"cells": map[string]any{"type": "array", "items": map[string]any{
				"type":     "object",
				"required": []any{"cell_type", "source"},
				"properties": map[string]any{
					"id":        stringSchema,
					"cell_type": map[string]any{"type": "string", "enum": []any{"code", "markdown", "raw"}},
					"source":    map[string]any{"anyOf": []any{stringSchema, map[string]any{"type": "array", "items": stringSchema}}},
					"metadata": map[string]any{"type": "object", "properties": map[string]any{
						"tags": map[string]any{"type": "array", "items": stringSchema},
					}},
				},
			}},
		},
	}
)

// pathConstraint names the constraint of each path parameter.
var pathConstraint = map[string]string{"model": "trainedModel", "name": "name", "alias": "alias", "ref": "trainedRef", "id": "id", "version": "version", "key": "profileKey"}

// constraint returns a copy of the schema of kind, which callers may extend.
func constraint(kind string) map[string]any {
	c, ok := constraints[kind]
	if !ok {
		panic("openapi: no constraint " + strconv.Quote(kind))
	}
	return maps.Clone(c)
}

// OpenAPI returns the OpenAPI 3.0 document describing the routes this
// server mounts.
func (s *Server) OpenAPI() map[string]any {
	schemas := map[string]any{}
	paths := map[string]any{}
	errorRef := map[string]any{"$ref": "#/components/schemas/Error"}
	schemas["Error"] = schemaOf(reflect.TypeOf(errorBody{}), schemas)
	for _, r := range s.routes() {
		op := map[string]any{
			"summary":     r.summary,
			"operationId": operationID(r),
		}
		var params []any
		for _, m := range pathParamRE.FindAllStringSubmatch(r.path, -1) {
			params = append(params, map[string]any{"name": m[1], "in": "path", "required": true, "schema": constraint(pathConstraint[m[1]])})
		}
		for _, q := range r.query {
			sch := map[string]any{"type": q.typ}
			if q.typ != "string" {
				sch = constraint(q.typ)
			}
			if q.enum != nil {
				sch["enum"] = q.enum
			}
			params = append(params, map[string]any{"name": q.name, "in": "query", "required": false, "description": q.desc, "schema": sch})
		}
		if params != nil {
			op["parameters"] = params
		}
		if r.body != nil {
			op["requestBody"] = map[string]any{"required": true, "content": map[string]any{
				"application/json": map[string]any{"schema": schemaOf(reflect.TypeOf(r.body), schemas)}}}
		} else if r.bodyType != "" {
			op["requestBody"] = map[string]any{"required": true, "content": map[string]any{
				r.bodyType: map[string]any{"schema": map[string]any{"type": "string"}}}}
		}
		responses := map[string]any{}
		ok := map[string]any{"description": "success"}
		if s, isString := r.response.(string); isString && s == "csv" {
			ok["content"] = map[string]any{"text/csv": map[string]any{"schema": map[string]any{"type": "string"}}}
		} else if isString && s == "parquet" {
			ok["content"] = map[string]any{ParquetType: map[string]any{"schema": map[string]any{"type": "string", "format": "binary"}}}
		} else if r.response != nil {
			ok["content"] = map[string]any{"application/json": map[string]any{"schema": schemaOf(reflect.TypeOf(r.response), schemas)}}
		}
		responses[strconv.Itoa(r.status)] = ok
		if r.path == "/api/recipes" && r.method == "POST" {
			responses["200"] = map[string]any{"description": "an identical version already exists", "content": ok["content"]}
		}
		errs := append([]int{400, 401, 403, 500}, r.errors...)
		if r.contentType() != "" {
			errs = append(errs, 415)
		}
		if r.path == "/api/health" || r.path == "/api/openapi.json" {
			op["security"] = []any{}
		}
		for _, code := range errs {
			responses[strconv.Itoa(code)] = map[string]any{"description": errorText(code), "content": map[string]any{"application/json": map[string]any{"schema": errorRef}}}
		}
		op["responses"] = responses
		item, _ := paths[r.path].(map[string]any)
		if item == nil {
			item = map[string]any{}
			paths[r.path] = item
		}
		item[strings.ToLower(r.method)] = op
	}
	return map[string]any{
		"openapi": "3.0.3",
		"info": map[string]any{
			"title":       "galley server API",
			"version":     "1",
			"description": "Recipes converted from notebooks, models, training and scoring runs, and datasets with lineage.",
		},
		"paths": paths,
		"components": map[string]any{
			"schemas":         schemas,
			"securitySchemes": map[string]any{"bearer": map[string]any{"type": "http", "scheme": "bearer"}},
		},
		"security": []any{map[string]any{"bearer": []any{}}},
	}
}

func errorText(code int) string {
	switch code {
	case 400:
		return "invalid request"
	case 401:
		return "missing or wrong bearer token"
	case 403:
		return "the request's Host or Origin is not one this server trusts"
	case 404:
		return "not found"
	case 409:
		return "conflict with the current state"
	case 413:
		return "request body too large"
	case 429:
		return "too many requests of this kind under way from this client"
	case 415:
		return "the request body is not of the declared content type"
	}
	return "internal error"
}

func operationID(r route) string {
	var b strings.Builder
	b.WriteString(strings.ToLower(r.method))
	for _, part := range strings.Split(strings.TrimPrefix(r.path, "/api/"), "/") {
		part = strings.Trim(part, "{}")
		part = strings.ReplaceAll(strings.ReplaceAll(part, ".", "_"), "-", "_")
		if part != "" {
			b.WriteString(strings.ToUpper(part[:1]) + part[1:])
		}
	}
	return b.String()
}

var timeType = reflect.TypeOf(time.Time{})

// schemaExtender is a wire type whose schema says more than its fields do,
// such as which of its optional fields must be given together.
type schemaExtender interface{ extendSchema(map[string]any) }

// schemaOf describes t as a JSON schema, registering named struct types in
// schemas and referring to them.
func schemaOf(t reflect.Type, schemas map[string]any) map[string]any {
	switch t.Kind() {
	case reflect.Pointer:
		s := schemaOf(t.Elem(), schemas)
		if _, isRef := s["$ref"]; isRef {
			return map[string]any{"allOf": []any{s}, "nullable": true}
		}
		s["nullable"] = true
		return s
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int64, reflect.Int32:
		return map[string]any{"type": "integer"}
	case reflect.Float64, reflect.Float32:
		return map[string]any{"type": "number"}
	case reflect.Slice:
		if t == reflect.TypeOf([]byte(nil)) || t.Name() == "RawMessage" {
			return map[string]any{"type": "object"}
		}
		return map[string]any{"type": "array", "items": schemaOf(t.Elem(), schemas)}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": schemaOf(t.Elem(), schemas)}
	case reflect.Interface:
		return map[string]any{}
	case reflect.Struct:
		if t == timeType {
			return map[string]any{"type": "string", "format": "date-time"}
		}
		name := schemaName(t)
		if _, done := schemas[name]; !done {
			schemas[name] = map[string]any{} // break cycles
			props := map[string]any{}
			var required []string
			addFields(t, props, &required, schemas)
			s := map[string]any{"type": "object", "properties": props}
			if len(required) > 0 {
				s["required"] = required
			}
			if e, ok := reflect.New(t).Elem().Interface().(schemaExtender); ok {
				e.extendSchema(s)
			}
			schemas[name] = s
		}
		return map[string]any{"$ref": "#/components/schemas/" + name}
	}
	return map[string]any{}
}

func addFields(t reflect.Type, props map[string]any, required *[]string, schemas map[string]any) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if f.Anonymous {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			addFields(ft, props, required, schemas)
			continue
		}
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("json")
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		if kind := f.Tag.Get("openapi"); kind != "" {
			c := constraint(kind)
			if f.Type.Kind() == reflect.Pointer {
				// Optional fields decode null as absent.
				c["nullable"] = true
			}
			props[name] = c
		} else {
			props[name] = schemaOf(f.Type, schemas)
		}
		if !strings.Contains(opts, "omitempty") && !strings.Contains(opts, "omitzero") && f.Type.Kind() != reflect.Pointer {
			*required = append(*required, name)
		}
	}
}

func schemaName(t reflect.Type) string {
	name := t.Name()
	// Generic list types print as list[*pkg.T]; name them TList.
	if i := strings.IndexByte(name, '['); i >= 0 {
		inner := name[i+1 : len(name)-1]
		inner = inner[strings.LastIndexAny(inner, ".*")+1:]
		return inner + "List"
	}
	return strings.ToUpper(name[:1]) + name[1:]
}
