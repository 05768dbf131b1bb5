/*
 * The part of onnxruntime's C API that nnx_ort.c uses, declared by hand.
 *
 * The library hands out its API as a table of function pointers (struct OrtApi) whose order
 * is fixed and only ever appended to, so a function is reached by its position in the table.
 * Positions and signatures are those of onnxruntime's public header
 * (include/onnxruntime/core/session/onnxruntime_c_api.h, checked against API versions 7-29).
 * Version 18 is the first with AddExternalInitializersFromFilesInMemory.
 */
#ifndef NNX_ORT_ABI_H
#define NNX_ORT_ABI_H

#include <stddef.h>
#include <stdint.h>

#define NNX_ORT_API_VERSION 18

typedef struct OrtEnv OrtEnv;
typedef struct OrtStatus OrtStatus;
typedef struct OrtMemoryInfo OrtMemoryInfo;
typedef struct OrtSession OrtSession;
typedef struct OrtSessionOptions OrtSessionOptions;
typedef struct OrtValue OrtValue;
typedef struct OrtRunOptions OrtRunOptions;
typedef struct OrtTensorTypeAndShapeInfo OrtTensorTypeAndShapeInfo;
typedef struct OrtAllocator OrtAllocator;

typedef enum {
  ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT = 1,
  ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT8 = 2,
  ONNX_TENSOR_ELEMENT_DATA_TYPE_INT8 = 3,
  ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT16 = 4,
  ONNX_TENSOR_ELEMENT_DATA_TYPE_INT16 = 5,
  ONNX_TENSOR_ELEMENT_DATA_TYPE_INT32 = 6,
  ONNX_TENSOR_ELEMENT_DATA_TYPE_INT64 = 7,
  ONNX_TENSOR_ELEMENT_DATA_TYPE_BOOL = 9,
  ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT16 = 10,
  ONNX_TENSOR_ELEMENT_DATA_TYPE_DOUBLE = 11,
  ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT32 = 12,
  ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT64 = 13,
  ONNX_TENSOR_ELEMENT_DATA_TYPE_BFLOAT16 = 16,
} ONNXTensorElementDataType;

typedef enum { ORT_LOGGING_LEVEL_FATAL = 4 } OrtLoggingLevel;
typedef enum { ORT_ENABLE_ALL = 99 } GraphOptimizationLevel;
typedef enum { ORT_SEQUENTIAL = 0 } ExecutionMode;
typedef enum { OrtDeviceAllocator = 0 } OrtAllocatorType;
typedef enum { OrtMemTypeDefault = 0 } OrtMemType;

typedef struct OrtApi OrtApi;
typedef struct OrtApiBase {
  const OrtApi *(*GetApi)(uint32_t version);
  const char *(*GetVersionString)(void);
} OrtApiBase;
typedef const OrtApiBase *(*OrtGetApiBaseFn)(void);

/* Table position and type of each function used. */
typedef enum { ORT_INVALID_ARGUMENT = 2 } OrtErrorCode;
#define ORT_INDEX_CreateStatus 0
typedef OrtStatus *(*CreateStatusFn)(OrtErrorCode code, const char *message);
#define ORT_INDEX_GetErrorMessage 2
typedef const char *(*GetErrorMessageFn)(const OrtStatus *status);
#define ORT_INDEX_CreateEnv 3
typedef OrtStatus *(*CreateEnvFn)(OrtLoggingLevel level, const char *logid, OrtEnv **out);
#define ORT_INDEX_CreateSessionFromArray 8
typedef OrtStatus *(*CreateSessionFromArrayFn)(const OrtEnv *env, const void *model, size_t length, const OrtSessionOptions *options,
                                               OrtSession **out);
#define ORT_INDEX_Run 9
typedef OrtStatus *(*RunFn)(OrtSession *session, const OrtRunOptions *run_options, const char *const *input_names,
                            const OrtValue *const *inputs, size_t input_count, const char *const *output_names, size_t output_count,
                            OrtValue **outputs);
