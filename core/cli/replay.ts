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
    if (jobId) {
      await hub.replay(jobId, values.connector);
      ctx.out(`replayed job ${jobId}`);
    } else {
      ctx.out(`replayed ${await hub.replayAll(values.connector)} dead-lettered job(s)`);
    }
    return 0;
  } finally {
    await hub.close();
  }
}
