/*
 * nnx-gen's own binding to the onnxruntime engine that the onnxruntime-node package ships.
 *
 * Why it exists: onnxruntime-node copies every output into a fresh, zero-filled ArrayBuffer
 * after each run (65 MB of logits for the reference tiny LM: ~7 ms a run, 8% of the model).
 * Here the caller passes output tensors it allocated itself, ORT writes the results straight
 * into them, and nothing is copied. Inputs are bound without copies too.
 *
 * It loads libonnxruntime from the onnxruntime-node package at run time (dlopen), talks to it
 * through the C API (ort_abi.h), and is built at install time against Node's own headers by
 * scripts/build-native.mjs. When it cannot be built or loaded, src/runtime/native.ts falls
 * back to onnxruntime-node's binding.
 *
 * JavaScript interface (all synchronous; errors are thrown as Error with ORT's message):
 *   open(libraryPath) -> version string
 *   createSession(modelBytes: Uint8Array, threads: number, externalNames: string[],
 *                 externalData: Uint8Array[], initializerNames: string[],
 *                 initializers: {type, dims, data}[], externalDir: string,
 *                 prepackWeights?: boolean) -> session handle
 *     (the external data must stay alive as long as the session: ORT may point into it;
 *     prepackWeights false: ORT's kernels read weights where they are instead of packing
 *     copies of them at session creation, see src/runtime/prepack.ts)
 *   names(session) -> {inputs: string[], outputs: string[]}
 *   run(session, inputNames, inputs, outputNames, outputs) -> results
 *     inputs:  [{type, dims, data: TypedArray}]           type = ONNX element type number
 *     outputs: [{type, dims, data: TypedArray} | null]    null: ORT allocates, result is copied
 *     results: [null | {type, dims, data: ArrayBuffer}]   one per null output
 *   release(session)
 *   (debugging: NNX_GEN_ORT_OPTIMIZED_MODEL=file writes onnxruntime's optimized graph,
 *    NNX_GEN_ORT_PROFILE=prefix its per-node profile, when the session is released)
 *   mapFile(path, expectedBytes) -> ArrayBuffer over a private, copy-on-write mapping of the file
 *     (unmapped when the buffer is collected); throws when the file is not expectedBytes long
 */
#define NAPI_VERSION 8
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <node_api.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#endif

#include "ort_abi.h"

static const OrtApi *ort = NULL;
static OrtEnv *ort_env = NULL;
static OrtMemoryInfo *cpu_memory = NULL;

/* Enough for any model nnx-gen builds; checked, never overflowed. */
#define MAX_VALUES 64
#define MAX_RANK 32
#define MAX_NAME 256

typedef struct {
  OrtSession *session;
} SessionHandle;

/* ---- errors ------------------------------------------------------------------------------ */

/* Throws a JS Error with ORT's message and releases the status. Returns 1 if it threw. */
static int throw_status(napi_env env, OrtStatus *status, const char *what) {
  if (status == NULL) return 0;
  char message[2048];
  snprintf(message, sizeof message, "%s: %s", what, ORT_CALL(GetErrorMessage)(status));
  ORT_CALL(ReleaseStatus)(status);
  napi_throw_error(env, NULL, message);
  return 1;
}

static napi_value throw_message(napi_env env, const char *message) {
  napi_throw_error(env, NULL, message);
  return NULL;
}

