import { HubError } from '../errors.js';
import { redactor } from '../redaction.js';
import type { BuiltinPlugins } from '../runtime/plugin-loader.js';
import { coverageCommand } from './coverage.js';
import { newPluginCommand } from './new-plugin.js';
import { pluginsCommand } from './plugins.js';
import { replayCommand } from './replay.js';
import { runCommand } from './run.js';
import { startCommand } from './start.js';
import { statusCommand } from './status.js';
import { validateCommand } from './validate.js';
import { x12Command, type X12Mapper } from './x12.js';

export interface CliContext {
  builtins: BuiltinPlugins;
  out: (line: string) => void;
  err: (line: string) => void;
  /** Canonical mappings for `hub x12 parse`, by ST01; injected because core never imports plugins. */
  x12Mappers?: Readonly<Record<string, X12Mapper>>;
}

export const DEFAULT_CONFIG = 'config/hub.yaml';

const USAGE = `Usage: hub <command> [options]

Commands:
  start [--config FILE] [--role all|api|worker|scheduler]   run the hub
  validate [FILE]                          check a config file; lists every problem with file:line:column
  run <connector> [--config FILE] [--full] [--file PATH]
                                           run one sync (or one inbound file) now, in this process, and print a summary
  status [--config FILE]                   connectors, schedules, queues and last runs
  coverage <connector> [--runs N] [--config FILE]
                                           how often each canonical field was filled in its last runs, gaps first
  replay <job-id> | --all-failed [--connector ID] [--config FILE]
                                           re-run dead-lettered jobs
  plugins [--config FILE]                  built-in plugins and the ones the config uses
  new-plugin <name> [--dir DIR]            scaffold a plugin with a passing test
  x12 parse|validate|ack <file> [--out FILE]
                                           X12 file to canonical NDJSON, its envelope/loop problems, or its 999

Options:
  --config FILE   default ${DEFAULT_CONFIG}
  -h, --help      this text`;

type Command = (args: string[], ctx: CliContext) => Promise<number>;

const COMMANDS: Record<string, Command> = {
  start: startCommand,
  validate: validateCommand,
  run: runCommand,
  status: statusCommand,
  coverage: coverageCommand,
  replay: replayCommand,
  plugins: pluginsCommand,
  'new-plugin': newPluginCommand,
  x12: x12Command,
};

/** Runs one CLI command; returns the process exit code. Errors are printed, never thrown. */
export async function main(argv: string[], options: { builtins: BuiltinPlugins; x12Mappers?: Readonly<Record<string, X12Mapper>> }): Promise<number> {
  const ctx: CliContext = {
    builtins: options.builtins,
    ...(options.x12Mappers ? { x12Mappers: options.x12Mappers } : {}),
    out: (line) => process.stdout.write(line + '\n'),
    err: (line) => process.stderr.write(line + '\n'),
  };
  const [name, ...rest] = argv;
  if (!name || name === '-h' || name === '--help' || name === 'help') {
    ctx.out(USAGE);
    return name ? 0 : 1;
  }
  const command = COMMANDS[name];
  if (!command) {
    ctx.err(`hub: unknown command "${name}"\n\n${USAGE}`);
    return 2;
  }
  try {
    return await command(rest, ctx);
  } catch (error) {
    ctx.err(formatError(error));
    return 1;
  }
}

/** Errors of the family print as their message; anything else with its type, for bug reports. */
export function formatError(error: unknown): string {
  if (error instanceof HubError) return redactor.redactString(`hub: ${error.message}`);
  if (error instanceof Error && (error as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    return `hub: ${error.message} (see hub --help)`;
  }
  if (error instanceof Error) return redactor.redactString(`hub: ${error.message}`);
  return `hub: ${String(error)}`;
}

/** The option every command shares; spread it into a command's parseArgs options. */
export const CONFIG_OPTION = { config: { type: 'string' } } as const;

/** Prints rows as aligned columns. */
export function table(rows: string[][]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]))).join('  ')).join('\n');
}
