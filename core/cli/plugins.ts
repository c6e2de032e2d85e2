import { parseArgs } from 'node:util';
import { existsSync } from 'node:fs';
import { loadConfig } from '../config/load.js';
import { PluginLoader, pluginSchemaResolver } from '../runtime/plugin-loader.js';
import { DEFAULT_CONFIG, CONFIG_OPTION, table, type CliContext } from './main.js';

export async function pluginsCommand(args: string[], ctx: CliContext): Promise<number> {
  const { values } = parseArgs({ args, options: { ...CONFIG_OPTION }, allowPositionals: true });
  const loader = new PluginLoader(ctx.builtins);
  const refs = new Map<string, string>(loader.builtinNames().map((name) => [name, 'built-in']));
  const file = values.config ?? DEFAULT_CONFIG;
  let baseDir = process.cwd();
  if (existsSync(file)) {
    const config = await loadConfig({ file, plugins: pluginSchemaResolver(loader) });
    baseDir = config.baseDir;
    for (const c of config.connectors) if (!refs.has(c.plugin)) refs.set(c.plugin, `used by ${c.id}`);
  }
  const rows = [['PLUGIN', 'VERSION', 'SOURCE', 'SYNC', 'WEBHOOK', 'DELIVERS', 'PRODUCES']];
  for (const [ref, source] of refs) {
    const p = await loader.load(ref, baseDir);
    const produces = p.produces.length > 6 ? `${p.produces.length} entities (any)` : p.produces.join(', ');
    rows.push([p.name, p.version, source, p.sync ? 'yes' : '-', p.webhook ? 'yes' : '-', p.consumes.join(', ') || '-', produces || '-']);
  }
  ctx.out(table(rows));
  return 0;
}
