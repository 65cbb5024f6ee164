import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from '../harness.js';

/** Node arguments that run a TypeScript file of the repository through tsx. */
export const tsNode = (file: string, args: string[] = [], nodeFlags: string[] = []) => [...nodeFlags, '--import', 'tsx', join(ROOT, file), ...args];

/** Runs the kohort CLI to completion, echoing its output; rejects on a non-zero exit. */
export function runCli(args: string[], env: NodeJS.ProcessEnv, onLine?: (line: string) => void): Promise<{ output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, tsNode('src/cli.ts', args), { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const take = (chunk: Buffer) => {
      const text = chunk.toString();
      output += text;
      for (const line of text.split('\n')) if (line.trim()) onLine?.(line);
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve({ output }) : reject(new Error(`kohort ${args.join(' ')} exited with ${code}:\n${output.slice(-2000)}`))));
  });
}

/** Resolves with the child's exit code. */
export const exited = (child: ChildProcess) =>
  new Promise<number | null>((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.on('exit', (code) => resolve(code))));