#define NAPI_OK(call)                                                   \
  do {                                                                  \
    if ((call) != napi_ok) return throw_message(env, "nnx-gen native binding: " #call " failed"); \
  } while (0)

/* ---- helpers ----------------------------------------------------------------------------- */

static size_t element_size(int type) {
  switch (type) {
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT8:
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT8:
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_BOOL:
      return 1;
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT16:
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT16:
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT16:
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_BFLOAT16:
      return 2;
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT:
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT32:
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT32:
      return 4;
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT64:
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT64:
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_DOUBLE:
      return 8;
    default:
      return 0;
  }
}

static int get_string(napi_env env, napi_value value, char *out, size_t size) {
  size_t length = 0;
  // The full length first: a copy cut short inside a multi-byte character would look complete.
  if (napi_get_value_string_utf8(env, value, NULL, 0, &length) != napi_ok || length >= size) return 0;
  return napi_get_value_string_utf8(env, value, out, size, &length) == napi_ok;
}

static size_t typed_array_element_size(napi_typedarray_type type) {
  switch (type) {
    case napi_int8_array:
    case napi_uint8_array:
    case napi_uint8_clamped_array:
      return 1;
    case napi_int16_array:
    case napi_uint16_array:
      return 2;
    case napi_int32_array:
    case napi_uint32_array:
    case napi_float32_array:
      return 4;
    default:
      return 8;
  }
}

static int get_int(napi_env env, napi_value object, const char *key, int64_t *out) {
  napi_value v;
  if (napi_get_named_property(env, object, key, &v) != napi_ok) return 0;
  return napi_get_value_int64(env, v, out) == napi_ok;
}

/* The memory a tensor was bound to. */
typedef struct {
  void *data;
  size_t bytes;
} Bound;

/*
 * A tensor described by {type, dims, data}, read in two steps. Reading the description may run
 * JavaScript (getters, proxies), which could detach a buffer or release the session; so every
 * description is read first, and the memory is bound after, with no JavaScript in between.
 */
typedef struct {
  int64_t type;
  int64_t dims[MAX_RANK];
  uint32_t rank;
  size_t count;
  napi_value data;
} Described;

/* Reads {type, dims, data}; returns 0 with a JS exception pending when it is not consistent. */
static int describe_tensor(napi_env env, napi_value object, const char *name, Described *t) {
  char message[MAX_NAME + 128];
  napi_value dims_array;
  if (!get_int(env, object, "type", &t->type) || napi_get_named_property(env, object, "dims", &dims_array) != napi_ok ||
      napi_get_array_length(env, dims_array, &t->rank) != napi_ok || t->rank > MAX_RANK ||
      napi_get_named_property(env, object, "data", &t->data) != napi_ok) {
    snprintf(message, sizeof message, "tensor %s: expected {type, dims (at most %d), data}", name, MAX_RANK);
    throw_message(env, message);
    return 0;
  }
  t->count = 1;
  for (uint32_t i = 0; i < t->rank; i++) {
    napi_value d;
    if (napi_get_element(env, dims_array, i, &d) != napi_ok || napi_get_value_int64(env, d, &t->dims[i]) != napi_ok || t->dims[i] < 0) {
      snprintf(message, sizeof message, "tensor %s: dims must be non-negative integers", name);
      throw_message(env, message);
      return 0;
    }
    t->count *= (size_t)t->dims[i];
  }
  return 1;
}

/* Binds a described tensor to its typed array's memory. Runs no JavaScript. */
static OrtValue *bind_tensor(napi_env env, const Described *t, const char *name, Bound *bound) {
  char message[MAX_NAME + 128];
  napi_typedarray_type array_type;
  size_t length = 0;
  void *pointer = NULL;
  bool is_typed_array = false;
  if (napi_is_typedarray(env, t->data, &is_typed_array) != napi_ok || !is_typed_array ||
      napi_get_typedarray_info(env, t->data, &array_type, &length, &pointer, NULL, NULL) != napi_ok) {
    snprintf(message, sizeof message, "tensor %s: data must be a typed array", name);
    throw_message(env, message);
    return NULL;
  }
  size_t size = element_size((int)t->type);
  if (size == 0 || typed_array_element_size(array_type) != size || length != t->count) {
    snprintf(message, sizeof message, "tensor %s: %zu elements of %zu bytes for %zu of element type %lld", name, length,
             typed_array_element_size(array_type), t->count, (long long)t->type);
    throw_message(env, message);
    return NULL;
  }
  static char empty[8];
  bound->data = t->count ? pointer : empty;
  bound->bytes = t->count * size;
  OrtValue *value = NULL;
  OrtStatus *status = ORT_CALL(CreateTensorWithDataAsOrtValue)(cpu_memory, bound->data, bound->bytes, t->dims, t->rank,
                                                                (ONNXTensorElementDataType)t->type, &value);
  if (throw_status(env, status, name)) return NULL;
  return value;
}

/*
 * ORT may hand back another buffer than the one bound for an output (an output that is also an
 * input, for one): then the result is copied into the bound buffer, which must be its size.
 */
static int fill_preallocated(napi_env env, OrtValue *value, const Bound *bound, const char *name) {
  void *data = NULL;
  OrtTensorTypeAndShapeInfo *info = NULL;
  size_t count = 0;
  ONNXTensorElementDataType type;
  OrtStatus *status = ORT_CALL(GetTensorMutableData)(value, &data);
  if (throw_status(env, status, name)) return 0;
  if (data == bound->data) return 1;
  status = ORT_CALL(GetTensorTypeAndShape)(value, &info);
  if (!status) status = ORT_CALL(GetTensorShapeElementCount)(info, &count);
  if (!status) status = ORT_CALL(GetTensorElementType)(info, &type);
  if (info) ORT_CALL(ReleaseTensorTypeAndShapeInfo)(info);
  if (throw_status(env, status, name)) return 0;
  if (count * element_size(type) != bound->bytes) {
    char message[MAX_NAME + 128];
    snprintf(message, sizeof message, "output %s: the runtime produced %zu bytes for a %zu-byte buffer", name, count * element_size(type),
             bound->bytes);
    throw_message(env, message);
    return 0;
  }
  if (count) memcpy(bound->data, data, bound->bytes);
  return 1;
}

/* {type, dims, data: ArrayBuffer} holding a copy of an ORT-allocated output. */
static napi_value copy_out(napi_env env, OrtValue *value) {
  OrtTensorTypeAndShapeInfo *info = NULL;
  if (throw_status(env, ORT_CALL(GetTensorTypeAndShape)(value, &info), "output")) return NULL;
  ONNXTensorElementDataType type;
  size_t rank = 0, count = 0;
  int64_t dims[MAX_RANK];
  OrtStatus *status = ORT_CALL(GetTensorElementType)(info, &type);
  if (!status) status = ORT_CALL(GetDimensionsCount)(info, &rank);
  if (!status && rank <= MAX_RANK) status = ORT_CALL(GetDimensions)(info, dims, rank);
  if (!status) status = ORT_CALL(GetTensorShapeElementCount)(info, &count);
  ORT_CALL(ReleaseTensorTypeAndShapeInfo)(info);
  if (throw_status(env, status, "output")) return NULL;
  size_t size = element_size(type);
  if (rank > MAX_RANK || size == 0) return throw_message(env, "output: a rank or element type nnx-gen does not handle");
  void *source = NULL;
  if (throw_status(env, ORT_CALL(GetTensorMutableData)(value, &source), "output")) return NULL;

  napi_value result, buffer, dims_array, n;
  void *target = NULL;
  NAPI_OK(napi_create_object(env, &result));
  NAPI_OK(napi_create_arraybuffer(env, count * size, &target, &buffer));
  if (count) memcpy(target, source, count * size);
  NAPI_OK(napi_create_array_with_length(env, rank, &dims_array));
  for (size_t i = 0; i < rank; i++) {
    NAPI_OK(napi_create_int64(env, dims[i], &n));
    NAPI_OK(napi_set_element(env, dims_array, (uint32_t)i, n));
  }
  NAPI_OK(napi_create_int32(env, (int32_t)type, &n));
  NAPI_OK(napi_set_named_property(env, result, "type", n));
  NAPI_OK(napi_set_named_property(env, result, "dims", dims_array));
  NAPI_OK(napi_set_named_property(env, result, "data", buffer));
  return result;
}

/* Names from a JS array of strings into `storage` (MAX_VALUES x MAX_NAME); their count or -1. */
static int get_names(napi_env env, napi_value array, char (*storage)[MAX_NAME], const char **names) {
  uint32_t count = 0;
  if (napi_get_array_length(env, array, &count) != napi_ok || count > MAX_VALUES) return -1;
  for (uint32_t i = 0; i < count; i++) {
    napi_value v;
    if (napi_get_element(env, array, i, &v) != napi_ok || !get_string(env, v, storage[i], MAX_NAME)) return -1;
    names[i] = storage[i];
  }
  return (int)count;
}

/* ---- rounding kernel --------------------------------------------------------------------- */

/*
 * nnx_gen.rounding:RoundBFloat16(x: float) -> float: each element rounded to bfloat16 and
 * widened back, the value Cast(to=BFLOAT16) -> Cast(to=FLOAT) gives, in one pass instead of
 * two. It is what 16-bit models do after each op (src/runtime/onnx/rounding.ts); onnxruntime's
 * float -> bfloat16 Cast is a scalar loop, and the pair cost more than the ops it rounds.
 * Round to nearest, ties to even, as onnxruntime's Cast: add 0x7fff plus the lowest kept bit,
 * keep the top 16 bits (overflow carries into infinity); a NaN becomes the quiet NaN of its
 * sign, as the Cast pair makes it (test/runtime/rounding_op.test.ts compares the two bit for
 * bit). Registered for every session (domain below), used by graphs built for this binding
 * only (src/runtime/onnx/fuse_rounding.ts).
 */
#define ROUNDING_DOMAIN "nnx_gen.rounding"

static inline uint32_t round_bf16_one(uint32_t u) {
  uint32_t r = (u + 0x7fffu + ((u >> 16) & 1u)) & 0xffff0000u;
  return (u & 0x7fffffffu) > 0x7f800000u ? (u & 0x80000000u) | 0x7fc00000u : r;
}

#if defined(__SSE2__)
/* Four lanes of round_bf16_one. */
static inline __m128i round_bf16_4(__m128i u) {
  const __m128i bias = _mm_set1_epi32(0x7fff), one = _mm_set1_epi32(1), keep = _mm_set1_epi32((int)0xffff0000u);
  const __m128i magnitude = _mm_set1_epi32(0x7fffffff), inf = _mm_set1_epi32(0x7f800000), quiet = _mm_set1_epi32(0x7fc00000), sign = _mm_set1_epi32((int)0x80000000u);
  __m128i lsb = _mm_and_si128(_mm_srli_epi32(u, 16), one);
  __m128i r = _mm_and_si128(_mm_add_epi32(_mm_add_epi32(u, bias), lsb), keep);
  /* |u| > infinity as integers: NaN (both sides below 2^31, so the signed compare is right). */
  __m128i is_nan = _mm_cmpgt_epi32(_mm_and_si128(u, magnitude), inf);
  __m128i nan = _mm_or_si128(_mm_and_si128(u, sign), quiet);
  return _mm_or_si128(_mm_and_si128(is_nan, nan), _mm_andnot_si128(is_nan, r));
}
#endif

#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target("avx2"))) static inline __m256i round_bf16_8(__m256i u);
/* round_bf16's first n & ~7 elements on eight AVX2 lanes; returns how many it did. */
__attribute__((target("avx2"))) static size_t round_bf16_avx2(const uint32_t *x, uint32_t *y, size_t n) {
  size_t done = n & ~(size_t)7;
  for (size_t i = 0; i < done; i += 8) _mm256_storeu_si256((__m256i *)(y + i), round_bf16_8(_mm256_loadu_si256((const __m256i *)(x + i))));
  return done;
}
#endif

/* Eight lanes at a time with AVX2, else four where SSE2 is (every x86-64). */
static void round_bf16(const uint32_t *x, uint32_t *y, size_t n) {
  size_t i = 0;
#if defined(__x86_64__) && defined(__GNUC__)
  if (__builtin_cpu_supports("avx2")) i = round_bf16_avx2(x, y, n);
#endif
#if defined(__SSE2__)
  for (; i + 4 <= n; i += 4) _mm_storeu_si128((__m128i *)(y + i), round_bf16_4(_mm_loadu_si128((const __m128i *)(x + i))));
#endif
  for (; i < n; i++) y[i] = round_bf16_one(x[i]);
}

static inline float bits_float(uint32_t u) {
  float f;
  memcpy(&f, &u, sizeof f);
  return f;
}
static inline uint32_t float_bits(float f) {
  uint32_t u;
  memcpy(&u, &f, sizeof u);
  return u;
}

/*
 * RoundAddBFloat16(x, b) = round(round(x) + b), b a vector along x's last axis as Add
 * broadcasts it (length d of that axis, or 1; or x's axis is 1): the rounded result of a dot or
 * conv, its bias add in float32, and that sum rounded, in one pass (fuse_rounding.ts).
 */
#if defined(__x86_64__) && defined(__GNUC__)
#define HAVE_AVX2_PATH 1
/* round_bf16_4 on eight lanes (AVX2; chosen at run time). */
__attribute__((target("avx2"))) static inline __m256i round_bf16_8(__m256i u) {
  const __m256i bias = _mm256_set1_epi32(0x7fff), one = _mm256_set1_epi32(1), keep = _mm256_set1_epi32((int)0xffff0000u);
  const __m256i magnitude = _mm256_set1_epi32(0x7fffffff), inf = _mm256_set1_epi32(0x7f800000), quiet = _mm256_set1_epi32(0x7fc00000), sign = _mm256_set1_epi32((int)0x80000000u);
  __m256i lsb = _mm256_and_si256(_mm256_srli_epi32(u, 16), one);
  __m256i r = _mm256_and_si256(_mm256_add_epi32(_mm256_add_epi32(u, bias), lsb), keep);
  __m256i is_nan = _mm256_cmpgt_epi32(_mm256_and_si256(u, magnitude), inf);
  __m256i nan = _mm256_or_si256(_mm256_and_si256(u, sign), quiet);
  return _mm256_blendv_epi8(r, nan, is_nan);
}

/* The rows of round_add_bf16 where x's last axis is b's length, eight lanes at a time; returns
 * how many columns of each row it did (the rest go through the SSE2 / scalar path). */
__attribute__((target("avx2"))) static size_t round_add_rows_avx2(const uint32_t *x, const float *b, uint32_t *y, size_t rows, size_t d, int relu) {
  size_t done = d & ~(size_t)7;
  for (size_t r = 0; r < rows; r++) {
    const uint32_t *xr = x + r * d;
    uint32_t *yr = y + r * d;
    for (size_t j = 0; j < done; j += 8) {
      __m256 v = _mm256_castsi256_ps(round_bf16_8(_mm256_loadu_si256((const __m256i *)(xr + j))));
      __m256 bj = _mm256_loadu_ps(b + j);
      /* When both are NaN, onnxruntime's Add gives the bias's. */
      __m256 sum = _mm256_blendv_ps(_mm256_add_ps(v, bj), bj, _mm256_cmp_ps(bj, bj, _CMP_UNORD_Q));
      __m256 rounded = _mm256_castsi256_ps(round_bf16_8(_mm256_castps_si256(sum)));
      if (relu) rounded = _mm256_andnot_ps(_mm256_cmp_ps(rounded, _mm256_setzero_ps(), _CMP_LT_OQ), rounded);
      _mm256_storeu_ps((float *)(yr + j), rounded);
    }
  }
  return done;
}
#endif

static void round_add_bf16(const uint32_t *x, const float *b, uint32_t *y, size_t rows, size_t d, size_t c, int relu) {
  size_t out = d > c ? d : c;
  size_t first = 0; /* columns of each row done already */
#if HAVE_AVX2_PATH
  if (d == c && __builtin_cpu_supports("avx2")) first = round_add_rows_avx2(x, b, y, rows, d, relu);
#endif
  for (size_t r = 0; r < rows; r++) {
    const uint32_t *xr = x + r * d;
    uint32_t *yr = y + r * out;
    size_t j = first;
#if defined(__SSE2__)
    if (d == c) {
      for (; j + 4 <= out; j += 4) {
        __m128 v = _mm_castsi128_ps(round_bf16_4(_mm_loadu_si128((const __m128i *)(xr + j))));
        /* When both are NaN, onnxruntime's Add gives the bias's (its sign survives the rounding). */
        __m128 bj = _mm_loadu_ps(b + j), nan_b = _mm_cmpunord_ps(bj, bj);
        __m128 sum = _mm_or_ps(_mm_and_ps(nan_b, bj), _mm_andnot_ps(nan_b, _mm_add_ps(v, bj)));
        __m128 rounded = _mm_castsi128_ps(round_bf16_4(_mm_castps_si128(sum)));
        /* onnxruntime's Relu: x < 0 ? +0 : x (NaN and -0 pass through). */
        if (relu) rounded = _mm_andnot_ps(_mm_cmplt_ps(rounded, _mm_setzero_ps()), rounded);
        _mm_storeu_ps((float *)(yr + j), rounded);
      }
    }
#endif
    for (; j < out; j++) {
      float bj = b[c == 1 ? 0 : j];
      float sum = bj != bj ? bj : bits_float(round_bf16_one(xr[d == 1 ? 0 : j])) + bj;
      uint32_t rounded = round_bf16_one(float_bits(sum));
      yr[j] = relu && bits_float(rounded) < 0 ? 0 : rounded;
    }
  }
}

/* The output has the input's type and shape, so onnxruntime's shape-driven rewrites (NCHWc pooling, ...) still apply after it. */
static OrtStatus *round_infer_shape(const OrtCustomOp *op, OrtShapeInferContext *context) {
  (void)op;
  OrtTensorTypeAndShapeInfo *info = NULL;
  OrtStatus *status = ORT_CALL(ShapeInferContext_GetInputTypeShape)(context, 0, &info);
  /* The info stays the context's (onnxruntime frees it). */
  if (!status) status = ORT_CALL(ShapeInferContext_SetOutputTypeShape)(context, 0, info);
  return status;
}

/* RoundAddBFloat16: x's shape when b cannot widen it (b has one element or x's last axis, known, is b's length). */
static OrtStatus *round_add_infer_shape(const OrtCustomOp *op, OrtShapeInferContext *context) {
  (void)op;
  OrtTensorTypeAndShapeInfo *info = NULL, *binfo = NULL;
  int64_t dims[MAX_RANK], bdims[MAX_RANK];
  size_t rank = 0, brank = 0;
  OrtStatus *status = ORT_CALL(ShapeInferContext_GetInputTypeShape)(context, 0, &info);
  if (!status) status = ORT_CALL(ShapeInferContext_GetInputTypeShape)(context, 1, &binfo);
  if (!status) status = ORT_CALL(GetDimensionsCount)(info, &rank);
  if (!status) status = ORT_CALL(GetDimensionsCount)(binfo, &brank);
  if (status || rank == 0 || rank > MAX_RANK || brank != 1) return status;
  status = ORT_CALL(GetDimensions)(info, dims, rank);
  if (!status) status = ORT_CALL(GetDimensions)(binfo, bdims, brank);
  if (!status && (bdims[0] == 1 || (bdims[0] > 0 && dims[rank - 1] == bdims[0]))) status = ORT_CALL(ShapeInferContext_SetOutputTypeShape)(context, 0, info);
  return status;
}

static void *round_create_kernel(const OrtCustomOp *op, const OrtApi *api, const OrtKernelInfo *info) {
  (void)api;
  (void)info;
  return (void *)op;
}
static const char *round_name(const OrtCustomOp *op) {
  (void)op;
  return "RoundBFloat16";
}
static const char *round_provider(const OrtCustomOp *op) {
  (void)op;
  return NULL; /* the CPU execution provider */
}
static ONNXTensorElementDataType round_type(const OrtCustomOp *op, size_t index) {
  (void)op;
  (void)index;
  return ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT;
}
static size_t round_count(const OrtCustomOp *op) {
  (void)op;
  return 1;
}
static const char *round_add_name(const OrtCustomOp *op) {
  (void)op;
  return "RoundAddBFloat16";
}
static const char *round_add_relu_name(const OrtCustomOp *op) {
  (void)op;
  return "RoundAddReluBFloat16";
}
static size_t round_add_inputs(const OrtCustomOp *op) {
  (void)op;
  return 2;
}
static void round_destroy(void *kernel) { (void)kernel; }
static int round_required(const OrtCustomOp *op, size_t index) {
  (void)op;
  (void)index;
  return 0; /* INPUT_OUTPUT_REQUIRED */
}
static OrtMemType round_memory(const OrtCustomOp *op, size_t index) {
  (void)op;
  (void)index;
  return OrtMemTypeDefault;
}
static int round_one(const OrtCustomOp *op) {
  (void)op;
  return 1;
}
static int round_zero(const OrtCustomOp *op) {
  (void)op;
  return 0;
}
static int round_last_version(const OrtCustomOp *op) {
  (void)op;
  return 0x7fffffff;
}
static size_t round_no_pairs(int **input_index, int **output_index) {
  *input_index = NULL;
  *output_index = NULL;
  return 0;
}
/* The output may take the input's buffer (same size, read and written at the same index):
 * one tensor's worth of cache and memory traffic less. */
static size_t round_in_place(int **input_index, int **output_index) {
  *input_index = calloc(1, sizeof(int));
  *output_index = calloc(1, sizeof(int));
  if (*input_index && *output_index) return 1;
  free(*input_index);
  free(*output_index);
  return round_no_pairs(input_index, output_index);
}
static void round_release_pairs(int *input_index, int *output_index) {
  free(input_index);
  free(output_index);
}

/* A tensor's dims (at most MAX_RANK) and element count. */
static OrtStatus *tensor_dims(const OrtValue *value, int64_t *dims, size_t *rank, size_t *count) {
  OrtTensorTypeAndShapeInfo *shape = NULL;
  OrtStatus *status = ORT_CALL(GetTensorTypeAndShape)(value, &shape);
  if (!status) status = ORT_CALL(GetDimensionsCount)(shape, rank);
  if (!status && *rank > MAX_RANK) status = ORT_CALL(CreateStatus)(ORT_INVALID_ARGUMENT, "nnx-gen rounding: rank too high");
  if (!status) status = ORT_CALL(GetDimensions)(shape, dims, *rank);
  if (!status) status = ORT_CALL(GetTensorShapeElementCount)(shape, count);
  if (shape) ORT_CALL(ReleaseTensorTypeAndShapeInfo)(shape);
  return status;
}

/* KernelCompute returns nothing: a failed call leaves the output unwritten (none fails for a
 * float tensor onnxruntime allocated itself). */
static void round_compute(void *kernel, OrtKernelContext *context) {
  (void)kernel;
  const OrtValue *input = NULL;
  OrtValue *output = NULL;
  int64_t dims[MAX_RANK];
  size_t rank = 0, count = 0;
  void *x = NULL, *y = NULL;
  OrtStatus *status = ORT_CALL(KernelContext_GetInput)(context, 0, &input);
  if (!status) status = tensor_dims(input, dims, &rank, &count);
  if (!status) status = ORT_CALL(KernelContext_GetOutput)(context, 0, dims, rank, &output);
  if (!status) status = ORT_CALL(GetTensorMutableData)((OrtValue *)input, &x);
  if (!status) status = ORT_CALL(GetTensorMutableData)(output, &y);
  if (status) ORT_CALL(ReleaseStatus)(status);
  else if (x && y) round_bf16(x, y, count);
}

static const OrtCustomOp round_add_relu_op;

/* RoundAddBFloat16, and RoundAddReluBFloat16 (then onnxruntime's Relu) when `kernel` is that op. */
static void round_add_compute(void *kernel, OrtKernelContext *context) {
  const OrtValue *input = NULL, *vector = NULL;
  OrtValue *output = NULL;
  int64_t dims[MAX_RANK + 1], bdims[MAX_RANK];
  size_t rank = 0, count = 0, brank = 0, c = 0;
  void *x = NULL, *b = NULL, *y = NULL;
  OrtStatus *status = ORT_CALL(KernelContext_GetInput)(context, 0, &input);
  if (!status) status = ORT_CALL(KernelContext_GetInput)(context, 1, &vector);
  if (!status) status = tensor_dims(input, dims, &rank, &count);
  if (!status) status = tensor_dims(vector, bdims, &brank, &c);
  size_t d = rank ? (size_t)dims[rank - 1] : 1;
  if (!status && (c == 0 || (c != 1 && d != 1 && c != d))) status = ORT_CALL(CreateStatus)(ORT_INVALID_ARGUMENT, "nnx-gen rounding: bias does not broadcast");
  if (!status && c > d) {
    if (rank == 0) dims[rank++] = (int64_t)c;
    else dims[rank - 1] = (int64_t)c;
  }
  if (!status) status = ORT_CALL(KernelContext_GetOutput)(context, 0, dims, rank, &output);
  if (!status) status = ORT_CALL(GetTensorMutableData)((OrtValue *)input, &x);
  if (!status) status = ORT_CALL(GetTensorMutableData)((OrtValue *)vector, &b);
  if (!status) status = ORT_CALL(GetTensorMutableData)(output, &y);
  if (status) ORT_CALL(ReleaseStatus)(status);
  else if (x && b && y && count) round_add_bf16(x, b, y, count / d, d, c, kernel == &round_add_relu_op);
}

/* The two ops differ in name, inputs, kernel and shape rule only. */
#define ROUNDING_OP(name_fn, inputs_fn, compute_fn, infer_fn)                                                        \
  {                                                                                                                  \
    .version = NNX_ORT_API_VERSION, .CreateKernel = round_create_kernel, .GetName = name_fn,                         \
    .GetExecutionProviderType = round_provider, .GetInputType = round_type, .GetInputTypeCount = inputs_fn,          \
    .GetOutputType = round_type, .GetOutputTypeCount = round_count, .KernelCompute = compute_fn,                     \
    .KernelDestroy = round_destroy, .GetInputCharacteristic = round_required, .GetOutputCharacteristic = round_required, \
    .GetInputMemoryType = round_memory, .GetVariadicInputMinArity = round_one, .GetVariadicInputHomogeneity = round_zero, \
    .GetVariadicOutputMinArity = round_one, .GetVariadicOutputHomogeneity = round_zero, .InferOutputShapeFn = infer_fn, \
    .GetStartVersion = round_one, .GetEndVersion = round_last_version, .GetMayInplace = round_in_place,             \
    .ReleaseMayInplace = round_release_pairs, .GetAliasMap = round_no_pairs, .ReleaseAliasMap = round_release_pairs, \
  }
static const OrtCustomOp round_op = ROUNDING_OP(round_name, round_count, round_compute, round_infer_shape);
static const OrtCustomOp round_add_op = ROUNDING_OP(round_add_name, round_add_inputs, round_add_compute, round_add_infer_shape);
static const OrtCustomOp round_add_relu_op = ROUNDING_OP(round_add_relu_name, round_add_inputs, round_add_compute, round_add_infer_shape);
static OrtCustomOpDomain *rounding_domain = NULL;

/* ---- exported functions ------------------------------------------------------------------ */

static napi_value open_library(napi_env env, napi_callback_info info) {
  static const char *version = NULL;
  size_t argc = 1;
  napi_value argv[1];
  char path[4096];
  NAPI_OK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || !get_string(env, argv[0], path, sizeof path)) return throw_message(env, "open(libraryPath) needs a path");
  if (ort == NULL) {
    void *library = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (library == NULL) return throw_message(env, dlerror());
    OrtGetApiBaseFn get_api_base = (OrtGetApiBaseFn)dlsym(library, "OrtGetApiBase");
    if (get_api_base == NULL) return throw_message(env, "the library has no OrtGetApiBase");
    const OrtApiBase *base = get_api_base();
    const OrtApi *api = base->GetApi(NNX_ORT_API_VERSION);
    if (api == NULL) return throw_message(env, "the onnxruntime library is older than the C API version nnx-gen needs");
    ort = api;
    OrtStatus *status = ORT_CALL(CreateEnv)(ORT_LOGGING_LEVEL_FATAL, "nnx-gen", &ort_env);
    if (!status) status = ORT_CALL(CreateCpuMemoryInfo)(OrtDeviceAllocator, OrtMemTypeDefault, &cpu_memory);
    if (!status) status = ORT_CALL(CreateCustomOpDomain)(ROUNDING_DOMAIN, &rounding_domain);
    if (!status) status = ORT_CALL(CustomOpDomain_Add)(rounding_domain, &round_op);
    if (!status) status = ORT_CALL(CustomOpDomain_Add)(rounding_domain, &round_add_op);
    if (!status) status = ORT_CALL(CustomOpDomain_Add)(rounding_domain, &round_add_relu_op);
    if (throw_status(env, status, "onnxruntime")) {
      ort = NULL;
      return NULL;
    }
    version = base->GetVersionString();
  }
  napi_value result;
  NAPI_OK(napi_create_string_utf8(env, version, NAPI_AUTO_LENGTH, &result));
  return result;
}

