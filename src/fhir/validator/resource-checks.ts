import { createHash } from 'node:crypto';
import { issue } from '../outcomes';
import type { CheckContext } from './context';
import type { Visit } from './walker';
import { isFhirId } from '../id-pattern';

/** Resource.id rules: 1–64 characters of `[A-Za-z0-9\-.]`. */
export function checkResourceId(resource: Record<string, unknown>, path: string, ctx: CheckContext): void {
  const id = resource.id;
  if (typeof id !== 'string' || isFhirId(id)) return;
  const why = id.length > 64 ? `Too long (${id.length} chars)` : `Invalid characters ('${id}')`;
  ctx.issues.push(
    issue({
      code: 'invalid',
      text: `Invalid resource id: ${why}; ids are 1-64 of A-Z a-z 0-9 - .`,
      expression: `${path}.id`,
    }),
  );
}

function base64Length(data: string): number {
  const clean = data.replace(/\s/g, '');
  const padding = clean.endsWith('==') ? 2 : clean.endsWith('=') ? 1 : 0;
  return Math.floor((clean.length * 3) / 4) - padding;
}

/**
 * Attachment.size and .hash describe .data when both are present
 * (https://hl7.org/fhir/R4/datatypes.html#Attachment: size is the byte count before base64
 * encoding, hash its base64 SHA-1).
 */
export function checkAttachment(visit: Visit, ctx: CheckContext): void {
  if (visit.type !== 'Attachment') return;
  const a = visit.value as Record<string, unknown>;
  if (typeof a.data !== 'string' || !/^[A-Za-z0-9+/=\s]*$/.test(a.data)) return;
  if (typeof a.size === 'number' && a.size !== base64Length(a.data)) {
    ctx.issues.push(
      issue({
        code: 'value',
        text: `Attachment size ${a.size} does not match its data (${base64Length(a.data)} bytes).`,
        expression: `${visit.path}.size`,
      }),
    );
  }
  if (typeof a.hash === 'string') {
    const actual = createHash('sha1').update(Buffer.from(a.data, 'base64')).digest('base64');
    if (actual !== a.hash.trim()) {
      ctx.issues.push(
        issue({
          code: 'value',
          text: `Attachment hash does not match the SHA-1 of its data (expected ${actual}).`,
          expression: `${visit.path}.hash`,
        }),
      );
    }
  }
}
