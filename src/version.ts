import { readFileSync } from "node:fs";
import { packagePath } from "./paths.js";

/** The package version, from the package's package.json. */
export const VERSION: string = (JSON.parse(readFileSync(packagePath("package.json"), "utf8")) as { version: string }).version;