static void finalize_session(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  SessionHandle *handle = data;
  if (handle->session) ORT_CALL(ReleaseSession)(handle->session);
  free(handle);
}

/* Frees what create_session built from its arguments. */
static void release_initializers(OrtValue **values, const char **names, size_t count) {
  for (size_t i = 0; i < count; i++) {
    if (values && values[i]) ORT_CALL(ReleaseValue)(values[i]);
    if (names) free((void *)names[i]);
  }
  free(values);
  free((void *)names);
}

/*
 * Initializers given as tensors over the caller's memory ({type, dims, data}), by name: ORT
 * uses that memory in place (AddExternalInitializers) instead of copying each weight into
 * buffers of its own, which on a 500 MB model is ~125k fresh pages to fault in. The memory
 * must stay alive and unchanged as long as the session.
 */
static int add_initializers(napi_env env, OrtSessionOptions *options, napi_value names_array, napi_value tensors_array, OrtValue ***values_out,
                            const char ***names_out, size_t *count_out) {
  uint32_t n = 0, n_tensors = 0;
  if (napi_get_array_length(env, names_array, &n) != napi_ok || napi_get_array_length(env, tensors_array, &n_tensors) != napi_ok || n != n_tensors) {
    throw_message(env, "createSession: initializer names and tensors must be arrays of the same length");
    return 0;
  }
  *count_out = n;
  *values_out = calloc(n ? n : 1, sizeof(OrtValue *));
  *names_out = calloc(n ? n : 1, sizeof(char *));
  Described *described = calloc(n ? n : 1, sizeof(Described));
  if (!*values_out || !*names_out || !described) {
    free(described);
    throw_message(env, "out of memory");
    return 0;
  }
  int ok = 1;
  // Every description first (reads may run JavaScript), the memory after.
  for (uint32_t i = 0; ok && i < n; i++) {
    napi_value name, t;
    size_t length = 0;
    char *copy = NULL;
    ok = napi_get_element(env, names_array, i, &name) == napi_ok && napi_get_value_string_utf8(env, name, NULL, 0, &length) == napi_ok &&
         (copy = malloc(length + 1)) != NULL && napi_get_value_string_utf8(env, name, copy, length + 1, &length) == napi_ok;
    (*names_out)[i] = copy;
    if (!ok) {
      throw_message(env, "createSession: initializer names must be strings");
      break;
    }
    ok = napi_get_element(env, tensors_array, i, &t) == napi_ok && describe_tensor(env, t, copy, &described[i]);
  }
  for (uint32_t i = 0; ok && i < n; i++) {
    Bound ignored;
    ok = ((*values_out)[i] = bind_tensor(env, &described[i], (*names_out)[i], &ignored)) != NULL;
  }
  free(described);
  if (ok && n) ok = !throw_status(env, ORT_CALL(AddExternalInitializers)(options, *names_out, (const OrtValue *const *)*values_out, n), "createSession");
  return ok;
}

