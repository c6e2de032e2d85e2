import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { element, parseSegments, transactionSets, validateInterchange } from '../../connectors/x12/index.js';
import { exampleRecords } from '../../core/model/examples.js';
import { validateEntity, type EntityData } from '../../core/sdk/index.js';
import { createPluginHarness } from '../../core/sdk/testkit.js';
import clearinghouse from './index.js';
import { x12Mappers } from './mappers.js';
import simulator from './simulator.js';

const SLOW = { timeout: 60_000 };
const folders: string[] = [];
afterAll(() => folders.forEach((f) => rmSync(f, { recursive: true, force: true })));

const submission = {
  sender: { id: 'PRAIRIEMSO', gsCode: 'PRAIRIEMSO' },
  receiver: { id: 'CLEARPATH', gsCode: 'CLEARPATH', name: 'CLEARPATH EDI', etin: 'CLEARPATH' },
  submitter: { name: 'PRAIRIE HEALTH MSO', etin: 'PRAIRIEMSO', phone: '9135550100' },
};

/** Every transaction set of an answer file, mapped the way the clearinghouse inbox maps it. */
async function mapped(path: string) {
  const segments = parseSegments(readFileSync(path, 'latin1'));
  expect(validateInterchange(segments).problems).toEqual([]);
  const out = [];
  for await (const set of transactionSets(segments)) {
    const result = x12Mappers[element(set.segments[0]!, 1)]!(set.segments, { isa: segments[0], gs: set.gs });
    expect(result.problems).toEqual([]);
    out.push(...result.records);
  }
  return out;
}

describe('the clearinghouse simulator', () => {
  it('answers an uploaded 837 with a 999, a payer 277CA and a balanced 835 that deny the listed procedures', SLOW, async () => {
    const root = mkdtempSync(join(tmpdir(), 'simulator-'));
    folders.push(root);
    const connector = await createPluginHarness(clearinghouse, { config: { submission }, files: root });
    const payer = await createPluginHarness(simulator, { config: { denyProcedures: ['83036'], copay: 20, paymentRate: 0.8 }, files: root, store: connector.store });
    try {
      const claim = (pcn: string) => ({ type: 'Claim' as const, data: { ...exampleRecords.Claim, patientControlNumber: pcn }, ref: { system: 'pm', id: pcn } });
      expect((await connector.deliver([claim('SIM-A'), claim('SIM-B')])).error).toBeUndefined();
      const answered = await payer.sync();
      expect(answered.counts).toMatchObject({ filesAnswered: 1 });
      const files = readdirSync(join(root, 'inbound')).sort();
      expect(files).toEqual(['SIM-000000001-1-999.999', 'SIM-000000001-2-277CA.277', 'SIM-000000001-3-ERA.835']);

      const [ack] = await mapped(join(root, 'inbound', files[0]!));
      expect(ack!.record).toMatchObject({ source: '999', status: 'accepted', groupControlNumber: '1', transactionSetControlNumber: '0001' });
      const acks = await mapped(join(root, 'inbound', files[1]!));
      expect(acks.map((a) => a.record)).toEqual([
        expect.objectContaining({ source: '277CA', acknowledgedBy: 'payer', status: 'accepted', patientControlNumber: 'SIM-A' }),
        expect.objectContaining({ source: '277CA', acknowledgedBy: 'payer', status: 'accepted', patientControlNumber: 'SIM-B' }),
      ]);
      const [era] = await mapped(join(root, 'inbound', files[2]!));
      const remittance = era!.record as EntityData<'Remittance'>;
      expect(validateEntity('Remittance', remittance)).toEqual([]);
      // 175.00 allowed at 80% = 140.00 less a 20.00 copay; the 45.00 lab line denied.
      expect(remittance.claimPayments.map((p) => [p.patientControlNumber, p.paidAmount, p.patientResponsibility])).toEqual([
        ['SIM-A', 120, 20],
        ['SIM-B', 120, 20],
      ]);
      expect(remittance.paymentAmount).toBe(240);
      expect(remittance.claimPayments[0]!.serviceLinePayments![1]).toMatchObject({ paidAmount: 0, adjustments: [{ group: 'CO', reasonCode: '96', amount: 45 }], remarkCodes: ['N130'] });

      // Each file is answered once, and a file no clearinghouse could read is refused, not retried.
      writeFileSync(join(root, 'outbound', 'garbage.x12'), 'this is not X12');
      const again = await payer.sync();
      expect(again.error).toBeUndefined();
      expect(again.counts).toMatchObject({ filesRefused: 1 });
      expect(again.counts.filesAnswered).toBeUndefined();
      expect(readdirSync(join(root, 'inbound'))).toHaveLength(3);
    } finally {
      await connector.store.close();
    }
  });
});
