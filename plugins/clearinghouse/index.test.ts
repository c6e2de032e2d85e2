import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalFolderTransport } from '../../connectors/files/local-folder.js';
import type { FileInfo, FileTransport } from '../../connectors/files/types.js';
import { createSftpTransport } from '../../connectors/sftp/sftp-transport.js';
import { syntheticFile } from '../../connectors/x12/fixtures/synthetic.js';
import type { EntityData } from '../../core/sdk/index.js';
import { createPluginHarness, runPluginSync } from '../../core/sdk/testkit.js';
import { startSftpServer, type SftpTestServer } from '../../tests/support/sftp-server.js';
import clearinghouse, { SMALL_FILE_BYTES } from './index.js';

const FIXTURE = new URL('./fixtures/remittance-835.edi', import.meta.url);
const remittance = readFileSync(FIXTURE, 'utf8');
const SLOW = { timeout: 60_000 };

const folders: string[] = [];
function inbox(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'clearinghouse-'));
  folders.push(root);
  mkdirSync(join(root, 'inbound'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(root, 'inbound', name), text);
  return root;
}
afterAll(() => folders.forEach((f) => rmSync(f, { recursive: true, force: true })));

const config = { inbox: { folder: 'inbound', pattern: '*.{835,edi,txt}' } };

describe('clearinghouse inbox', () => {
  it('turns an 835 into a Remittance, quarantines what is not X12 or has a broken envelope, and reads nothing twice', SLOW, async () => {
    const root = inbox({
      'ERA-20261015.835': remittance,
      'readme.txt': 'Dear provider, your remittance is attached.\n',
      // SE01 says one segment more than the set holds.
      'ERA-broken.835': remittance.replace(/SE\*(\d+)\*/, (_m, n: string) => `SE*${Number(n) + 1}*`),
    });
    const first = await runPluginSync(clearinghouse, {
      config,
      files: { path: root, archive: 'archive', quarantine: 'quarantine' },
      tenant: 'riverside-family',
    });
    try {
      expect(first.error).toBeUndefined();
      expect(first.counts).toMatchObject({ files: 1, filesQuarantined: 2, created: 1 });
      expect(first.records).toHaveLength(1);
      expect(first.records[0]).toMatchObject({
        type: 'Remittance',
        externalSystem: 'x12-835',
        externalId: 'SHP01|EFT20261015A',
        data: { paymentAmount: 165, traceNumber: 'EFT20261015A' },
      });
      // Processed files are archived; the others are set aside with the reason beside them.
      expect(readdirSync(join(root, 'archive'))).toEqual(['ERA-20261015.835']);
      const quarantined = readdirSync(join(root, 'quarantine')).sort();
      expect(quarantined).toEqual(['ERA-broken.835', 'ERA-broken.835.reason.txt', 'readme.txt', 'readme.txt.reason.txt']);
      expect(readFileSync(join(root, 'quarantine', 'ERA-broken.835.reason.txt'), 'utf8')).toMatch(/segment \d+ \(SE\).*SE01/);
      expect(readFileSync(join(root, 'quarantine', 'readme.txt.reason.txt'), 'utf8')).toMatch(/not an X12 interchange/);

      // The same file dropped again (a clearinghouse re-send) is recognised by the ledger.
      copyFileSync(FIXTURE, join(root, 'inbound', 'ERA-20261015.835'));
      const again = await first.rerun();
      expect(again.counts).toMatchObject({ filesSkipped: 1, created: 0, updated: 0 });
    } finally {
      await first.harness.close();
    }
  });

  it('turns 999 and 277CA acknowledgments into ClaimAcknowledgment records and a 271 into EligibilityChecks', SLOW, async () => {
    const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
    const root = inbox({
      'ACK-accepted.999': fixture('acknowledgment-999-accepted.edi'),
      'ACK-partial.999': fixture('acknowledgment-999-partial.edi'),
      'CA-20261004.277': fixture('claim-acknowledgment-277ca.edi'),
      'ELIG-20261005.271': fixture('eligibility-271.edi'),
    });
    const result = await runPluginSync(clearinghouse, { config: { inbox: { folder: 'inbound', pattern: '*.{999,277,271}' } }, files: root });
    try {
      expect(result.error).toBeUndefined();
      expect(result.rejects).toEqual([]);
      const acks = result.records.filter((r) => r.type === 'ClaimAcknowledgment');
      expect(acks.length).toBeGreaterThanOrEqual(4);
      const statuses = acks.map((r) => (r.data as { status: string }).status);
      expect(statuses).toContain('accepted');
      expect(statuses).toContain('rejected');
      const eligibility = result.records.filter((r) => r.type === 'EligibilityCheck');
      expect(eligibility.map((r) => (r.data as { coverageActive?: boolean }).coverageActive).sort()).toEqual([false, true]);
      // Dropped again, nothing changes.
      const again = await result.rerun({ full: true });
      expect(again.counts).toMatchObject({ created: 0, updated: 0 });
    } finally {
      await result.harness.close();
    }
  });

  it('rejects a remittance whose totals do not balance, with the reason, and never stores it', SLOW, async () => {
    const root = inbox({ 'ERA-bad-total.835': remittance.replace('BPR*I*165*', 'BPR*I*170*') });
    const result = await runPluginSync(clearinghouse, { config, files: root });
    try {
      expect(result.records).toEqual([]);
      expect(result.rejects).toHaveLength(1);
      expect(result.rejects[0]!.reasons.join('\n')).toMatch(/ERA-bad-total\.835: segment \d+ \(BPR\): BPR02 does not balance/);
    } finally {
      await result.harness.close();
    }
  });
});

