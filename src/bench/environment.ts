/** What a benchmark ran on: enough to tell whether two result files are comparable. */

import os from "node:os";

export interface RuntimeInfo {
  /** e.g. "onnxruntime-node". */
  readonly name: string;
  readonly version: string;
}

export interface Environment {
  readonly cpu_model: string;
  /** Logical CPUs this process may use. */
  readonly cores: number;
  readonly os: string;
  readonly arch: string;
  readonly node_version: string;
  readonly runtime: string;
  readonly runtime_version: string;
  /** ISO 8601 time the benchmark started. */
  readonly date: string;
  /** Set when malloc was tuned; it changes timings a lot on models with large outputs. */
  readonly glibc_tunables?: string;
}

export function cpuModel(): string {
  return os.cpus()[0]?.model.trim() || "unknown CPU";
}

export function collectEnvironment(runtime: RuntimeInfo, now: Date = new Date()): Environment {
  const tunables = process.env["GLIBC_TUNABLES"];
  return {
    cpu_model: cpuModel(),
    cores: os.availableParallelism(),
    os: `${os.type()} ${os.release()}`,
    arch: os.arch(),
    node_version: process.versions.node,
    runtime: runtime.name,
    runtime_version: runtime.version,
    date: now.toISOString(),
    ...(tunables ? { glibc_tunables: tunables } : {}),
  };
}
