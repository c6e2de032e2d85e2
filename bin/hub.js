#!/usr/bin/env node
// The hub runs its TypeScript sources directly (tsx), so plugins by path may be TypeScript too.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../core/cli/main.ts');
const { builtinPlugins } = await import('../plugins/index.ts');
const { x12Mappers } = await import('../plugins/clearinghouse/mappers.ts');
const code = await main(process.argv.slice(2), { builtins: builtinPlugins, x12Mappers });
// `start` keeps running until a signal; other commands end here.
process.exit(code);
