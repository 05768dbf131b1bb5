/*
 * Evidence for BENCHMARKS.md ("bfloat16 against float32: rounding in one pass"): over all 2^32
 * float32 patterns, does Veltkamp's split x_hi = t - (t - x), t = x * (2^16 + 1), equal round to
 * nearest even to bfloat16 (ties included)? It does for 2^-126 <= |x| < 0x1.fffep111 and fails
 * for subnormals, for larger |x| (x * 65537 overflows) and for infinities, which is why nnx-gen
 * rounds with its own op instead (native/nnx_ort.c).
 *   cc -O2 -ffp-contract=off veltkamp_bf16.c -o veltkamp_bf16 -lm && ./veltkamp_bf16   (~10 s)
 */
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <math.h>
static inline float f(uint32_t u) { float x; memcpy(&x, &u, 4); return x; }
static inline uint32_t b(float x) { uint32_t u; memcpy(&u, &x, 4); return u; }
static inline float rne_bf16(float x) {
  uint32_t u = b(x);
  if ((u & 0x7fffffff) > 0x7f800000) return x; // NaN
  uint32_t r = u + 0x7fff + ((u >> 16) & 1);
  return f(r & 0xffff0000u);
}
int main(void) {
  const float C = 65537.0f;
  uint64_t bad = 0, badTie = 0, badSub = 0, badBig = 0, badNan = 0, badZero = 0;
  float minBadBig = INFINITY; float maxBadSmall = 0;
  for (uint64_t i = 0; i <= 0xffffffffu; i++) {
    float x = f((uint32_t)i);
    volatile float t = x * C;
    volatile float d = t - x;
    float hi = t - d;
    float ref = rne_bf16(x);
    int same = (b(hi) == b(ref)) || (isnan(hi) && isnan(ref));
    if (!same) {
      bad++;
      float ax = fabsf(x);
      if (isnan(x)) badNan++;
      else if (ref == 0 && hi == 0) badZero++;
      else if (ax < 0x1p-126f) { badSub++; if (ax > maxBadSmall) maxBadSmall = ax; }
      else if (ax >= 0x1p100f) { badBig++; if (ax < minBadBig) minBadBig = ax; }
      else { if ((b(x) & 0xffff) == 0x8000) badTie++; if (badTie < 5 || bad < 5) printf("mid bad x=%a hi=%a ref=%a\n", x, hi, ref); }
    }
  }
  printf("bad %llu: nan %llu zero-sign %llu subnormal %llu (max |x| %a) big %llu (min |x| %a) ties-mid %llu\n",
    (unsigned long long)bad, (unsigned long long)badNan, (unsigned long long)badZero, (unsigned long long)badSub, maxBadSmall, (unsigned long long)badBig, minBadBig, (unsigned long long)badTie);
  return 0;
}
