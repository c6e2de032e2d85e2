/**
 * The V8 options the hub runs with: package.json's `start` and `hub` scripts pass them to node. A
 * process manager, image or the installed `hub` command starts node without them (a shebang cannot
 * carry options everywhere: BusyBox's env has no -S), so `hub start` says when they are missing.
 *
 * `--max-semi-space-size=32` doubles the young generation's ceiling (16 MB by default). The hub's
 * heavy jobs build records that live for one batch or transaction set: a 5,000-claim 835 payment
 * is about 15 MB of allocation while its claims are alive. With 16 MB semi-spaces many of them are
 * promoted and die in the old generation, which grows to about four times its live size between
 * full collections. With 32 MB most of them die young. Measured on the x12 bench (835 → canonical,
 * 8 runs each): 57.8 → 67.2 MB/s and 214 → 176 MB peak RSS for a 5,000-claim file; a ~100 MB file
 * streamed 50 → 58 MB/s. The cost is young-generation memory for allocation-heavy work that keeps
 * little: tokenizing alone, and the FHIR bulk sync, peak about 30 MB higher.
 */
export const HUB_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=32'];

/**
 * The hub's options this process was not started with, looking at node's own arguments and
 * NODE_OPTIONS (which accepts this one). A value other than the hub's counts as chosen, not missing.
 */
export function missingNodeFlags(execArgv: readonly string[], nodeOptions = ''): string[] {
  const given = [...execArgv, ...nodeOptions.split(/\s+/)];
  return HUB_NODE_FLAGS.filter((flag) => {
    const name = flag.split('=')[0]!;
    return !given.some((arg) => arg === name || arg.startsWith(`${name}=`));
  });
}