static napi_value create_session(napi_env env, napi_callback_info info) {
  size_t argc = 8;
  napi_value argv[8];
  char external_dir[4096];
  bool prepack = true;
  NAPI_OK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (ort == NULL) return throw_message(env, "open() the onnxruntime library first");
  void *bytes = NULL;
  size_t length = 0;
  int32_t threads = 1;
  uint32_t n_external = 0, n_external_data = 0;
  napi_typedarray_type type;
  if (argc < 7 || !get_string(env, argv[6], external_dir, sizeof external_dir) || napi_get_value_int32(env, argv[1], &threads) != napi_ok || threads < 0 ||
      napi_get_array_length(env, argv[2], &n_external) != napi_ok || napi_get_array_length(env, argv[3], &n_external_data) != napi_ok ||
      n_external != n_external_data || n_external > MAX_VALUES || (argc > 7 && napi_get_value_bool(env, argv[7], &prepack) != napi_ok)) {
    return throw_message(env,
                         "createSession(model: Uint8Array, threads: number, externalNames: string[], externalData: Uint8Array[], "
                         "initializerNames: string[], initializers: {type, dims, data}[], externalDir: string, prepackWeights?: boolean)");
  }
  char external_storage[MAX_VALUES][MAX_NAME];
  const char *external_names[MAX_VALUES];
  char *external_buffers[MAX_VALUES];
  size_t external_lengths[MAX_VALUES];
  if (get_names(env, argv[2], external_storage, external_names) < 0) return throw_message(env, "createSession: bad external data names");
  // Every value first (element reads may run JavaScript), the memory after.
  napi_value external_values[MAX_VALUES];
  for (uint32_t i = 0; i < n_external; i++) {
    if (napi_get_element(env, argv[3], i, &external_values[i]) != napi_ok) return throw_message(env, "createSession: bad external data");
  }

  OrtSessionOptions *options = NULL;
  OrtSession *session = NULL;
  OrtValue **initializers = NULL;
  const char **initializer_names = NULL;
  size_t n_initializers = 0;
  OrtStatus *status = ORT_CALL(CreateSessionOptions)(&options);
  if (throw_status(env, status, "onnxruntime")) return NULL;
  if (!add_initializers(env, options, argv[4], argv[5], &initializers, &initializer_names, &n_initializers)) {
    release_initializers(initializers, initializer_names, n_initializers);
    ORT_CALL(ReleaseSessionOptions)(options);
    return NULL;
  }
  for (uint32_t i = 0; i < n_external; i++) {
    void *data = NULL;
    if (napi_get_typedarray_info(env, external_values[i], &type, &external_lengths[i], &data, NULL, NULL) != napi_ok || type != napi_uint8_array) {
      release_initializers(initializers, initializer_names, n_initializers);
      ORT_CALL(ReleaseSessionOptions)(options);
      return throw_message(env, "createSession: external data must be Uint8Arrays");
    }
    external_buffers[i] = data;
  }
  if (napi_get_typedarray_info(env, argv[0], &type, &length, &bytes, NULL, NULL) != napi_ok || type != napi_uint8_array) {
    release_initializers(initializers, initializer_names, n_initializers);
    ORT_CALL(ReleaseSessionOptions)(options);
    return throw_message(env, "createSession: the model must be a Uint8Array");
  }

  status = ORT_CALL(SetSessionGraphOptimizationLevel)(options, ORT_ENABLE_ALL);
  if (!status) status = ORT_CALL(SetIntraOpNumThreads)(options, threads);
  if (!status) status = ORT_CALL(SetInterOpNumThreads)(options, 1);
  if (!status) status = ORT_CALL(SetSessionExecutionMode)(options, ORT_SEQUENTIAL);
  if (!status) status = ORT_CALL(SetSessionLogSeverityLevel)(options, ORT_LOGGING_LEVEL_FATAL);
  if (!status) status = ORT_CALL(AddCustomOpDomain)(options, rounding_domain);
  // For looking at what onnxruntime makes of a graph (BENCHMARKS.md): its optimized model, and a
  // per-node profile written when the session is released.
  const char *optimized = getenv("NNX_GEN_ORT_OPTIMIZED_MODEL"), *profile = getenv("NNX_GEN_ORT_PROFILE");
  if (!status && optimized && optimized[0]) status = ORT_CALL(SetOptimizedModelFilePath)(options, optimized);
  if (!status && profile && profile[0]) status = ORT_CALL(EnableProfiling)(options, profile);
  // Initializers that point into a parameter file on disk: ORT maps the file and uses its
  // pages in place (the locations are relative to this folder; the model has no path).
  if (!status && external_dir[0]) status = ORT_CALL(AddSessionConfigEntry)(options, "session.model_external_initializers_file_folder_path", external_dir);
  // ORT's default is to pack the weights of MatMul, Gemm and others into copies at creation.
  if (!status && !prepack) status = ORT_CALL(AddSessionConfigEntry)(options, "session.disable_prepacking", "1");
  if (!status && n_external) {
    status = ORT_CALL(AddExternalInitializersFromFilesInMemory)(options, external_names, external_buffers, external_lengths, n_external);
  }
  if (!status) status = ORT_CALL(CreateSessionFromArray)(ort_env, bytes, length, options, &session);
  ORT_CALL(ReleaseSessionOptions)(options);
  // The session holds its own references to the initializers' memory.
  release_initializers(initializers, initializer_names, n_initializers);
  if (throw_status(env, status, "onnxruntime could not load the model")) return NULL;

  SessionHandle *handle = malloc(sizeof *handle);
  if (handle == NULL) {
    ORT_CALL(ReleaseSession)(session);
    return throw_message(env, "out of memory");
  }
  handle->session = session;
  napi_value external;
  if (napi_create_external(env, handle, finalize_session, NULL, &external) != napi_ok) {
    finalize_session(env, handle, NULL);
    return throw_message(env, "nnx-gen native binding: napi_create_external failed");
  }
  return external;
}

