#!/usr/bin/env node
// Runs the compiled hub (dist/, which npm install builds) when it is current. After a source has
// changed and before `npm run build`, it runs the TypeScript sources through tsx instead: the same
// hub, with the TypeScript loader's own memory and start-up on top.
import { staleBuild } from './build-layout.js';

const stale = staleBuild();
if (stale !== undefined) {
  const { register } = await import('tsx/esm/api');
  register();
  if (process.argv[2] === 'start') process.stderr.write(`hub: running the TypeScript sources (${stale}); \`npm run build\` runs the compiled hub\n`);
}
const [root, extension] = stale === undefined ? ['../dist', '.js'] : ['..', '.ts'];
const module = (path) => import(new URL(`${root}/${path}${extension}`, import.meta.url).href);
const { main } = await module('core/cli/main');
const { builtinPlugins } = await module('plugins/index');
const { x12Mappers } = await module('plugins/clearinghouse/mappers');
const code = await main(process.argv.slice(2), { builtins: builtinPlugins, x12Mappers });
// `start` keeps running until a signal; other commands end here.
process.exit(code);
