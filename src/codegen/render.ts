/**
 * View model -> TypeScript text through the handlebars templates in `templates/`. The
 * environment is isolated (no global helpers or partials), strict (a missing field is an
 * error, not an empty string), never HTML-escapes, and knows only the helpers below, which
 * escape spec text for the context it lands in.
 */
import { TEMPLATES } from "../generated/assets.js";
import { host } from "../host.js";
import { commentText, stringLiteral } from "./escape.js";
import type { ModuleView } from "./view.js";

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
  // From the host, on first use: the package root re-exports this module, and generated
  // modules and `check` should not pay for a template engine they do not use.
  const env = host().handlebars().create();
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

/** The templates/ folder, copied into a module by the build (scripts/gen-assets.mjs). */
function readTemplate(name: string): string {
  return TEMPLATES[name]!;
}

export function renderModule(view: ModuleView): string {
  return loadModuleTemplate()(view);
}
