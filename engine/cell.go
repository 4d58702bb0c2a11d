package engine

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/scanner"
	"go/token"
	"slices"
	"strings"
)

// cellFile is the name positions in a cell are reported against.
const cellFile = "cell"

type chunkKind int

const (
	importChunk chunkKind = iota
	declChunk             // func, method, type or const declaration: hoisted
	stmtChunk             // statements and var: run in order
)

// A chunk is one top-level element of a cell: an import, a declaration or
// a statement, with its place in the cell.
type chunk struct {
	kind  chunkKind
	start int // byte offsets in the cell
	end   int
	// tuple marks a cell's final statement that is a list of expressions,
	// "a, b": not a Go statement, it shows all the values.
	tuple bool
}

// srcToken is a token of Go source, at byte offset off.
type srcToken struct {
	off int
	tok token.Token
	lit string
}

// scanTokens returns the tokens of Go source src, with the semicolons Go
// inserts at line ends; errh, unless nil, hears of malformed tokens at
// positions in a file named filename.
func scanTokens(filename, src string, errh scanner.ErrorHandler) []srcToken {
	file := token.NewFileSet().AddFile(filename, -1, len(src))
	var s scanner.Scanner
	s.Init(file, []byte(src), errh, 0)
	var toks []srcToken
	for {
		pos, t, lit := s.Scan()
		if t == token.EOF {
			return toks
		}
		toks = append(toks, srcToken{file.Offset(pos), t, lit})
	}
}

// splitCell cuts a cell into top-level chunks at the semicolons (written or
// implied by newlines) that are outside any brackets. Go's grammar cannot
// parse declarations and statements together, so each chunk is classified
// by its first tokens and later placed where Go allows it.
func splitCell(src string) ([]chunk, error) {
	var errs scanner.ErrorList
	toks := scanTokens(cellFile, src, func(pos token.Position, msg string) { errs.Add(pos, msg) })
	if errs.Len() > 0 {
		return nil, errs
	}

	var chunks []chunk
	depth := 0
	// header is set between if/for/switch and the brace opening its body,
	// where semicolons separate clauses rather than statements.
	header := false
	first := -1 // index in toks of the current chunk's first token
	flush := func(endTok int) {
		if first < 0 {
			return
		}
		last := toks[endTok-1]
		end := last.off + len(last.lit)
		if last.lit == "" {
			end = last.off + len(last.tok.String())
		}
		end = min(end, len(src))
		c := chunk{kind: stmtChunk, start: toks[first].off, end: end}
		switch toks[first].tok {
		case token.IMPORT:
			c.kind = importChunk
		case token.TYPE, token.CONST:
			// Constants are hoisted with the types: they are package
			// constants for later cells, as in a Go file, and their
			// values cannot depend on statements.
			c.kind = declChunk
		case token.FUNC:
			if isFuncDecl(toks[first:endTok], func(i int) token.Token { return toks[first+i].tok }) {
				c.kind = declChunk
			}
		}
		c.tuple = c.kind == stmtChunk && isExprList(toks[first:endTok], func(i int) token.Token { return toks[first+i].tok })
		chunks = append(chunks, c)
		first = -1
	}
	for i, t := range toks {
		switch t.tok {
		case token.IF, token.FOR, token.SWITCH, token.SELECT:
			if depth == 0 {
				header = true
			}
		case token.LBRACE:
			if depth == 0 {
				header = false
			}
			depth++
		case token.LPAREN, token.LBRACK:
			depth++
		case token.RPAREN, token.RBRACE, token.RBRACK:
			depth--
		case token.SEMICOLON:
			if depth == 0 && !header {
				flush(i)
				continue
			}
		}
		if first < 0 {
			first = i
		}
	}
	flush(len(toks))
	if len(toks) > 0 && toks[0].tok == token.PACKAGE {
		// A pasted program starts with its package clause. Cells are
		// package main; the clause says nothing more.
		if len(toks) < 2 || toks[1].tok != token.IDENT || toks[1].lit != "main" {
			l, c := lineCol(src, toks[0].off)
			name := ""
			if len(toks) > 1 {
				name = toks[1].lit
			}
			errs.Add(token.Position{Filename: cellFile, Line: l, Column: c},
				fmt.Sprintf("cells are package main, not package %s; remove the package clause or name it main", name))
			return nil, errs
		}
		chunks = chunks[1:]
	}
	for i := range chunks {
		// Only a cell's last statement shows values.
		chunks[i].tuple = chunks[i].tuple && i == len(chunks)-1
	}
	return chunks, nil
}