/**
 * Syncs an inbox through the folder transport, counting each file's downloads. `listedAs` changes
 * the size the listing reports, as when a file changes between list and read.
 */
async function syncCountingReads(files: Record<string, string>, listedAs?: (file: FileInfo) => number) {
  const root = inbox(files);
  const folder = createLocalFolderTransport({ root, archiveFolder: 'archive', quarantineFolder: 'quarantine' });
  const reads: Record<string, number> = {};
  const transport: FileTransport = {
    ...folder,
    async list(path, options) {
      const listed = await folder.list(path, options);
      return listedAs ? listed.map((file) => ({ ...file, size: listedAs(file) })) : listed;
    },
    async readStream(path) {
      reads[path] = (reads[path] ?? 0) + 1;
      return folder.readStream(path);
    },
  };
  const harness = await createPluginHarness(clearinghouse, { config: { inbox: { folder: 'inbound', pattern: '*' } }, filesTransport: transport });
  try {
    return { root, reads, result: await harness.sync() };
  } finally {
    await harness.close();
  }
}

const stored = (records: { type: string; externalSystem: string; externalId: string; data: unknown }[]) =>
  records.map(({ type, externalSystem, externalId, data }) => ({ type, externalSystem, externalId, data })).sort((a, b) => a.externalId.localeCompare(b.externalId));

/** A synthetic 835 file paying `claims` claims of 80.00 each, one interchange per 5,000 claims. */
const remittanceOf = (claims: number) => [...syntheticFile('835', claims)].join('');

