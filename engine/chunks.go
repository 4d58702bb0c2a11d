package engine

// ChunkKind says how a cell's top-level element runs.
type ChunkKind int

// Kinds of Chunk.
const (
	ImportChunk ChunkKind = ChunkKind(importChunk)
	DeclChunk   ChunkKind = ChunkKind(declChunk) // func, method or type: hoisted
	StmtChunk   ChunkKind = ChunkKind(stmtChunk) // statements, var and const: run in order
)

// A Chunk is one top-level element of a cell, as the engine splits it.
type Chunk struct {
	Kind       ChunkKind
	Start, End int // byte offsets in the cell
}

// Split cuts a cell into its top-level imports, declarations and
// statements exactly as Execute does. Tools that read notebooks (the
// server's recipe conversion) use it so that a cell means the same thing
// to them as to the engine. Errors are scanner errors positioned in the
// cell ("cell:line:col").
func Split(code string) ([]Chunk, error) {
	chunks, err := splitCell(code)
	if err != nil {
		return nil, err
	}
	out := make([]Chunk, len(chunks))
	for i, c := range chunks {
		out[i] = Chunk{Kind: ChunkKind(c.kind), Start: c.start, End: c.end}
	}
	return out, nil
}
