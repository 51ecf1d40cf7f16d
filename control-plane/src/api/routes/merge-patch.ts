// JSON Merge Patch (RFC 7396 §2, the MergePatch pseudo-code): an object patch merges key by key, a
// null removes the key, anything else (arrays included) replaces the target. And the other half of a
// safe update: which whole top-level sections of a policy a new version drops, said back to the writer
// (a PUT that forgot `egress` used to drop every rule silently).

type Json = unknown;
const isObject = (v: Json): v is Record<string, Json> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function mergePatch(target: Json, patch: Json): Json {
  if (!isObject(patch)) return patch;
  const out: Record<string, Json> = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/** One warning per top-level section the previous version had and the next one lacks. */
export function droppedSections(previous: Json, next: Json): string[] {
  if (!isObject(previous) || !isObject(next)) return [];
  return Object.keys(previous)
    .filter((k) => !Object.hasOwn(next, k))
    .map(
      (k) =>
        `this version drops the whole '${k}' section the previous version had; ` +
        `if that was not meant, PATCH only the fields you change (application/merge-patch+json) or roll back`,
    );
}