#define ORT_INDEX_CreateSessionOptions 10
typedef OrtStatus *(*CreateSessionOptionsFn)(OrtSessionOptions **out);
#define ORT_INDEX_SetOptimizedModelFilePath 11
typedef OrtStatus *(*SetOptimizedModelFilePathFn)(OrtSessionOptions *options, const char *path);
#define ORT_INDEX_EnableProfiling 14
typedef OrtStatus *(*EnableProfilingFn)(OrtSessionOptions *options, const char *prefix);
#define ORT_INDEX_SetSessionExecutionMode 13
typedef OrtStatus *(*SetSessionExecutionModeFn)(OrtSessionOptions *options, ExecutionMode mode);
#define ORT_INDEX_SetSessionLogSeverityLevel 22
typedef OrtStatus *(*SetSessionLogSeverityLevelFn)(OrtSessionOptions *options, int level);
#define ORT_INDEX_SetSessionGraphOptimizationLevel 23
typedef OrtStatus *(*SetSessionGraphOptimizationLevelFn)(OrtSessionOptions *options, GraphOptimizationLevel level);
#define ORT_INDEX_SetIntraOpNumThreads 24
typedef OrtStatus *(*SetIntraOpNumThreadsFn)(OrtSessionOptions *options, int threads);
#define ORT_INDEX_SetInterOpNumThreads 25
typedef OrtStatus *(*SetInterOpNumThreadsFn)(OrtSessionOptions *options, int threads);
#define ORT_INDEX_SessionGetInputCount 30
typedef OrtStatus *(*SessionGetInputCountFn)(const OrtSession *session, size_t *out);
#define ORT_INDEX_SessionGetOutputCount 31
typedef OrtStatus *(*SessionGetOutputCountFn)(const OrtSession *session, size_t *out);
#define ORT_INDEX_SessionGetInputName 36
typedef OrtStatus *(*SessionGetInputNameFn)(const OrtSession *session, size_t index, OrtAllocator *allocator, char **out);
#define ORT_INDEX_SessionGetOutputName 37
typedef OrtStatus *(*SessionGetOutputNameFn)(const OrtSession *session, size_t index, OrtAllocator *allocator, char **out);
#define ORT_INDEX_CreateTensorWithDataAsOrtValue 49
typedef OrtStatus *(*CreateTensorWithDataAsOrtValueFn)(const OrtMemoryInfo *info, void *data, size_t length, const int64_t *shape,
                                                       size_t rank, ONNXTensorElementDataType type, OrtValue **out);
#define ORT_INDEX_GetTensorMutableData 51
typedef OrtStatus *(*GetTensorMutableDataFn)(OrtValue *value, void **out);
#define ORT_INDEX_GetTensorElementType 60
typedef OrtStatus *(*GetTensorElementTypeFn)(const OrtTensorTypeAndShapeInfo *info, ONNXTensorElementDataType *out);
#define ORT_INDEX_GetDimensionsCount 61
typedef OrtStatus *(*GetDimensionsCountFn)(const OrtTensorTypeAndShapeInfo *info, size_t *out);
#define ORT_INDEX_GetDimensions 62
typedef OrtStatus *(*GetDimensionsFn)(const OrtTensorTypeAndShapeInfo *info, int64_t *dims, size_t rank);
#define ORT_INDEX_GetTensorShapeElementCount 64
typedef OrtStatus *(*GetTensorShapeElementCountFn)(const OrtTensorTypeAndShapeInfo *info, size_t *out);
#define ORT_INDEX_GetTensorTypeAndShape 65
typedef OrtStatus *(*GetTensorTypeAndShapeFn)(const OrtValue *value, OrtTensorTypeAndShapeInfo **out);
#define ORT_INDEX_CreateCpuMemoryInfo 69
typedef OrtStatus *(*CreateCpuMemoryInfoFn)(OrtAllocatorType type, OrtMemType mem_type, OrtMemoryInfo **out);
#define ORT_INDEX_AllocatorFree 76
typedef OrtStatus *(*AllocatorFreeFn)(OrtAllocator *allocator, void *p);
#define ORT_INDEX_GetAllocatorWithDefaultOptions 78
typedef OrtStatus *(*GetAllocatorWithDefaultOptionsFn)(OrtAllocator **out);
#define ORT_INDEX_ReleaseStatus 93
typedef void (*ReleaseStatusFn)(OrtStatus *status);
#define ORT_INDEX_ReleaseSession 95
typedef void (*ReleaseSessionFn)(OrtSession *session);
#define ORT_INDEX_ReleaseValue 96
typedef void (*ReleaseValueFn)(OrtValue *value);
#define ORT_INDEX_ReleaseTensorTypeAndShapeInfo 99
typedef void (*ReleaseTensorTypeAndShapeInfoFn)(OrtTensorTypeAndShapeInfo *info);
#define ORT_INDEX_ReleaseSessionOptions 100
typedef void (*ReleaseSessionOptionsFn)(OrtSessionOptions *options);
#define ORT_INDEX_AddSessionConfigEntry 130
typedef OrtStatus *(*AddSessionConfigEntryFn)(OrtSessionOptions *options, const char *key, const char *value);
#define ORT_INDEX_AddExternalInitializers 210
typedef OrtStatus *(*AddExternalInitializersFn)(OrtSessionOptions *options, const char *const *names, const OrtValue *const *values,
                                                size_t count);
