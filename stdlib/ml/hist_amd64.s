//go:build amd64 && !purego

#include "textflag.h"

#define PREFETCH_AHEAD 8

// Both kernels add the gradient pair (g, h) of each row to the bins of nf
// features, four at a time while four remain, with one packed SSE2 add
// per bin: a bin's g and h lie side by
// side, as they do in a gradPair, so a 16-byte load, ADDPD and store do
// the work of two scalar adds, with the same rounding as the Go version in
// hist_other.go.
// Feature j's histogram starts j*4112 bytes (257 bins) after base.

// func addRowsOrderedSSE(base, data unsafe.Pointer, stride, nf int, rows *int32, n int, gp *gradPair)
TEXT ·addRowsOrderedSSE(SB), NOSPLIT, $0-56
	MOVQ base+0(FP), DI
	MOVQ data+8(FP), SI
	MOVQ stride+16(FP), DX
	MOVQ rows+32(FP), R8
	MOVQ gp+48(FP), R10
	XORQ R9, R9
	CMPQ R9, n+40(FP)
	JGE  done

row:
	// Prefetch the row PREFETCH_AHEAD places on and its gradients: a
	// leaf's rows are scattered over the matrix, and waiting for each in
	// turn would leave the loop bound by memory latency.
	LEAQ       PREFETCH_AHEAD(R9), AX
	CMPQ       AX, n+40(FP)
	JGE        load
	MOVLQSX    (R8)(AX*4), AX
	MOVQ       AX, CX
	SHLQ       $4, CX
	PREFETCHT0 (R10)(CX*1)
	IMULQ      DX, AX
	LEAQ       (SI)(AX*1), CX
	PREFETCHT0 (CX)
	PREFETCHT0 -1(CX)(DX*1)

load:
	MOVLQSX (R8)(R9*4), AX
	MOVQ    AX, CX
	SHLQ    $4, CX
	MOVUPD  (R10)(CX*1), X0
	IMULQ   DX, AX
	LEAQ    (SI)(AX*1), BX
	MOVQ    DI, R12
	MOVQ    nf+24(FP), R13

quad:
	// Two pairs in a row, without the loop's overhead between them; the
	// second pair's registers are renamed, so it need not wait for the first.
	CMPQ    R13, $4
	JLT     pair
	MOVBQZX (BX), AX
	MOVBQZX 1(BX), CX
	SHLQ    $4, AX
	SHLQ    $4, CX
	MOVUPD  (R12)(AX*1), X1
	MOVUPD  4112(R12)(CX*1), X2
	ADDPD   X0, X1
	ADDPD   X0, X2
	MOVUPD  X1, (R12)(AX*1)
	MOVUPD  X2, 4112(R12)(CX*1)
	MOVBQZX 2(BX), AX
	MOVBQZX 3(BX), CX
	SHLQ    $4, AX
	SHLQ    $4, CX
	MOVUPD  8224(R12)(AX*1), X3
	MOVUPD  12336(R12)(CX*1), X4
	ADDPD   X0, X3
	ADDPD   X0, X4
	MOVUPD  X3, 8224(R12)(AX*1)
	MOVUPD  X4, 12336(R12)(CX*1)
	ADDQ    $4, BX
	ADDQ    $16448, R12
	SUBQ    $4, R13
	JMP     quad

pair:
	CMPQ    R13, $2
	JLT     single
	MOVBQZX (BX), AX
	MOVBQZX 1(BX), CX
	SHLQ    $4, AX
	SHLQ    $4, CX
	MOVUPD  (R12)(AX*1), X1
	MOVUPD  4112(R12)(CX*1), X2
	ADDPD   X0, X1
	ADDPD   X0, X2
	MOVUPD  X1, (R12)(AX*1)
	MOVUPD  X2, 4112(R12)(CX*1)
	ADDQ    $2, BX
	ADDQ    $8224, R12
	SUBQ    $2, R13
	JMP     pair

single:
	TESTQ   R13, R13
	JEQ     next
	MOVBQZX (BX), AX
	SHLQ    $4, AX
	MOVUPD  (R12)(AX*1), X1
	ADDPD   X0, X1
	MOVUPD  X1, (R12)(AX*1)

next:
	INCQ R9
	CMPQ R9, n+40(FP)
	JLT  row

done:
	RET

// func addRowsRangeSSE(base, data unsafe.Pointer, stride, nf, n int, gp *gradPair)
TEXT ·addRowsRangeSSE(SB), NOSPLIT, $0-48
	MOVQ base+0(FP), DI
	MOVQ data+8(FP), SI
	MOVQ stride+16(FP), DX
	MOVQ gp+40(FP), R10
	XORQ R9, R9
	CMPQ R9, n+32(FP)
	JGE  rdone

rrow:
	MOVQ    SI, BX
	MOVUPD  (R10), X0
	ADDQ    $16, R10
	MOVQ    DI, R12
	MOVQ    nf+24(FP), R13

rquad:
	// Two pairs in a row, without the loop's overhead between them; the
	// second pair's registers are renamed, so it need not wait for the first.
	CMPQ    R13, $4
	JLT     rpair
	MOVBQZX (BX), AX
	MOVBQZX 1(BX), CX
	SHLQ    $4, AX
	SHLQ    $4, CX
	MOVUPD  (R12)(AX*1), X1
	MOVUPD  4112(R12)(CX*1), X2
	ADDPD   X0, X1
	ADDPD   X0, X2
	MOVUPD  X1, (R12)(AX*1)
	MOVUPD  X2, 4112(R12)(CX*1)
	MOVBQZX 2(BX), AX
	MOVBQZX 3(BX), CX
	SHLQ    $4, AX
	SHLQ    $4, CX
	MOVUPD  8224(R12)(AX*1), X3
	MOVUPD  12336(R12)(CX*1), X4
	ADDPD   X0, X3
	ADDPD   X0, X4
	MOVUPD  X3, 8224(R12)(AX*1)
	MOVUPD  X4, 12336(R12)(CX*1)
	ADDQ    $4, BX
	ADDQ    $16448, R12
	SUBQ    $4, R13
	JMP     rquad

rpair:
	CMPQ    R13, $2
	JLT     rsingle
	MOVBQZX (BX), AX
	MOVBQZX 1(BX), CX
	SHLQ    $4, AX
	SHLQ    $4, CX
	MOVUPD  (R12)(AX*1), X1
	MOVUPD  4112(R12)(CX*1), X2
	ADDPD   X0, X1
	ADDPD   X0, X2
	MOVUPD  X1, (R12)(AX*1)
	MOVUPD  X2, 4112(R12)(CX*1)
	ADDQ    $2, BX
	ADDQ    $8224, R12
	SUBQ    $2, R13
	JMP     rpair

rsingle:
	TESTQ   R13, R13
	JEQ     rnext
	MOVBQZX (BX), AX
	SHLQ    $4, AX
	MOVUPD  (R12)(AX*1), X1
	ADDPD   X0, X1
	MOVUPD  X1, (R12)(AX*1)

rnext:
	ADDQ DX, SI
	INCQ R9
	CMPQ R9, n+32(FP)
	JLT  rrow

rdone:
	RET
