import type { ElementDefinition, StructureDefinition } from '@medplum/fhirtypes';

/**
 * Compares a generated snapshot to a published one on what a validator relies on: element ids
 * (and so order), cardinality, types (code, profile, targetProfile), fixed/pattern values,
 * slicing (discriminator, rules, ordered — absent means false, FHIR R4 ElementDefinition.slicing.ordered)
 * and binding (strength, valueSet). Returns the first difference, or undefined when they agree.
 */
export function firstDifference(
  generated: StructureDefinition,
  published: StructureDefinition,
): string | undefined {
  const a = generated.snapshot?.element ?? [];
  const b = published.snapshot?.element ?? [];
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const g = a[i];
    const p = b[i];
    if (!g || !p || g.id !== p.id)
      return `element #${i}: generated ${g?.id ?? '(end)'}, published ${p?.id ?? '(end)'}`;
    const diff = elementDifference(g, p);
    if (diff) return `${p.id}: ${diff}`;
  }
  return undefined;
}

function elementDifference(g: ElementDefinition, p: ElementDefinition): string | undefined {
  const aspects: [string, unknown, unknown][] = [
    ['min', g.min, p.min],
    ['max', g.max, p.max],
    ['type', types(g), types(p)],
    ['fixed/pattern', fixedAndPattern(g), fixedAndPattern(p)],
    ['slicing', slicing(g), slicing(p)],
    ['binding', binding(g), binding(p)],
  ];
  for (const [name, x, y] of aspects) {
    const sx = JSON.stringify(x);
    const sy = JSON.stringify(y);
    if (sx !== sy) return `${name} generated ${sx}, published ${sy}`;
  }
  return undefined;
}

function types(e: ElementDefinition): unknown {
  return (e.type ?? []).map((t) => ({
    code: t.code,
    profile: t.profile ?? [],
    targetProfile: t.targetProfile ?? [],
  }));
}

function fixedAndPattern(e: ElementDefinition): unknown {
  const entries = Object.entries(e as unknown as Record<string, unknown>)
    .filter(([k]) => /^(fixed|pattern)[A-Z]/.test(k))
    .map(([k, v]) => [k, sortKeys(v)] as const)
    .sort(([x], [y]) => x.localeCompare(y));
  return Object.fromEntries(entries);
}

function slicing(e: ElementDefinition): unknown {
  if (!e.slicing) return null;
  const { discriminator, rules, ordered } = e.slicing;
  return { discriminator: discriminator ?? [], rules, ordered: ordered ?? false };
}

function binding(e: ElementDefinition): unknown {
  return e.binding ? { strength: e.binding.strength, valueSet: e.binding.valueSet ?? null } : null;
}

/** JSON with object keys sorted, so that key order does not count as a difference. */
function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, v]) => [k, sortKeys(v)]),
    );
  }
  return value;
}