describe('clearinghouse inbox downloads', () => {
  const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
  const answers = () => ({
    'ERA-20261015.835': remittance,
    'ACK-partial.999': fixture('acknowledgment-999-partial.edi'),
    'CA-20261004.277': fixture('claim-acknowledgment-277ca.edi'),
    'TA1-accepted.ta1': fixture('acknowledgment-ta1-accepted.edi'),
  });

  it('downloads each small file once and stores the same records as reading it twice as a stream', SLOW, async () => {
    const once = await syncCountingReads(answers());
    expect(once.result.error).toBeUndefined();
    expect(once.reads).toEqual({ 'inbound/ERA-20261015.835': 1, 'inbound/ACK-partial.999': 1, 'inbound/CA-20261004.277': 1, 'inbound/TA1-accepted.ta1': 1 });
    expect(once.result.counts).toMatchObject({ files: 4 });
    expect(once.result.records.find((r) => r.type === 'Remittance')).toMatchObject({
      externalId: 'SHP01|EFT20261015A',
      data: { paymentAmount: 165, traceNumber: 'EFT20261015A' },
    });
    expect(new Set(once.result.records.map((r) => r.externalSystem))).toEqual(new Set(['x12-835', 'x12-999', 'x12-277ca', 'x12-ta1']));

    // The same files listed as large take the two streaming passes, and come out the same.
    const twice = await syncCountingReads(answers(), () => SMALL_FILE_BYTES + 1);
    expect(Object.values(twice.reads)).toEqual([2, 2, 2, 2]);
    expect(stored(once.result.records)).toEqual(stored(twice.result.records));
    expect(once.result.rejects).toEqual(twice.result.rejects);
    expect(once.result.counts).toEqual(twice.result.counts);
  });

  it('streams a file larger than SMALL_FILE_BYTES in two reads, and maps every claim payment', SLOW, async () => {
    const large = remittanceOf(3400);
    expect(large.length).toBeGreaterThan(SMALL_FILE_BYTES);
    const { reads, result } = await syncCountingReads({ 'ERA-large.835': large, 'ACK-partial.999': fixture('acknowledgment-999-partial.edi') });
    expect(result.error).toBeUndefined();
    expect(reads).toEqual({ 'inbound/ERA-large.835': 2, 'inbound/ACK-partial.999': 1 });
    const remit = result.records.find((r) => r.type === 'Remittance')!.data as EntityData<'Remittance'>;
    expect(remit).toMatchObject({ paymentAmount: 3400 * 80, traceNumber: 'EFT0' });
    expect(remit.claimPayments).toHaveLength(3400);
    expect(remit.claimPayments.at(-1)).toMatchObject({ patientControlNumber: 'PCN3399', paidAmount: 80 });
  });

  it('stops holding a file listed as small once it has grown past four times the limit, and streams it instead', SLOW, async () => {
    const grown = remittanceOf(13_500);
    expect(grown.length).toBeGreaterThan(4 * SMALL_FILE_BYTES);
    const { reads, result } = await syncCountingReads({ 'ERA-grown.835': grown }, () => 2_000);
    expect(result.error).toBeUndefined();
    // The first read turns into the streaming check part-way; the mapping pass reads it again.
    expect(reads).toEqual({ 'inbound/ERA-grown.835': 2 });
    const remits = result.records.map((r) => r.data as EntityData<'Remittance'>);
    expect(remits.map((r) => r.claimPayments.length).sort()).toEqual([3_500, 5_000, 5_000]);
  });

  it('quarantines a small file that is not X12, read once, with the reason the streaming check gives', SLOW, async () => {
    const files = () => ({ 'readme.txt': 'Dear provider, your remittance is attached.\n', 'empty.835': '' });
    const reason = (root: string, name: string) => readFileSync(join(root, 'quarantine', `${name}.reason.txt`), 'utf8');
    const once = await syncCountingReads(files());
    expect(once.result.error).toBeUndefined();
    expect(once.result.counts).toMatchObject({ filesQuarantined: 2 });
    expect(once.reads).toEqual({ 'inbound/readme.txt': 1, 'inbound/empty.835': 1 });
    expect(reason(once.root, 'readme.txt')).toMatch(/^inbound\/readme\.txt was quarantined:\nnot an X12 interchange/);
    expect(reason(once.root, 'empty.835')).toBe('inbound/empty.835 was quarantined:\nnot an X12 interchange: the file is empty\n');

    const streamed = await syncCountingReads(files(), () => SMALL_FILE_BYTES + 1);
    expect(reason(once.root, 'readme.txt')).toBe(reason(streamed.root, 'readme.txt'));
  });
});

describe('clearinghouse over SFTP (a real OpenSSH server)', () => {
  let server: SftpTestServer;
  beforeAll(async () => {
    server = await startSftpServer();
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
  });

  it('reads the remittance from the server and archives it there', SLOW, async () => {
    mkdirSync(server.localPath('clearinghouse/inbound'), { recursive: true });
    writeFileSync(server.localPath('clearinghouse/inbound/ERA-20261015.835'), remittance);
    const transport = createSftpTransport({
      host: server.host,
      port: server.port,
      username: server.username,
      privateKey: server.privateKey,
      hostKey: server.hostKeyFingerprint,
      root: `${server.root}/clearinghouse`,
      archiveFolder: 'archive',
    });
    const harness = await createPluginHarness(clearinghouse, { config, filesTransport: transport });
    try {
      const result = await harness.sync();
      expect(result.error).toBeUndefined();
      expect(result.records.map((r) => r.externalId)).toEqual(['SHP01|EFT20261015A']);
      expect(existsSync(server.localPath('clearinghouse/archive/ERA-20261015.835'))).toBe(true);
      expect(existsSync(server.localPath('clearinghouse/inbound/ERA-20261015.835'))).toBe(false);
    } finally {
      await harness.close();
      await transport.close();
    }
  });
});
