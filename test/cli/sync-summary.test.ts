import { formatSummary } from '../../src/entry/cli/commands/sync';

/** `sync --once` output (README "CLI reference"): the drain's line, then the reply pull's when a destination pulls. */

const drained = { leased: 3, delivered: 3, retried: 0, dead: 0, withheld: 0, awaiting: 0, lost: 0 };
const pulled = {
  destinations: 1,
  pages: 2,
  received: 2,
  duplicates: 1,
  refused: 0,
  failed: [
    {
      destinationId: 'lakeside-ehr',
      reason: 'destination "lakeside-ehr" did not answer the search with a Bundle',
    },
  ],
};

test('without a pulling destination the summary is the drain alone, text and JSON as before', () => {
  expect(formatSummary(drained, 'text')).toBe(
    'sync: 3 attempted — 3 delivered, 0 to retry, 0 dead, 0 withheld, 0 awaiting consent',
  );
  expect(JSON.parse(formatSummary(drained, 'json'))).toEqual(drained);
});

test('with a pulling destination the text adds the replies line and each stopped pull; JSON adds a replies object', () => {
  expect(formatSummary(drained, 'text', pulled).split('\n')).toEqual([
    'sync: 3 attempted — 3 delivered, 0 to retry, 0 dead, 0 withheld, 0 awaiting consent',
    'replies: 2 received, 1 already stored, 0 refused (2 pages from 1 destinations)',
    '  reply pull stopped for lakeside-ehr: destination "lakeside-ehr" did not answer the search with a Bundle',
  ]);
  expect(JSON.parse(formatSummary(drained, 'json', pulled))).toEqual({ ...drained, replies: pulled });
});
