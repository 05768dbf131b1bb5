/** Worker thread for check_many.ts: checks the files it claims and posts the diagnostics. */
import { parentPort, workerData } from "node:worker_threads";
import { checkClaimed, type WorkerInput } from "./check_many.js";

parentPort!.postMessage(checkClaimed(workerData as WorkerInput));