static SessionHandle *get_session(napi_env env, napi_value value) {
  void *data = NULL;
  napi_valuetype type;
  if (napi_typeof(env, value, &type) != napi_ok || type != napi_external || napi_get_value_external(env, value, &data) != napi_ok) {
    return NULL;
  }
  return data;
}

static void release_values(OrtValue **values, int count) {
  for (int i = 0; i < count; i++) {
    if (values[i]) ORT_CALL(ReleaseValue)(values[i]);
    values[i] = NULL;
  }
}

static napi_value run(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  NAPI_OK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  SessionHandle *handle = argc == 5 ? get_session(env, argv[0]) : NULL;
  if (handle == NULL) return throw_message(env, "run(session, inputNames, inputs, outputNames, outputs)");
  if (handle->session == NULL) return throw_message(env, "the session was released");

  char input_storage[MAX_VALUES][MAX_NAME], output_storage[MAX_VALUES][MAX_NAME];
  const char *input_names[MAX_VALUES], *output_names[MAX_VALUES];
  OrtValue *inputs[MAX_VALUES] = {0}, *outputs[MAX_VALUES] = {0};
  int preallocated[MAX_VALUES] = {0};
  Bound bound[MAX_VALUES];
  int n_in = get_names(env, argv[1], input_storage, input_names);
  int n_out = get_names(env, argv[3], output_storage, output_names);
  uint32_t n_in_values = 0, n_out_values = 0;
  if (n_in < 0 || n_out < 0 || napi_get_array_length(env, argv[2], &n_in_values) != napi_ok ||
      napi_get_array_length(env, argv[4], &n_out_values) != napi_ok || n_in_values != (uint32_t)n_in || n_out_values != (uint32_t)n_out) {
    return throw_message(env, "run: names and tensors must be arrays of the same length (at most 64 each, names under 256 bytes)");
  }

  napi_value result = NULL;
  Described in_desc[MAX_VALUES], out_desc[MAX_VALUES];
  for (int i = 0; i < n_in; i++) {
    napi_value t;
    if (napi_get_element(env, argv[2], (uint32_t)i, &t) != napi_ok || !describe_tensor(env, t, input_names[i], &in_desc[i])) goto done;
  }
  for (int i = 0; i < n_out; i++) {
    napi_value t;
    napi_valuetype type;
    if (napi_get_element(env, argv[4], (uint32_t)i, &t) != napi_ok || napi_typeof(env, t, &type) != napi_ok) goto done;
    if (type == napi_null || type == napi_undefined) continue;
    if (!describe_tensor(env, t, output_names[i], &out_desc[i])) goto done;
    preallocated[i] = 1;
  }
  // From here on no JavaScript runs until ORT returns.
  for (int i = 0; i < n_in; i++) {
    Bound ignored;
    if ((inputs[i] = bind_tensor(env, &in_desc[i], input_names[i], &ignored)) == NULL) goto done;
  }
  for (int i = 0; i < n_out; i++) {
    if (preallocated[i] && (outputs[i] = bind_tensor(env, &out_desc[i], output_names[i], &bound[i])) == NULL) goto done;
  }
  if (handle->session == NULL) {
    throw_message(env, "the session was released");
    goto done;
  }

  OrtStatus *status = ORT_CALL(Run)(handle->session, NULL, input_names, (const OrtValue *const *)inputs, (size_t)n_in, output_names,
                                    (size_t)n_out, outputs);
  if (throw_status(env, status, "onnxruntime run failed")) goto done;

  napi_value results;
  if (napi_create_array_with_length(env, (size_t)n_out, &results) != napi_ok) goto done;
  for (int i = 0; i < n_out; i++) {
    napi_value r;
    if (preallocated[i]) {
      if (!fill_preallocated(env, outputs[i], &bound[i], output_names[i]) || napi_get_null(env, &r) != napi_ok) goto done;
    } else if ((r = copy_out(env, outputs[i])) == NULL) {
      goto done;
    }
    if (napi_set_element(env, results, (uint32_t)i, r) != napi_ok) goto done;
  }
  result = results;
done:
  release_values(inputs, n_in > 0 ? n_in : 0);
  release_values(outputs, n_out > 0 ? n_out : 0);
  if (result == NULL) {
    bool pending = false;
    if (napi_is_exception_pending(env, &pending) != napi_ok || !pending) throw_message(env, "nnx-gen native binding: run failed");
  }
  return result;
}

