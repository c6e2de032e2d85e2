/**
 * Logs are for operators: ids and counts. Whatever a source sends, and whatever goes wrong with
 * it, names, birth dates and member ids never reach the log. (The running hub is checked the same
 * way in tests/e2e/shipped-config.test.ts.)
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createPluginHarness } from '../core/sdk/testkit.js';
import mapped from '../plugins/mapped/index.js';

const FIXTURE = resolve(import.meta.dirname, 'fixtures/privacy/eligibility-roster.csv');
const folder = mkdtempSync(join(tmpdir(), 'hub-privacy-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

describe('privacy of the logs', () => {
  it('keeps names, birth dates and member ids out of every log line, for good rows and bad ones', async () => {
    cpSync(FIXTURE, join(folder, 'roster-2026.csv'));
    // A line that is not JSON at all, carrying a name and a member id, in an NDJSON drop.
    writeFileSync(join(folder, 'roster-extra.ndjson'), '{"Member ID":"ZXQ900999000","Subscriber Last":"Fairweather"}\nFairweather, Perpetua ZXQ900999111\n');
    const fields = {
      memberId: 'Member ID',
      'payer.name': 'Payer',
      'payer.payerId': 'Payer ID',
      'subscriber.name.family': 'Subscriber Last',
      'subscriber.name.given[0]': 'Subscriber First',
      'subscriber.birthDate': { path: 'Subscriber DOB', convert: 'date' },
      groupNumber: 'Group',
      planName: 'Plan',
      'period.start': { path: 'Start', convert: 'date' },
      'period.end': { path: 'End', convert: 'date' },
    };
    const harness = await createPluginHarness(mapped, {
      files: folder,
      config: {
        externalSystem: 'sunrise-roster',
        files: [
          { pattern: '*.csv', format: 'csv', entity: 'Coverage', externalId: 'Member ID', fields },
          { pattern: '*.ndjson', format: 'ndjson', entity: 'Coverage', externalId: 'Member ID', fields },
        ],
      },
    });
    try {
      const result = await harness.sync();
      // Two good rows landed; the impossible birth date and the broken lines were rejected.
      expect(result.records).toHaveLength(2);
      expect(result.rejects.length).toBeGreaterThanOrEqual(2);
      expect(harness.logs.some((line) => line.level === 40)).toBe(true);

      const log = harness.logs.map((line) => JSON.stringify(line)).join('\n');
      const roster = readFileSync(FIXTURE, 'utf8').split('\n').slice(1).filter(Boolean).map((line) => line.split(','));
      const phi = [
        ...roster.flatMap(([memberId, last, first, dob]) => [memberId, last, first, dob]),
        ...roster.map(([, , , dob]) => {
          const [month, day, year] = dob.split('/');
          return `${year}-${month}-${day}`;
        }),
        'ZXQ900999000',
        'ZXQ900999111',
        'Fairweather',
        'Perpetua',
      ];
      expect(phi.filter((value) => log.includes(value))).toEqual([]);
      // The log still says what happened, by file and line.
      expect(log).toMatch(/roster-2026\.csv/);
    } finally {
      await harness.close();
    }
  });
});
