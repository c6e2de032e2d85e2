/**
 * Measurements taken in a process of their own, so a peak RSS belongs to that measurement alone.
 * Kept apart from support.ts: a child imports this module's parent bench file, and must not load
 * Redis, BullMQ or the store clients along with it.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

/**
 * Runs `script` again in a child process (compiled, as the hub runs, when the bench runs from
 * dist/; under tsx when it runs from its sources) with `args`, and returns the
 * JSON its last stdout line holds: a measurement taken in a process of its own, so peak RSS is
 * that measurement's alone. A child that fails or outlives `timeoutMs` fails the bench, with the
 * end of its stderr.
 */
export async function measureInChild<T>(script: string, args: string[], options: { timeoutMs: number; label: string; nodeOptions?: string[] }): Promise<T> {
  const path = fileURLToPath(script);
  const loader = path.endsWith('.ts') ? ['--import', 'tsx'] : [];
  const child = spawn(process.execPath, [...(options.nodeOptions ?? []), ...loader, path, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
  child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
  const [code] = (await once(child, 'close')) as [number | null];
  clearTimeout(timer);
  if (code !== 0) throw new Error(`${options.label} exited with ${code}: ${stderr.trim().split('\n').slice(-5).join(' | ')}`);
  return JSON.parse(stdout.trim().split('\n').pop()!) as T;
}