/* The session's input or output names as a JS array. */
static napi_value session_names(napi_env env, OrtSession *session, int outputs) {
  OrtAllocator *allocator = NULL;
  size_t count = 0;
  OrtStatus *status = ORT_CALL(GetAllocatorWithDefaultOptions)(&allocator);
  if (!status) status = outputs ? ORT_CALL(SessionGetOutputCount)(session, &count) : ORT_CALL(SessionGetInputCount)(session, &count);
  if (throw_status(env, status, "onnxruntime")) return NULL;
  napi_value array;
  NAPI_OK(napi_create_array_with_length(env, count, &array));
  for (size_t i = 0; i < count; i++) {
    char *name = NULL;
    status = outputs ? ORT_CALL(SessionGetOutputName)(session, i, allocator, &name) : ORT_CALL(SessionGetInputName)(session, i, allocator, &name);
    if (throw_status(env, status, "onnxruntime")) return NULL;
    napi_value v;
    napi_status made = napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &v);
    OrtStatus *freed = ORT_CALL(AllocatorFree)(allocator, name);
    if (freed) ORT_CALL(ReleaseStatus)(freed);
    if (made != napi_ok || napi_set_element(env, array, (uint32_t)i, v) != napi_ok) return throw_message(env, "nnx-gen native binding: names failed");
  }
  return array;
}

