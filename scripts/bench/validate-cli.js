// `kap-bridge validate` as a user waits for it (whole processes, start-up included): one file,
// and a folder of N files (official R4 examples of at most 32 KB, cycled) against plain @medplum/core validating the same folder
// (scripts/bench/medplum-validate.js), runs interleaved so a load spike hits both alike.
// Figures: { validateCli: { files, kapSeconds, medplumSeconds, ratio (medplum / kap seconds:
// higher is better), oneFileMs } }, each a median of several runs.
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { root, cli, main, median, pick, say, timeProcess } = require('./lib');

const examples = path.join(root, 'test/conformance/r4-examples');

/** Files of one clinical resource's size; the multi-megabyte definition Bundles are left out. */
const MAX_BYTES = 32 * 1024;

/** N files cycled from the official R4 examples (vendored, test/conformance/README.md). */
function writeFolder(n) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kap-bench-validate-'));
  const sources = fs
    .readdirSync(examples)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => fs.readFileSync(path.join(examples, f)))
    .filter((bytes) => bytes.length <= MAX_BYTES);
  for (let i = 0; i < n; i++) {
    fs.writeFileSync(path.join(dir, `${String(i).padStart(5, '0')}.json`), sources[i % sources.length]);
  }
  return dir;
}

async function check(run, what) {
  // Exit 1 only means "errors found" (some official examples break rules medplum does not check).
  if (run.code !== 0 && run.code !== 1) throw new Error(`${what} exited ${run.code}: ${run.stderr}`);
  return run;
}

main(async () => {
  const files = pick({ full: 3000, quick: 3000, tiny: 30 });
  const runs = pick({ full: 5, quick: 3, tiny: 1 });
  const dir = writeFolder(files);
  const one = path.join(examples, 'Patient-example.json');
  try {
    const oneFile = [];
    const kap = [];
    const medplum = [];
    for (let r = 0; r < runs; r++) {
      oneFile.push((await check(await timeProcess([cli, 'validate', one]), 'validate one file')).ms);
      kap.push(
        (
          await check(
            await timeProcess([cli, 'validate', '--format', 'json', dir], { keep: 0 }),
            'validate folder',
          )
        ).ms,
      );
      const peer = await check(
        await timeProcess([path.join(__dirname, 'medplum-validate.js'), dir]),
        'medplum',
      );
      medplum.push(peer.ms);
      say(
        `run ${r + 1}: one file ${oneFile[r].toFixed(0)} ms; ${files} files: kap-bridge ${(kap[r] / 1000).toFixed(2)} s, plain medplum ${(medplum[r] / 1000).toFixed(2)} s (${peer.stdout.trim()})`,
      );
    }
    const kapSeconds = median(kap) / 1000;
    const medplumSeconds = median(medplum) / 1000;
    const ratio = medplumSeconds / kapSeconds;
    say(
      `validate CLI, medians of ${runs}: one file ${median(oneFile).toFixed(0)} ms; ${files} files kap-bridge ${kapSeconds.toFixed(2)} s vs plain medplum ${medplumSeconds.toFixed(2)} s (${ratio.toFixed(2)}×)`,
    );
    return {
      validateCli: {
        files,
        kapSeconds: Number(kapSeconds.toFixed(2)),
        medplumSeconds: Number(medplumSeconds.toFixed(2)),
        ratio: Number(ratio.toFixed(2)),
        oneFileMs: Math.round(median(oneFile)),
      },
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
