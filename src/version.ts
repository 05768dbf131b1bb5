import { PACKAGE_VERSION } from "./generated/assets.js";

/** The package version, from the package's package.json (copied by the build). */
export const VERSION: string = PACKAGE_VERSION;
