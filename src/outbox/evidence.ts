import type { OperationOutcome, OperationOutcomeIssue } from '@medplum/fhirtypes';

/**
 * What a destination answers is evidence, not content (DESIGN.md §6): a refusal may echo the
 * whole request back, PHI included, and megabytes of it. The OperationOutcome kept on an outbox
 * row and its attempt is therefore bounded: at most {@link MAX_EVIDENCE_BYTES} of UTF-8 JSON,
 * strings cut on a character boundary (never inside a surrogate pair), followed by an issue that
 * says it was truncated and how large the outcome was. Pure.
 */

/** The most an outcome kept as evidence may take, as UTF-8 JSON. */
export const MAX_EVIDENCE_BYTES = 8 * 1024;

const jsonBytes = (value: unknown): number => Buffer.byteLength(JSON.stringify(value), 'utf8');

/** `outcome` unchanged when it fits in `maxBytes`, else a truncated copy ending with the marker. */
export function boundEvidence(outcome: OperationOutcome, maxBytes = MAX_EVIDENCE_BYTES): OperationOutcome {
  const size = jsonBytes(outcome);
  if (size <= maxBytes) return outcome;
  const issues = outcome.issue ?? [];
  const kept: OperationOutcomeIssue[] = [];
  for (const candidate of issues) {
    const room =
      maxBytes - jsonBytes({ ...shell(outcome), issue: [...kept, marker(size, issues.length, maxBytes)] });
    const fitted = fitIssue(candidate, room - 1); // 1 byte for the comma between issues
    if (!fitted) break;
    kept.push(fitted);
  }
  return { ...shell(outcome), issue: [...kept, marker(size, issues.length - kept.length, maxBytes)] };
}

/** The outcome without its issues (resourceType, id). Anything else in it is dropped. */
function shell(outcome: OperationOutcome): Omit<OperationOutcome, 'issue'> {
  return { resourceType: 'OperationOutcome', ...(outcome.id ? { id: outcome.id } : {}) };
}

function marker(originalBytes: number, omittedIssues: number, maxBytes: number): OperationOutcomeIssue {
  const omitted = omittedIssues > 0 ? `, ${omittedIssues} issue(s) left out` : '';
  return {
    severity: 'information',
    code: 'too-long',
    details: {
      text: `truncated: the outcome was ${originalBytes} bytes; kept at most ${maxBytes} bytes${omitted}`,
    },
  };
}

/**
 * The issue whole when it fits in `room` bytes; else its severity, code and text (details.text,
 * else diagnostics) cut to fit; undefined when not even a short text fits.
 */
function fitIssue(issue: OperationOutcomeIssue, room: number): OperationOutcomeIssue | undefined {
  if (jsonBytes(issue) <= room) return issue;
  const base: OperationOutcomeIssue = { severity: issue.severity, code: issue.code };
  const text = issue.details?.text ?? issue.diagnostics ?? '';
  const overhead = jsonBytes({ ...base, details: { text: '' } });
  if (room - overhead < 64) return undefined;
  return { ...base, details: { text: cutToJsonBytes(text, room - overhead) } };
}

/**
 * The longest prefix of `text` whose JSON string form (quotes excluded) takes at most `maxBytes`
 * of UTF-8, ending with `…` when cut. The cut never splits a surrogate pair.
 */
export function cutToJsonBytes(text: string, maxBytes: number): string {
  const cost = (s: string) => jsonBytes(s) - 2;
  if (cost(text) <= maxBytes) return text;
  const ellipsis = '…';
  const budget = maxBytes - cost(ellipsis);
  // A prefix of n UTF-16 units costs at least n bytes, so the answer is below budget + 1.
  let lo = 0;
  let hi = Math.min(text.length, Math.max(budget, 0));
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (cost(safePrefix(text, mid)) <= budget) lo = mid;
    else hi = mid - 1;
  }
  return `${safePrefix(text, lo)}${ellipsis}`;
}

/** The first `n` UTF-16 units, one fewer when the last would be a lone high surrogate. */
function safePrefix(text: string, n: number): string {
  const last = text.charCodeAt(n - 1);
  return n > 0 && last >= 0xd800 && last <= 0xdbff ? text.slice(0, n - 1) : text.slice(0, n);
}
