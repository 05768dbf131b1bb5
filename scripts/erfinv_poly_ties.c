// Why normal_simd.ts needs no tie check in ErfInv32's central polynomial (w < 5).
// The kernel computes each step as fl32(fl64(p*v + c)): the float64 product of two float32 is
// exact, the float64 sum rounds, then f32x4.demote rounds again. XLA fuses the step into one
// rounding: fl32(p*v + c). The two differ only where the float64 sum rounds onto a float32 tie.
// This program tries every float32 v in [-2.5, 2.5] (every step, from the fused chain's p)
// and prints the ones where they differ. Output (2026-12-02, glibc fmaf, ~1 CPU minute):
//   v=0x1.3de958p-11 step 5: fused -0x1.489f2ap-10, via double -0x1.489f2cp-10
//   v=-0x1.ca27f4p-16 step 8: fused 0x1.805beep+0, via double 0x1.805becp+0
//   checked 2151677954 values of v, 2 step results differ
// Neither v occurs: v = fl32(w - 2.5) for a float32 w in [0, 5), which is w - 2.5 exactly for
// w in [1.25, 5] (Sterbenz), so |v| < 1.25 needs 2.5 + v to be a float32, and for both that
// sum has bits below 2^-22 (test/params/jax_random.test.ts checks this and both exceptions).
// Build and run: gcc -O2 -ffp-contract=off -mno-fma scripts/erfinv_poly_ties.c -o /tmp/ties -lm && /tmp/ties
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

// ErfInv32's central coefficients, highest degree first (as normal_simd.ts's ERFINV_SMALL).
static const float C[9] = {2.81022636e-8f, 3.43273939e-7f, -3.5233877e-6f, -4.39150654e-6f, 0.00021858087f, -0.00125372503f, -0.00417768164f, 0.246640727f, 1.50140941f};

// volatile: no contraction into an FMA, one rounding per operation.
static inline float viaDouble(float p, float v, float c) {
  volatile double pv = (double)p * (double)v;
  volatile double s = pv + (double)c;
  return (float)s;
}

int main(void) {
  uint64_t checked = 0, differ = 0;
  for (int sign = 0; sign < 2; sign++) {
    for (uint32_t b = 0; b <= 0x40200000u; b++) { // 0 .. 2.5
      uint32_t bits = b | (sign ? 0x80000000u : 0);
      float v;
      memcpy(&v, &bits, 4);
      float p = C[0];
      for (int k = 1; k < 9; k++) {
        float want = fmaf(p, v, C[k]);
        float got = viaDouble(p, v, C[k]);
        if (memcmp(&want, &got, 4) != 0) {
          if (differ < 10) printf("v=%a step %d: fused %a, via double %a\n", v, k, want, got);
          differ++;
        }
        p = want;
      }
      checked++;
    }
  }
  printf("checked %llu values of v, %llu step results differ\n", (unsigned long long)checked, (unsigned long long)differ);
  return 0;
}
