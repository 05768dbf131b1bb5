/*
 * The FP32 FMA peak of one core: independent chains of fused multiply-adds on registers only
 * (no memory traffic), AVX-512 (zmm) and AVX2 (ymm), fastest of several timed rounds.
 * bench/run.js compiles and runs it when a C compiler is present:
 *
 *   cc -O2 -mavx512f -mfma -o fma_peak bench/fma_peak.c && ./fma_peak
 *
 * Prints JSON: {"avx512_gflops": X, "avx2_gflops": Y}. 16 (zmm) and 12 (ymm) independent
 * accumulators cover the FMA latency (4 cycles) times two FMA pipes with room to spare.
 */
#include <immintrin.h>
#include <stdio.h>
#include <time.h>

#define CHAINS 16
#define ITERS 20000000L

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

__attribute__((noinline)) static float run512(long iters) {
  __m512 acc[CHAINS];
  const __m512 a = _mm512_set1_ps(0.999999f), b = _mm512_set1_ps(1e-7f);
  for (int i = 0; i < CHAINS; i++) acc[i] = _mm512_set1_ps((float)i);
  for (long n = 0; n < iters; n++) {
#pragma GCC unroll 16
    for (int i = 0; i < CHAINS; i++) acc[i] = _mm512_fmadd_ps(acc[i], a, b);
  }
  __m512 s = acc[0];
  for (int i = 1; i < CHAINS; i++) s = _mm512_add_ps(s, acc[i]);
  return _mm512_reduce_add_ps(s);
}

/* 12 chains: without AVX-512VL only ymm0-15 exist, and 16 accumulators would spill. */
#define CHAINS256 12

__attribute__((noinline)) static float run256(long iters) {
  __m256 acc[CHAINS256];
  const __m256 a = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-7f);
  for (int i = 0; i < CHAINS256; i++) acc[i] = _mm256_set1_ps((float)i);
  for (long n = 0; n < iters; n++) {
#pragma GCC unroll 16
    for (int i = 0; i < CHAINS256; i++) acc[i] = _mm256_fmadd_ps(acc[i], a, b);
  }
  __m256 s = acc[0];
  for (int i = 1; i < CHAINS256; i++) s = _mm256_add_ps(s, acc[i]);
  float out[8];
  _mm256_storeu_ps(out, s);
  return out[0];
}

int main(void) {
  double best512 = 0, best256 = 0;
  volatile float sink = 0;
  for (int round = 0; round < 5; round++) {
    double t0 = now();
    sink += run512(ITERS);
    double t1 = now();
    sink += run256(ITERS);
    double t2 = now();
    double g512 = (double)ITERS * CHAINS * 16 * 2 / (t1 - t0) / 1e9;
    double g256 = (double)ITERS * CHAINS256 * 8 * 2 / (t2 - t1) / 1e9;
    if (g512 > best512) best512 = g512;
    if (g256 > best256) best256 = g256;
  }
  printf("{\"avx512_gflops\": %.1f, \"avx2_gflops\": %.1f, \"sink\": %g}\n", best512, best256, (double)sink);
  return 0;
}
