import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createLocalFolderTransport } from '../../connectors/files/local-folder.js';
import type { FileTransport } from '../../connectors/files/types.js';
import { parseSegments, transactionSets, validateInterchange } from '../../connectors/x12/index.js';
import { exampleRecords } from '../../core/model/examples.js';
import { TransientError } from '../../core/sdk/index.js';
import { createPluginHarness } from '../../core/sdk/testkit.js';
import { claimFrom837 } from './claim-837.js';
import clearinghouse from './index.js';

const SLOW = { timeout: 60_000 };
const folders: string[] = [];
afterAll(() => folders.forEach((f) => rmSync(f, { recursive: true, force: true })));

const config = {
  inbox: { folder: 'inbound', pattern: '*.835' },
  submission: {
    sender: { id: 'PRAIRIEMSO', gsCode: 'PRAIRIEMSO' },
    receiver: { id: 'CLEARHOUSE', gsCode: 'CLEARHOUSE', name: 'EXAMPLE CLEARINGHOUSE', etin: 'CH001' },
    submitter: { name: 'PRAIRIE HEALTH MSO', etin: 'PMSO01', contactName: 'BILLING OFFICE', phone: '5125550100' },
  },
};

const claim = (pcn: string, extra: Record<string, unknown> = {}) => ({
  type: 'Claim' as const,
  data: { ...exampleRecords.Claim, patientControlNumber: pcn, ...extra },
  ref: { system: 'riverside-billing', id: pcn },
});

function outboxFolder(): string {
  const root = mkdtempSync(join(tmpdir(), 'clearinghouse-out-'));
  folders.push(root);
  return root;
}

async function claimsIn(path: string): Promise<string[]> {
  const text = readFileSync(path, 'utf8');
  expect(validateInterchange(parseSegments(text)).problems).toEqual([]);
  const pcns: string[] = [];
  for await (const set of transactionSets(parseSegments(text))) pcns.push(...claimFrom837(set).claims.map((c) => c.patientControlNumber));
  return pcns;
}

describe('submitting claims to the clearinghouse', () => {
  it('writes an 837P to the outbox, and a repeated delivery of the same claims sends nothing twice', SLOW, async () => {
    const root = outboxFolder();
    const harness = await createPluginHarness(clearinghouse, { config, files: root });
    try {
      const first = await harness.deliver([claim('RFM-0001'), claim('RFM-0002')]);
      expect(first.error).toBeUndefined();
      expect(first.counts).toMatchObject({ claimsSubmitted: 2, filesUploaded: 1 });
      const files = readdirSync(join(root, 'outbound'));
      expect(files).toEqual([expect.stringMatching(/^837P-\d{9}\.x12$/)]);
      expect((await claimsIn(join(root, 'outbound', files[0]!))).sort()).toEqual(['RFM-0001', 'RFM-0002']);

      const again = await harness.deliver([claim('RFM-0001'), claim('RFM-0002')]);
      expect(again.counts).toMatchObject({ alreadySubmitted: 2 });
      expect(readdirSync(join(root, 'outbound'))).toEqual(files);

      // A changed claim (a new version) is submitted again, in a new file with a fresh control number.
      const changed = await harness.deliver([claim('RFM-0001', { frequencyCode: '7', originalPayerClaimControlNumber: 'PCN0001' })]);
      expect(changed.counts).toMatchObject({ claimsSubmitted: 1 });
      expect(readdirSync(join(root, 'outbound'))).toHaveLength(2);
    } finally {
      await harness.close();
    }
  });

  it('records a submission before uploading it: after a failed upload the retry sends the same file, not a new one', SLOW, async () => {
    const root = outboxFolder();
    const local = createLocalFolderTransport({ root });
    let failNext = true;
    const flaky: FileTransport = {
      ...local,
      description: local.description,
      async write(path, data) {
        if (failNext) {
          failNext = false;
          throw new TransientError('connection lost during upload');
        }
        return local.write(path, data);
      },
    };
    const harness = await createPluginHarness(clearinghouse, { config, filesTransport: flaky });
    try {
      const failed = await harness.deliver([claim('RFM-0100')]);
      expect(failed.run.status).toBe('failed');
      expect(failed.error).toBeInstanceOf(TransientError);

      const retried = await harness.deliver([claim('RFM-0100')]);
      expect(retried.error).toBeUndefined();
      expect(retried.counts).toMatchObject({ filesUploaded: 1, alreadySubmitted: 1 });
      const files = readdirSync(join(root, 'outbound'));
      expect(files).toEqual(['837P-000000001.x12']);
      expect(await claimsIn(join(root, 'outbound', files[0]!))).toEqual(['RFM-0100']);
    } finally {
      await harness.close();
    }
  });

  it('keeps a claim the 837 cannot carry for review, and sends the others', SLOW, async () => {
    const root = outboxFolder();
    const harness = await createPluginHarness(clearinghouse, { config, files: root });
    try {
      const noPayerId = claim('RFM-0200', { payer: { name: 'SUNRISE HEALTH PLAN' } });
      const result = await harness.deliver([noPayerId, claim('RFM-0201')]);
      expect(result.counts).toMatchObject({ claimsSubmitted: 1 });
      expect(result.rejects).toHaveLength(1);
      expect(result.rejects[0]!.reasons.join(' ')).toMatch(/payerId is required by the 837/);
    } finally {
      await harness.close();
    }
  });
});
