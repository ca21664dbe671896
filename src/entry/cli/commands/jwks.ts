import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import type { SmartAlg } from '../../../app/ports/destination-port';
import {
  buildJwks,
  generateSigningKey,
  parseDestinations,
  publicJwkFromPrivatePem,
  type PublicJwk,
} from '../../../bootstrap/compose';
import { processEnvironment } from '../../../bootstrap/settings';

export interface JwksOptions {
  destinations?: string;
  generate?: boolean;
  alg?: string;
  out?: string;
}

export interface JwksRun {
  stdout: string;
  stderr: string;
  exitCode: number;
}

const fail = (message: string): JwksRun => ({ stdout: '', stderr: message, exitCode: 2 });
const json = (v: unknown): string => JSON.stringify(v, null, 2);

/**
 * `kap-bridge jwks`: the public JSON Web Key Set to register with each destination's EHR for
 * SMART Backend Services (one key per smart-backend destination, `kid`/`alg`/`use: "sig"`), read
 * from the destinations file (`--destinations` or KAP_BRIDGE_DESTINATIONS). With `--generate`,
 * writes a new PKCS#8 private key (mode 0600, never overwriting) and prints its public JWKS.
 */
export function runJwks(opts: JwksOptions, env: Record<string, string | undefined>): JwksRun {
  if (opts.generate) return runGenerate(opts);
  const file = opts.destinations ?? env.KAP_BRIDGE_DESTINATIONS;
  if (!file) return fail('no destinations file: pass --destinations FILE or set KAP_BRIDGE_DESTINATIONS');
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    return fail(`cannot read ${file}: ${(err as Error).message}`);
  }
  const parsed = parseDestinations(raw);
  if (!parsed.ok)
    return fail(parsed.outcome.issue?.map((i) => i.details?.text).join('\n') ?? 'invalid destinations file');
  const keys: PublicJwk[] = [];
  for (const d of parsed.destinations) {
    if (d.auth.type !== 'smart-backend') continue;
    const keyFile = path.resolve(path.dirname(file), d.auth.privateKeyFile);
    try {
      keys.push(publicJwkFromPrivatePem(readFileSync(keyFile, 'utf8'), d.auth.alg, d.auth.kid));
    } catch (err) {
      return fail(`destination "${d.id}": auth.privateKeyFile ${keyFile}: ${(err as Error).message}`);
    }
  }
  const note = keys.length === 0 ? 'no smart-backend destination in the file: the key set is empty\n' : '';
  return { stdout: json(buildJwks(keys)), stderr: note, exitCode: 0 };
}

function runGenerate(opts: JwksOptions): JwksRun {
  const alg = (opts.alg ?? 'ES384') as SmartAlg;
  if (alg !== 'ES384' && alg !== 'RS384') return fail('--alg must be ES384 or RS384');
  if (!opts.out) return fail('--generate needs --out FILE (where the private key is written)');
  const { privateKeyPem, publicJwk } = generateSigningKey(alg);
  try {
    // A new key folder (README: `--out keys/lakeside.pem`) is created owner-only; an existing one
    // is left as it is.
    mkdirSync(path.dirname(opts.out), { recursive: true, mode: 0o700 });
    // 'wx': never overwrite an existing key; 0600: the private key is readable by its owner only.
    writeFileSync(opts.out, privateKeyPem, { flag: 'wx', mode: 0o600 });
  } catch (err) {
    return fail(`cannot write ${opts.out}: ${(err as Error).message}`);
  }
  const hint =
    `wrote the ${alg} private key to ${opts.out} (mode 0600). In the destinations file set ` +
    `"privateKeyFile": "${opts.out}", "alg": "${alg}", "kid": "${publicJwk.kid}"; register the key set below with the EHR.\n`;
  return { stdout: json(buildJwks([publicJwk])), stderr: hint, exitCode: 0 };
}

/** Registers `kap-bridge jwks`. */
export function registerJwks(program: Command): void {
  program
    .command('jwks')
    .description('print the public JWKS to register for SMART Backend Services (or generate a key)')
    .option('--destinations <file>', 'destinations file (default: KAP_BRIDGE_DESTINATIONS)')
    .option('--generate', 'generate a new signing key pair')
    .option('--alg <alg>', 'ES384 or RS384 (with --generate)', 'ES384')
    .option('--out <file>', 'where to write the new private key (with --generate)')
    .action((opts: JwksOptions) => {
      const run = runJwks(opts, processEnvironment());
      if (run.stdout) console.log(run.stdout);
      if (run.stderr) process.stderr.write(run.stderr.endsWith('\n') ? run.stderr : `${run.stderr}\n`);
      process.exitCode = run.exitCode;
    });
}
