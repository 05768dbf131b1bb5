/**
 * Diagnostic codes of the file readers and writers (NNX3001-NNX3049). The table with
 * explanations is at the top of files.ts; src/diagnostics/codes.ts may import these titles.
 */
export const IO_CODES = {
  NNX3001: "file cannot be read",
  NNX3002: "file too large",
  NNX3003: "unsupported file extension",
  NNX3004: "file truncated",
  NNX3005: "unsupported dtype",
  NNX3006: "invalid shape",
  NNX3007: "duplicate tensor name",
  NNX3010: "not an .npy file",
  NNX3011: "malformed .npy header",
  NNX3012: "trailing bytes after .npy data",
  NNX3015: "invalid safetensors header length",
  NNX3016: "malformed safetensors header",
  NNX3017: "invalid safetensors data offsets",
  NNX3020: "not a ZIP file",
  NNX3021: "inconsistent ZIP structure",
  NNX3022: "unsupported ZIP feature",
  NNX3023: "corrupt ZIP member data",
  NNX3024: ".npz member is not an .npy array",
  NNX3030: "not valid msgpack",
  NNX3031: "unexpected msgpack tree",
  NNX3032: "malformed msgpack array",
  NNX3033: "malformed chunked msgpack array",
  NNX3035: "JSON syntax error",
  NNX3036: "JSON is not a numeric array",
  NNX3037: "value does not fit the dtype",
  NNX3038: "dtype cannot be converted",
  NNX3040: "file cannot be written",
} as const;

export type IoCode = keyof typeof IO_CODES;
