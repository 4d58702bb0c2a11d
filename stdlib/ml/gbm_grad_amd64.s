//go:build amd64 && !purego

#include "textflag.h"

// binaryGradientsAVX2 is binaryGradient (gbm_grad.go) for four rows at a
// time: expNonPositive (exp.go) and the sigmoid after it, operation for
// operation in the same order and without fused multiply-adds, so that
// each row's result is the same bit for bit as the Go code's.

// LANES4 stores a constant four times, once per lane, for 256-bit operands.
#define LANES4(name, bits) \
	DATA name<>+0(SB)/8, $bits; \
	DATA name<>+8(SB)/8, $bits; \
	DATA name<>+16(SB)/8, $bits; \
	DATA name<>+24(SB)/8, $bits; \
	GLOBL name<>(SB), RODATA|NOPTR, $32

// -0.0: or-ing it in makes a value non-positive
LANES4(signbit, 0x8000000000000000)

// log₂e
LANES4(log2e, 0x3ff71547652b82fe)

// ½
LANES4(half, 0x3fe0000000000000)

// ln 2, high part
LANES4(ln2hi, 0x3fe62e42fee00000)

// ln 2, low part
LANES4(ln2lo, 0x3dea39ef35793c76)

// 1/6227020800
LANES4(c13, 0x3de6124613a86d09)

// 1/479001600
LANES4(c12, 0x3e21eed8eff8d898)

// 1/39916800
LANES4(c11, 0x3e5ae64567f544e4)

// 1/3628800
LANES4(c10, 0x3e927e4fb7789f5c)

// 1/362880
LANES4(c9, 0x3ec71de3a556c734)

// 1/40320
LANES4(c8, 0x3efa01a01a01a01a)

// 1/5040
LANES4(c7, 0x3f2a01a01a01a01a)

// 1/720
LANES4(c6, 0x3f56c16c16c16c17)

// 1/120
LANES4(c5, 0x3f81111111111111)

// 1/24
LANES4(c4, 0x3fa5555555555555)

// 1/6
LANES4(c3, 0x3fc5555555555555)

// 1/2
LANES4(c2, 0x3fe0000000000000)

// 1
LANES4(c1, 0x3ff0000000000000)

// 1
LANES4(c0, 0x3ff0000000000000)

// the exponent bias, an integer
LANES4(bias, 0x00000000000003ff)

// -708: below it eˣ is taken as 0
LANES4(neg708, 0xc086200000000000)

// 1
LANES4(one, 0x3ff0000000000000)

// 1e-16, the smallest hessian
LANES4(tiny, 0x3c9cd2b297d889bc)

// func binaryGradientsAVX2(gp *gradPair, score, y *float64, n int)
// n is a positive multiple of 4.
TEXT ·binaryGradientsAVX2(SB), NOSPLIT, $0-32
	MOVQ gp+0(FP), DI
	MOVQ score+8(FP), SI
	MOVQ y+16(FP), DX
	MOVQ n+24(FP), CX
	VMOVUPD one<>(SB), Y15
	VMOVUPD tiny<>(SB), Y14
	XORQ AX, AX

loop:
	// e = expNonPositive(a) with a = -|z|.
	VMOVUPD     (SI)(AX*8), Y0
	VORPD       signbit<>(SB), Y0, Y1
	VMULPD      log2e<>(SB), Y1, Y2
	VSUBPD      half<>(SB), Y2, Y2
	VCVTTPD2DQY Y2, X3
	VCVTDQ2PD   X3, Y4
	VMULPD      ln2hi<>(SB), Y4, Y5
	VSUBPD      Y5, Y1, Y5
	VMULPD      ln2lo<>(SB), Y4, Y6
	VSUBPD      Y6, Y5, Y5
	VMOVUPD     c13<>(SB), Y6
	VMULPD  Y5, Y6, Y6
	VADDPD  c12<>(SB), Y6, Y6
	VMULPD  Y5, Y6, Y6
	VADDPD  c11<>(SB), Y6, Y6
	VMULPD  Y5, Y6, Y6
	VADDPD  c10<>(SB), Y6, Y6
	VMULPD  Y5, Y6, Y6
	VADDPD  c9<>(SB), Y6, Y6
	VMULPD  Y5, Y6, Y6
	VADDPD  c8<>(SB), Y6, Y6
	VMULPD  Y5, Y6, Y6
	VADDPD  c7<>(SB), Y6, Y6
	VMULPD  Y5, Y6, Y6
	VADDPD  c6<>(SB), Y6, Y6
	VMULPD  Y5, Y6, Y6
	VADDPD  c5<>(SB), Y6, Y6
	VMULPD  Y5, Y6, Y6
	VADDPD  c4<>(SB), Y6, Y6
	VMULPD  Y5, Y6, Y6
	VADDPD  c3<>(SB), Y6, Y6
	VMULPD  Y5, Y6, Y6
	VADDPD  c2<>(SB), Y6, Y6
	VMULPD  Y5, Y6, Y6
	VADDPD  c1<>(SB), Y6, Y6
	VMULPD  Y5, Y6, Y6
	VADDPD  c0<>(SB), Y6, Y6
	// Times 2ᵏ, built from k's bits.
	VPMOVSXDQ X3, Y7
	VPADDQ    bias<>(SB), Y7, Y7
	VPSLLQ    $52, Y7, Y7
	VMULPD    Y7, Y6, Y6
	// 0 where a ≤ -708; NaN stays NaN (predicate 6: not less or equal,
	// true when unordered).
	VCMPPD $6, neg708<>(SB), Y1, Y8
	VANDPD Y8, Y6, Y6

	// pr = num/(1+e), num being e where z's sign bit is set and 1 where not.
	VBLENDVPD Y0, Y6, Y15, Y9
	VADDPD    Y15, Y6, Y10
	VDIVPD    Y10, Y9, Y9

	// h = max(pr·(1-pr), 1e-16), keeping a NaN; g = pr - y.
	VSUBPD Y9, Y15, Y10
	VMULPD Y10, Y9, Y10
	VMAXPD Y10, Y14, Y10
	VMOVUPD (DX)(AX*8), Y11
	VSUBPD  Y11, Y9, Y11

	// Interleave into gradPairs: (g0 h0 g1 h1) and (g2 h2 g3 h3).
	VUNPCKLPD  Y10, Y11, Y12
	VUNPCKHPD  Y10, Y11, Y13
	VPERM2F128 $0x20, Y13, Y12, Y0
	VPERM2F128 $0x31, Y13, Y12, Y1
	MOVQ       AX, BX
	SHLQ       $4, BX
	VMOVUPD    Y0, (DI)(BX*1)
	VMOVUPD    Y1, 32(DI)(BX*1)

	ADDQ $4, AX
	CMPQ AX, CX
	JLT  loop
	VZEROUPPER
	RET
