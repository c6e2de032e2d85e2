import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSftpTransport } from '../../connectors/sftp/sftp-transport.js';
import { createPluginHarness, runPluginSync } from '../../core/sdk/testkit.js';
import { startSftpServer, type SftpTestServer } from '../../tests/support/sftp-server.js';
import clearinghouse from './index.js';

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
