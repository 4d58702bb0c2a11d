//go:build amd64 && !purego

#include "textflag.h"

// binaryGradientsAVX2 is binaryGradient (gbm_grad.go) for four rows at a
// time: expNonPositive (exp.go) and the sigmoid after it, operation for
// operation in the same order and without fused multiply-adds, so that
// each row's result is the same bit for bit as the Go code's. Each
// constant is stored four times, one per lane.

// -0.0: or-ing it in makes a value non-positive
DATA signbit<>+0(SB)/8, $0x8000000000000000
DATA signbit<>+8(SB)/8, $0x8000000000000000
DATA signbit<>+16(SB)/8, $0x8000000000000000
DATA signbit<>+24(SB)/8, $0x8000000000000000
GLOBL signbit<>(SB), RODATA|NOPTR, $32

// log₂e
DATA log2e<>+0(SB)/8, $0x3ff71547652b82fe
DATA log2e<>+8(SB)/8, $0x3ff71547652b82fe
DATA log2e<>+16(SB)/8, $0x3ff71547652b82fe
DATA log2e<>+24(SB)/8, $0x3ff71547652b82fe
GLOBL log2e<>(SB), RODATA|NOPTR, $32

// ½
DATA half<>+0(SB)/8, $0x3fe0000000000000
DATA half<>+8(SB)/8, $0x3fe0000000000000
DATA half<>+16(SB)/8, $0x3fe0000000000000
DATA half<>+24(SB)/8, $0x3fe0000000000000
GLOBL half<>(SB), RODATA|NOPTR, $32

// ln 2, high part
DATA ln2hi<>+0(SB)/8, $0x3fe62e42fee00000
DATA ln2hi<>+8(SB)/8, $0x3fe62e42fee00000
DATA ln2hi<>+16(SB)/8, $0x3fe62e42fee00000
DATA ln2hi<>+24(SB)/8, $0x3fe62e42fee00000
GLOBL ln2hi<>(SB), RODATA|NOPTR, $32

// ln 2, low part
DATA ln2lo<>+0(SB)/8, $0x3dea39ef35793c76
DATA ln2lo<>+8(SB)/8, $0x3dea39ef35793c76
DATA ln2lo<>+16(SB)/8, $0x3dea39ef35793c76
DATA ln2lo<>+24(SB)/8, $0x3dea39ef35793c76
GLOBL ln2lo<>(SB), RODATA|NOPTR, $32

// 1/6227020800
DATA c13<>+0(SB)/8, $0x3de6124613a86d09
DATA c13<>+8(SB)/8, $0x3de6124613a86d09
DATA c13<>+16(SB)/8, $0x3de6124613a86d09
DATA c13<>+24(SB)/8, $0x3de6124613a86d09
GLOBL c13<>(SB), RODATA|NOPTR, $32

// 1/479001600
DATA c12<>+0(SB)/8, $0x3e21eed8eff8d898
DATA c12<>+8(SB)/8, $0x3e21eed8eff8d898
DATA c12<>+16(SB)/8, $0x3e21eed8eff8d898
DATA c12<>+24(SB)/8, $0x3e21eed8eff8d898
GLOBL c12<>(SB), RODATA|NOPTR, $32

// 1/39916800
DATA c11<>+0(SB)/8, $0x3e5ae64567f544e4
DATA c11<>+8(SB)/8, $0x3e5ae64567f544e4
DATA c11<>+16(SB)/8, $0x3e5ae64567f544e4
DATA c11<>+24(SB)/8, $0x3e5ae64567f544e4
GLOBL c11<>(SB), RODATA|NOPTR, $32

// 1/3628800
DATA c10<>+0(SB)/8, $0x3e927e4fb7789f5c
DATA c10<>+8(SB)/8, $0x3e927e4fb7789f5c
DATA c10<>+16(SB)/8, $0x3e927e4fb7789f5c
DATA c10<>+24(SB)/8, $0x3e927e4fb7789f5c
GLOBL c10<>(SB), RODATA|NOPTR, $32

// 1/362880
DATA c9<>+0(SB)/8, $0x3ec71de3a556c734
DATA c9<>+8(SB)/8, $0x3ec71de3a556c734
DATA c9<>+16(SB)/8, $0x3ec71de3a556c734
DATA c9<>+24(SB)/8, $0x3ec71de3a556c734
GLOBL c9<>(SB), RODATA|NOPTR, $32

// 1/40320
DATA c8<>+0(SB)/8, $0x3efa01a01a01a01a
DATA c8<>+8(SB)/8, $0x3efa01a01a01a01a
DATA c8<>+16(SB)/8, $0x3efa01a01a01a01a
DATA c8<>+24(SB)/8, $0x3efa01a01a01a01a
GLOBL c8<>(SB), RODATA|NOPTR, $32

