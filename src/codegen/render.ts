/**
 * View model -> TypeScript text through the handlebars templates in `templates/`. The
 * environment is isolated (no global helpers or partials), strict (a missing field is an
 * error, not an empty string), never HTML-escapes, and knows only the helpers below, which
 * escape spec text for the context it lands in.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { packagePath } from "../paths.js";
import { commentText, stringLiteral } from "./escape.js";
import type { ModuleView } from "./view.js";

/**
 * handlebars is loaded on first use, not at import: the package root re-exports this module,
 * and generated modules and `check` should not pay for a template engine they do not use.
 */
const require = createRequire(import.meta.url);

const TEMPLATE_DIR = packagePath("templates");

const HELPERS: Readonly<Record<string, (text: string) => string>> = {
  comment: commentText,
  string: stringLiteral,
};

const COMPILE_OPTIONS: CompileOptions = {
  strict: true,
  noEscape: true,
  knownHelpersOnly: true,
  knownHelpers: Object.fromEntries(Object.keys(HELPERS).map((name) => [name, true])),
};

let moduleTemplate: HandlebarsTemplateDelegate<ModuleView> | undefined;

/** Compiled once, at first use. */
function loadModuleTemplate(): HandlebarsTemplateDelegate<ModuleView> {
  if (moduleTemplate) return moduleTemplate;
  const env = (require("handlebars") as typeof import("handlebars")).create();
  for (const [name, escape] of Object.entries(HELPERS)) {
    env.registerHelper(name, (value: unknown) => {
      if (typeof value !== "string") throw new TypeError(`template helper ${name} expects a string, got ${typeof value}`);
      return escape(value);
    });
  }
  env.registerPartial("tensor_group", env.compile(readTemplate("tensor_group.hbs"), COMPILE_OPTIONS));
  moduleTemplate = env.compile<ModuleView>(readTemplate("module.ts.hbs"), COMPILE_OPTIONS);
  return moduleTemplate;
}

function readTemplate(name: string): string {
  return readFileSync(join(TEMPLATE_DIR, name), "utf8");
}

export function renderModule(view: ModuleView): string {
  return loadModuleTemplate()(view);
}
