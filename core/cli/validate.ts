import { parseArgs } from 'node:util';
import { loadConfig } from '../config/load.js';
import { PluginLoader, pluginSchemaResolver } from '../runtime/plugin-loader.js';
import { DEFAULT_CONFIG, CONFIG_OPTION, type CliContext } from './main.js';

export async function validateCommand(args: string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: { ...CONFIG_OPTION }, allowPositionals: true });
  const file = positionals[0] ?? values.config ?? DEFAULT_CONFIG;
  const config = await loadConfig({ file, plugins: pluginSchemaResolver(new PluginLoader(ctx.builtins)) });
  ctx.out(
    `${file}: OK — ${config.tenants.length} tenant(s), ${config.connectors.length} connector(s), ` +
      `${config.routes.length} route(s), ${config.tokens.length} API token(s)`,
  );
  return 0;
}