// 1/5040
DATA c7<>+0(SB)/8, $0x3f2a01a01a01a01a
DATA c7<>+8(SB)/8, $0x3f2a01a01a01a01a
DATA c7<>+16(SB)/8, $0x3f2a01a01a01a01a
DATA c7<>+24(SB)/8, $0x3f2a01a01a01a01a
GLOBL c7<>(SB), RODATA|NOPTR, $32

// 1/720
DATA c6<>+0(SB)/8, $0x3f56c16c16c16c17
DATA c6<>+8(SB)/8, $0x3f56c16c16c16c17
DATA c6<>+16(SB)/8, $0x3f56c16c16c16c17
DATA c6<>+24(SB)/8, $0x3f56c16c16c16c17
GLOBL c6<>(SB), RODATA|NOPTR, $32

// 1/120
DATA c5<>+0(SB)/8, $0x3f81111111111111
DATA c5<>+8(SB)/8, $0x3f81111111111111
DATA c5<>+16(SB)/8, $0x3f81111111111111
DATA c5<>+24(SB)/8, $0x3f81111111111111
GLOBL c5<>(SB), RODATA|NOPTR, $32

// 1/24
DATA c4<>+0(SB)/8, $0x3fa5555555555555
DATA c4<>+8(SB)/8, $0x3fa5555555555555
DATA c4<>+16(SB)/8, $0x3fa5555555555555
DATA c4<>+24(SB)/8, $0x3fa5555555555555
GLOBL c4<>(SB), RODATA|NOPTR, $32

// 1/6
DATA c3<>+0(SB)/8, $0x3fc5555555555555
DATA c3<>+8(SB)/8, $0x3fc5555555555555
DATA c3<>+16(SB)/8, $0x3fc5555555555555
DATA c3<>+24(SB)/8, $0x3fc5555555555555
GLOBL c3<>(SB), RODATA|NOPTR, $32

// 1/2
DATA c2<>+0(SB)/8, $0x3fe0000000000000
DATA c2<>+8(SB)/8, $0x3fe0000000000000
DATA c2<>+16(SB)/8, $0x3fe0000000000000
DATA c2<>+24(SB)/8, $0x3fe0000000000000
GLOBL c2<>(SB), RODATA|NOPTR, $32

// 1
DATA c1<>+0(SB)/8, $0x3ff0000000000000
DATA c1<>+8(SB)/8, $0x3ff0000000000000
DATA c1<>+16(SB)/8, $0x3ff0000000000000
DATA c1<>+24(SB)/8, $0x3ff0000000000000
GLOBL c1<>(SB), RODATA|NOPTR, $32

// 1
DATA c0<>+0(SB)/8, $0x3ff0000000000000
DATA c0<>+8(SB)/8, $0x3ff0000000000000
DATA c0<>+16(SB)/8, $0x3ff0000000000000
DATA c0<>+24(SB)/8, $0x3ff0000000000000
GLOBL c0<>(SB), RODATA|NOPTR, $32

// the exponent bias, an integer
DATA bias<>+0(SB)/8, $0x00000000000003ff
DATA bias<>+8(SB)/8, $0x00000000000003ff
DATA bias<>+16(SB)/8, $0x00000000000003ff
DATA bias<>+24(SB)/8, $0x00000000000003ff
GLOBL bias<>(SB), RODATA|NOPTR, $32

// -708: below it eˣ is taken as 0
DATA neg708<>+0(SB)/8, $0xc086200000000000
DATA neg708<>+8(SB)/8, $0xc086200000000000
DATA neg708<>+16(SB)/8, $0xc086200000000000
DATA neg708<>+24(SB)/8, $0xc086200000000000
GLOBL neg708<>(SB), RODATA|NOPTR, $32

// 1
DATA one<>+0(SB)/8, $0x3ff0000000000000
DATA one<>+8(SB)/8, $0x3ff0000000000000
DATA one<>+16(SB)/8, $0x3ff0000000000000
DATA one<>+24(SB)/8, $0x3ff0000000000000
GLOBL one<>(SB), RODATA|NOPTR, $32

// 1e-16, the smallest hessian
DATA tiny<>+0(SB)/8, $0x3c9cd2b297d889bc
DATA tiny<>+8(SB)/8, $0x3c9cd2b297d889bc
DATA tiny<>+16(SB)/8, $0x3c9cd2b297d889bc
DATA tiny<>+24(SB)/8, $0x3c9cd2b297d889bc
GLOBL tiny<>(SB), RODATA|NOPTR, $32

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
