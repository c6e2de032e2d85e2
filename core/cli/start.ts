import { parseArgs } from 'node:util';
import { startHub, type HubRole } from '../hub.js';
import { createLogger } from '../logging.js';
import { DEFAULT_CONFIG, CONFIG_OPTION, type CliContext } from './main.js';

const ROLES: HubRole[] = ['all', 'api', 'worker', 'scheduler'];

export async function startCommand(args: string[], ctx: CliContext): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { ...CONFIG_OPTION, role: { type: 'string', default: 'all' } },
    allowPositionals: true,
  });
  const role = values.role as HubRole;
  if (!ROLES.includes(role)) {
    ctx.err(`hub start: --role must be one of ${ROLES.join(', ')} (got "${role}")`);
    return 2;
  }
  const logger = createLogger({ level: process.env.LOG_LEVEL });

  // Listening from the start: a SIGTERM while the hub is still starting (migrations, a slow Redis)
  // stops it cleanly once it is up, instead of killing it half-started.
  let signals = 0;
  let stopRequested: ((signal: NodeJS.Signals) => void) | undefined;
  let early: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    if (signals > 1) {
      logger.warn({ signal }, 'second signal: exiting without waiting for jobs (they will be retried)');
      process.exit(130);
    }
    if (stopRequested) return stopRequested(signal);
    early = signal;
    logger.info({ signal }, 'stopping as soon as start-up finishes (Ctrl+C again to force)');
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const hub = await startHub({ configFile: values.config ?? DEFAULT_CONFIG, role, builtins: ctx.builtins, logger });
  logger.level = hub.config.hub.logLevel;
  logger.info({ role }, 'hub started; press Ctrl+C to stop');

  // A plugin's stray promise must not take every connector down with it: log it loudly instead.
  process.on('unhandledRejection', (reason) => {
    logger.error({ err: reason }, 'unhandled promise rejection (a bug in a plugin or the hub); the hub keeps running');
  });

  return new Promise<number>((resolveExit) => {
    stopRequested = (signal) => {
      logger.info({ signal }, 'stopping: finishing running jobs (Ctrl+C again to force)');
      hub.stop().then(
        () => resolveExit(0),
        (error) => {
          logger.error({ err: error }, 'error while stopping');
          resolveExit(1);
        },
      );
    };
    if (early) stopRequested(early);
  });
}
