/** ajv options shared by the runtime compiler and the build-time standalone compiler. */
export const AJV_OPTIONS = {
  allErrors: true,
  verbose: true,
  discriminator: true,
  strict: true,
  strictRequired: false,
  strictTypes: false,
  strictTuples: false,
} as const;
