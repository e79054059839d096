export type DeepPartial<T> = T extends Array<unknown> ? T : T extends Record<string, unknown> ? { [K in keyof T]?: DeepPartial<T[K]> } : T;

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Layers `override` onto `base`: plain objects merge key by key, everything else (arrays,
 * null, scalars) replaces. `undefined` in the override leaves the base value alone.
 */
export function deepMerge(base: unknown, override: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(override)) return override === undefined ? base : override;
  const result: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(override)) {
    if (value === undefined) continue;
    result[key] = key in base ? deepMerge(base[key], value) : value;
  }
  return result;
}