/* The session handle that is a function's only argument, or NULL with a JS exception pending. */
static SessionHandle *only_session_argument(napi_env env, napi_callback_info info, const char *usage) {
  size_t argc = 1;
  napi_value argv[1];
  SessionHandle *handle = NULL;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) == napi_ok && argc == 1) handle = get_session(env, argv[0]);
  if (handle == NULL) throw_message(env, usage);
  return handle;
}

static napi_value names(napi_env env, napi_callback_info info) {
  SessionHandle *handle = only_session_argument(env, info, "names(session)");
  if (handle == NULL) return NULL;
  if (handle->session == NULL) return throw_message(env, "the session was released");
  napi_value result, inputs, outputs;
  if ((inputs = session_names(env, handle->session, 0)) == NULL || (outputs = session_names(env, handle->session, 1)) == NULL) return NULL;
  NAPI_OK(napi_create_object(env, &result));
  NAPI_OK(napi_set_named_property(env, result, "inputs", inputs));
  NAPI_OK(napi_set_named_property(env, result, "outputs", outputs));
  return result;
}

static napi_value release(napi_env env, napi_callback_info info) {
  SessionHandle *handle = only_session_argument(env, info, "release(session)");
  if (handle == NULL) return NULL;
  if (handle->session) ORT_CALL(ReleaseSession)(handle->session);
  handle->session = NULL;
  return NULL;
}