// isExprList reports whether a statement is two or more expressions
// separated by commas: commas outside brackets, and no keyword, assignment,
// send or label.
func isExprList[T any](toks []T, at func(int) token.Token) bool {
	if len(toks) == 0 || at(0).IsKeyword() {
		return false
	}
	depth, commas := 0, 0
	for i := range toks {
		switch t := at(i); t {
		case token.LPAREN, token.LBRACK, token.LBRACE:
			depth++
		case token.RPAREN, token.RBRACK, token.RBRACE:
			depth--
		case token.COMMA:
			if depth == 0 {
				commas++
			}
		case token.DEFINE, token.ASSIGN, token.ARROW, token.COLON, token.INC, token.DEC:
			if depth == 0 && (t != token.ARROW || i > 0) {
				return false
			}
		default:
			if depth == 0 && t > token.ASSIGN && t < token.ARROW || depth == 0 && t >= token.ADD_ASSIGN && t <= token.AND_NOT_ASSIGN {
				return false
			}
		}
	}
	return commas > 0
}

// isFuncDecl tells a function or method declaration from a statement that
// starts with a function literal: a declaration names the function right
// after `func` or after the receiver's parentheses.
func isFuncDecl[T any](toks []T, at func(int) token.Token) bool {
	if len(toks) < 2 {
		return false
	}
	switch at(1) {
	case token.IDENT:
		return true
	case token.LPAREN:
		depth := 0
		for i := 1; i < len(toks); i++ {
			switch at(i) {
			case token.LPAREN, token.LBRACK, token.LBRACE:
				depth++
			case token.RPAREN, token.RBRACK, token.RBRACE:
				depth--
				if depth == 0 {
					return i+2 < len(toks) && at(i+1) == token.IDENT && (at(i+2) == token.LPAREN || at(i+2) == token.LBRACK)
				}
			}
		}
	}
	return false
}

// lineCol returns the 1-based line and column (in bytes) of off in src.
func lineCol(src string, off int) (line, col int) {
	before := src[:off]
	line = strings.Count(before, "\n") + 1
	col = off - strings.LastIndexByte(before, '\n')
	return line, col
}

// lineDirective makes positions of the text that follows it report as the
// cell's own line and column, whatever surrounds the text after rewriting.
func lineDirective(src string, off int) string {
	l, c := lineCol(src, off)
	return fmt.Sprintf("/*line %s:%d:%d*/", cellFile, l, c)
}

func parseFile(fset *token.FileSet, name, src string) (*ast.File, error) {
	return parser.ParseFile(fset, name, src, parser.ParseComments|parser.SkipObjectResolution)
}

// commentAbove returns the text of the // comment lines right above the
// line holding off, as a doc comment reads: markers and directives removed.
func commentAbove(src string, off int) string {
	lineStart := strings.LastIndexByte(src[:off], '\n') + 1
	if strings.TrimSpace(src[lineStart:off]) != "" {
		return ""
	}
	var lines []string
	for end := lineStart - 1; end > 0; {
		start := strings.LastIndexByte(src[:end], '\n') + 1
		line := strings.TrimSpace(src[start:end])
		text, ok := strings.CutPrefix(line, "//")
		if !ok {
			break
		}
		if !strings.HasPrefix(text, "go:") && !strings.HasPrefix(text, "line ") {
			lines = append(lines, strings.TrimPrefix(text, " "))
		}
		end = start - 1
	}
	slices.Reverse(lines)
	return strings.TrimSpace(strings.Join(lines, "\n"))
}
