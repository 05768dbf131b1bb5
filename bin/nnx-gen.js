#!/usr/bin/env node
import { runCli } from "../dist/cli-bundle/nnx-gen.js";

await runCli(process.argv.slice(2));
