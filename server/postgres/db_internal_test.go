package postgres

import "testing"

func TestRebind(t *testing.T) {
	tests := []struct{ in, want string }{
		{`SELECT 1`, `SELECT 1`},
		{`WHERE a = ? AND b = ?`, `WHERE a = $1 AND b = $2`},
		// "?N" names a parameter; a bare "?" after it takes the next number,
		// as in SQLite.
		{`SET a = ?, b = ?, c = ?, d = ?3 WHERE id = ? AND v = ?`, `SET a = $1, b = $2, c = $3, d = $3 WHERE id = $4 AND v = $5`},
		{`finished_at = ?1, started_at = ?1`, `finished_at = $1, started_at = $1`},
		{`SELECT id, ?::text, ?::bigint FROM models WHERE name = ?`, `SELECT id, $1::text, $2::bigint FROM models WHERE name = $3`},
		// Question marks in string literals are text.
		{`SELECT '?' || ? || 'why?'`, `SELECT '?' || $1 || 'why?'`},
		{`SELECT 'it''s ?', ?`, `SELECT 'it''s ?', $1`},
	}
	for _, tt := range tests {
		if got := rebind(tt.in); got != tt.want {
			t.Errorf("rebind(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestRedact(t *testing.T) {
	tests := []struct{ in, want string }{
		{"postgres://galley:s3cret@db:5432/galley?sslmode=require", "postgres://galley:xxxxx@db:5432/galley?sslmode=require"},
		{"postgres://galley@db/galley", "postgres://galley@db/galley"},
		{"postgres://galley:p@ss@[::1/galley", "postgres://galley:xxxxx@[::1/galley"},
		{"host=db user=galley password=s3cret dbname=galley", "host=db user=galley password=xxxxx dbname=galley"},
		{"host=db password='a b' dbname=galley", "host=db password=xxxxx dbname=galley"},
	}
	for _, tt := range tests {
		if got := Redact(tt.in); got != tt.want {
			t.Errorf("Redact(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
