import { parseArgs } from 'node:util';
import { connectToHub } from './connect.js';
import { CONFIG_OPTION, type CliContext } from './main.js';

export async function replayCommand(args: string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { ...CONFIG_OPTION, 'all-failed': { type: 'boolean', default: false }, connector: { type: 'string' } },
    allowPositionals: true,
  });
  const jobId = positionals[0];
  if (!jobId && !values['all-failed']) {
    ctx.err('hub replay: give a job id, or --all-failed [--connector ID]');
    return 2;
  }
  const hub = await connectToHub(values.config, ctx);
  try {
    const ids = values.connector ? [hub.runtime.connector(values.connector).config.id] : [...hub.runtime.connectors.keys()];
    if (jobId) {
      await hub.runtime.queues.replay(jobId, ids);
      ctx.out(`replayed job ${jobId}`);
    } else {
      const n = await hub.runtime.queues.replayAll(ids);
      ctx.out(`replayed ${n} dead-lettered job(s)`);
    }
    await hub.store.audit({ actor: 'cli', action: 'dead-letters.replay', target: jobId ?? values.connector ?? '*' });
    return 0;
  } finally {
    await hub.close();
  }
}
