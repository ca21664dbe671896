import { Command, Option } from 'commander';
import { readDisclosureLog } from '../../../app/disclosure-log';
import type { DisclosureLogEntry } from '../../../audit/disclosure-log';
import { withRuntime } from '../../../bootstrap/compose';

/**
 * `kap-bridge disclosures --patient MRN [--format text|json]` (DESIGN.md §8; 45 CFR 164.528):
 * the client's disclosure log — only what reached a destination: date, recipient, what, purpose,
 * consent. The read is recorded in the audit trail. Exit 0; 1 when the MRN is unknown.
 */
export function registerDisclosures(program: Command): void {
  program
    .command('disclosures')
    .description("print a client's disclosure log (what reached the referring clinician)")
    .requiredOption('--patient <mrn>', "the client's MRN")
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (opts: { patient: string; format: 'text' | 'json' }) => {
      const log = await withRuntime((rt) =>
        readDisclosureLog({ store: rt.store, clock: rt.clock }, opts.patient, 'cli'),
      );
      if (opts.format === 'json') console.log(JSON.stringify({ mrn: opts.patient, ...log }, null, 2));
      else console.log(formatLog(opts.patient, log.found, log.entries));
      process.exitCode = log.found ? 0 : 1;
    });
}

function formatLog(mrn: string, found: boolean, entries: DisclosureLogEntry[]): string {
  if (!found) return `no client with MRN ${mrn}`;
  if (entries.length === 0) return `disclosures of ${mrn}: none`;
  const lines = entries.map((e) => {
    const what = e.what.map((w) => w.replace(/\/_history\/\d+$/, '')).join(', ');
    const sections = e.sections.length > 0 ? ` [${e.sections.join(', ')}]` : '';
    return `  ${e.date}  to NPI ${e.recipientNpi ?? '?'} (${e.destinationId ?? '?'})  ${what}${sections}  purpose ${e.purpose}  consent ${e.consent ?? '-'}${e.late ? '  LATE' : ''}`;
  });
  return [`disclosures of ${mrn} (${entries.length}):`, ...lines].join('\n');
}