/* ---- mapped files ------------------------------------------------------------------------- */

typedef struct {
  void *address;
  size_t length;
} Mapping;

static void unmap_file(napi_env env, void *data, void *hint) {
  (void)env;
  (void)data;
  Mapping *m = hint;
  munmap(m->address, m->length);
  free(m);
}

/*
 * A parameter file as memory the page cache backs: no copy into fresh pages (on a 500 MB
 * checkpoint, ~125k page faults of a read into a new buffer), and pages are only brought in
 * where tensors are read. MAP_PRIVATE: a write through a tensor stays in this process.
 */
static napi_value map_file(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  char path[4096];
  double expected = -1;
  NAPI_OK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2 || !get_string(env, argv[0], path, sizeof path) || napi_get_value_double(env, argv[1], &expected) != napi_ok || expected <= 0) {
    return throw_message(env, "mapFile(path, expectedBytes > 0)");
  }
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return throw_message(env, strerror(errno));
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (double)st.st_size != expected) {
    close(fd);
    return throw_message(env, "the file changed while it was opened");
  }
  size_t length = (size_t)st.st_size;
  void *address = mmap(NULL, length, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  int mmap_errno = errno;
  close(fd);
  if (address == MAP_FAILED) return throw_message(env, strerror(mmap_errno));
  // Read ahead: every tensor is read at least once (validation, the runtime's prepacking).
  madvise(address, length, MADV_WILLNEED);
  Mapping *m = malloc(sizeof *m);
  napi_value buffer;
  if (m == NULL) {
    munmap(address, length);
    return throw_message(env, "out of memory");
  }
  m->address = address;
  m->length = length;
  if (napi_create_external_arraybuffer(env, address, length, unmap_file, m, &buffer) != napi_ok) {
    unmap_file(env, address, m);
    return throw_message(env, "nnx-gen native binding: napi_create_external_arraybuffer failed");
  }
  return buffer;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor functions[] = {
      {"open", NULL, open_library, NULL, NULL, NULL, napi_default, NULL},
      {"createSession", NULL, create_session, NULL, NULL, NULL, napi_default, NULL},
      {"names", NULL, names, NULL, NULL, NULL, napi_default, NULL},
      {"run", NULL, run, NULL, NULL, NULL, napi_default, NULL},
      {"release", NULL, release, NULL, NULL, NULL, napi_default, NULL},
      {"mapFile", NULL, map_file, NULL, NULL, NULL, napi_default, NULL},
  };
  if (napi_define_properties(env, exports, sizeof functions / sizeof functions[0], functions) != napi_ok) return NULL;
  return exports;
}

NAPI_MODULE(nnx_ort, init)