#define ORT_INDEX_AddExternalInitializersFromFilesInMemory 279
typedef OrtStatus *(*AddExternalInitializersFromFilesInMemoryFn)(OrtSessionOptions *options, const char *const *names,
                                                                 char *const *buffers, const size_t *lengths, size_t count);

/* Custom operators (nnx_ort.c's rounding kernel): struct OrtCustomOp as of version 18, whose
 * members onnxruntime reads up to the version an op declares. */
typedef struct OrtKernelInfo OrtKernelInfo;
typedef struct OrtKernelContext OrtKernelContext;
typedef struct OrtCustomOpDomain OrtCustomOpDomain;
typedef struct OrtShapeInferContext OrtShapeInferContext;
typedef struct OrtCustomOp {
  uint32_t version;
  void *(*CreateKernel)(const struct OrtCustomOp *op, const OrtApi *api, const OrtKernelInfo *info);
  const char *(*GetName)(const struct OrtCustomOp *op);
  const char *(*GetExecutionProviderType)(const struct OrtCustomOp *op);
  ONNXTensorElementDataType (*GetInputType)(const struct OrtCustomOp *op, size_t index);
  size_t (*GetInputTypeCount)(const struct OrtCustomOp *op);
  ONNXTensorElementDataType (*GetOutputType)(const struct OrtCustomOp *op, size_t index);
  size_t (*GetOutputTypeCount)(const struct OrtCustomOp *op);
  void (*KernelCompute)(void *op_kernel, OrtKernelContext *context);
  void (*KernelDestroy)(void *op_kernel);
  int (*GetInputCharacteristic)(const struct OrtCustomOp *op, size_t index);
  int (*GetOutputCharacteristic)(const struct OrtCustomOp *op, size_t index);
  OrtMemType (*GetInputMemoryType)(const struct OrtCustomOp *op, size_t index);
  int (*GetVariadicInputMinArity)(const struct OrtCustomOp *op);
  int (*GetVariadicInputHomogeneity)(const struct OrtCustomOp *op);
  int (*GetVariadicOutputMinArity)(const struct OrtCustomOp *op);
  int (*GetVariadicOutputHomogeneity)(const struct OrtCustomOp *op);
  void *CreateKernelV2;
  void *KernelComputeV2;
  OrtStatus *(*InferOutputShapeFn)(const struct OrtCustomOp *op, OrtShapeInferContext *context);
  int (*GetStartVersion)(const struct OrtCustomOp *op);
  int (*GetEndVersion)(const struct OrtCustomOp *op);
  size_t (*GetMayInplace)(int **input_index, int **output_index);
  void (*ReleaseMayInplace)(int *input_index, int *output_index);
  size_t (*GetAliasMap)(int **input_index, int **output_index);
  void (*ReleaseAliasMap)(int *input_index, int *output_index);
} OrtCustomOp;
#define ORT_INDEX_CreateCustomOpDomain 26
typedef OrtStatus *(*CreateCustomOpDomainFn)(const char *domain, OrtCustomOpDomain **out);
#define ORT_INDEX_CustomOpDomain_Add 27
typedef OrtStatus *(*CustomOpDomain_AddFn)(OrtCustomOpDomain *domain, const OrtCustomOp *op);
#define ORT_INDEX_AddCustomOpDomain 28
typedef OrtStatus *(*AddCustomOpDomainFn)(OrtSessionOptions *options, OrtCustomOpDomain *domain);
#define ORT_INDEX_KernelContext_GetInput 90
typedef OrtStatus *(*KernelContext_GetInputFn)(const OrtKernelContext *context, size_t index, const OrtValue **out);
#define ORT_INDEX_KernelContext_GetOutput 91
typedef OrtStatus *(*KernelContext_GetOutputFn)(OrtKernelContext *context, size_t index, const int64_t *dims, size_t rank, OrtValue **out);
#define ORT_INDEX_ShapeInferContext_GetInputTypeShape 268
typedef OrtStatus *(*ShapeInferContext_GetInputTypeShapeFn)(const OrtShapeInferContext *context, size_t index, OrtTensorTypeAndShapeInfo **info);
#define ORT_INDEX_ShapeInferContext_SetOutputTypeShape 270
typedef OrtStatus *(*ShapeInferContext_SetOutputTypeShapeFn)(const OrtShapeInferContext *context, size_t index, const OrtTensorTypeAndShapeInfo *info);

/* ORT_CALL(Run)(...) calls the table's Run through its declared type. */
#define ORT_CALL(name) ((name##Fn)(((void *const *)ort)[ORT_INDEX_##name]))

#endif
