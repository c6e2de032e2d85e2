import { parseArgs } from 'node:util';
import { connectToHub } from './connect.js';
import { CONFIG_OPTION, table, type CliContext } from './main.js';

export async function statusCommand(args: string[], ctx: CliContext): Promise<number> {
  const { values } = parseArgs({ args, options: { ...CONFIG_OPTION }, allowPositionals: true });
  const hub = await connectToHub(values.config, ctx);
  try {
    const statuses = await hub.connectors();
    const rows = [['CONNECTOR', 'TENANT', 'PLUGIN', 'STATE', 'SCHEDULE', 'NEXT RUN', 'QUEUED', 'FAILED', 'LAST RUN']];
    for (const s of statuses) {
      const last = s.lastRun
        ? `${s.lastRun.status} ${s.lastRun.finishedAt ?? s.lastRun.startedAt} (+${s.lastRun.counts.created} ~${s.lastRun.counts.updated} !${s.lastRun.counts.rejected})`
        : 'never';
      rows.push([
        s.id,
        s.tenant,
        s.plugin,
        !s.enabled ? 'disabled' : s.paused ? 'paused' : 'active',
        s.schedule ?? '-',
        s.nextRunAt ?? '-',
        String(s.jobs.waiting + s.jobs.active + s.jobs.delayed),
        String(s.jobs.failed),
        last,
      ]);
    }
    ctx.out(table(rows));
    return 0;
  } finally {
    await hub.close();
  }
}
