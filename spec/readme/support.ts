import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from '../helpers.js';

/** One fenced block of the README, with the marker comment on the line before it, if any. */
export interface Block {
  lang: string;
  text: string;
  /** `illustrative: REASON` or `transcript`, from `<!-- … -->` on the line before the fence. */
  marker?: string;
  /** The README line the fence opens on, for messages. */
  line: number;
  /** The text between the previous block and this one (what the README says the block is). */
  before: string;
}

export function readmeBlocks(text: string): Block[] {
  const blocks: Block[] = [];
  const fence = /^```(\w*)\n([\s\S]*?)^```$/gm;
  let previousEnd = 0;
  for (const match of text.matchAll(fence)) {
    const before = text.slice(previousEnd, match.index);
    const marker = /<!-- (.+?) -->\n$/.exec(before)?.[1];
    blocks.push({ lang: match[1], text: match[2], marker, line: text.slice(0, match.index).split('\n').length, before });
    previousEnd = match.index + match[0].length;
  }
  return blocks;
}

/**
 * Packs the package as `npm publish` would and installs the tarball in a new directory outside
 * the repository. `npm pack --ignore-scripts`: the specs run from dist/, which `npm test` has
 * just built, and `prepare` would rebuild it under the running specs. The registry is not
 * reachable here, so the tarball is unpacked into node_modules as npm would and its
 * dependencies are linked from the project's own node_modules, with the bins in
 * node_modules/.bin.
 */
export function installPacked(): { dir: string; tarball: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'readme-runs-'));
  const packed = spawnSync('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', dir], { cwd: ROOT, encoding: 'utf8' });
  if (packed.status !== 0) throw new Error(`npm pack failed: ${packed.stderr}`);
  const tarball = path.join(dir, packed.stdout.trim().split('\n').pop()!);
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; bin: Record<string, string> };
  const modules = path.join(dir, 'node_modules');
  const own = path.join(modules, 'lead-maintenance');
  fs.mkdirSync(own, { recursive: true });
  const untar = spawnSync('tar', ['-xzf', tarball, '-C', own, '--strip-components=1'], { encoding: 'utf8' });
  if (untar.status !== 0) throw new Error(`tar failed: ${untar.stderr}`);
  for (const dependency of Object.keys(pkg.dependencies)) {
    fs.mkdirSync(path.dirname(path.join(modules, dependency)), { recursive: true });
    fs.symlinkSync(path.join(ROOT, 'node_modules', dependency), path.join(modules, dependency));
  }
  fs.mkdirSync(path.join(modules, '.bin'));
  for (const [name, file] of Object.entries(pkg.bin)) {
    fs.chmodSync(path.join(own, file), 0o755);
    fs.symlinkSync(path.join('..', 'lead-maintenance', file), path.join(modules, '.bin', name));
  }
  const manifest = { name: 'readme-user', private: true, type: 'module', dependencies: { 'lead-maintenance': `file:${path.basename(tarball)}` } };
  fs.writeFileSync(path.join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return { dir, tarball };
}

/** A directory of the install, for one part of the README, that finds the installed package. */
export function workDir(root: string, name: string): string {
  const dir = path.join(root, name);
  fs.mkdirSync(dir);
  return dir;
}

/** The environment of a user's shell: the installed bins first, npx never fetching, nothing of this repository's own settings. */
export function userEnv(root: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) if (!/^(LEADS_|AIRTABLE_|DEMO_|BACKUP$|npm_|INIT_CWD$)/.test(name)) env[name] = value;
  return { ...env, PATH: `${path.join(root, 'node_modules', '.bin')}${path.delimiter}${process.env.PATH}`, npm_config_offline: 'true', ...extra };
}

export interface Ran {
  code: number | null;
  output: string;
}

/** Runs a script in bash, failing on the first command that fails, as a careful user would paste it. */
export function runScript(script: string, cwd: string, env: NodeJS.ProcessEnv, shell = ['bash', '-euo', 'pipefail', '-c']): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(shell[0], [...shell.slice(1), script], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

/** Replaces each README text by what the spec stands in for it, failing when the README no longer holds it. */
export function substitute(text: string, replacements: [string, string][]): string {
  let out = text;
  for (const [from, to] of replacements) {
    if (!out.includes(from)) throw new Error(`The README example no longer holds "${from}"; update spec/readme-runs.spec.ts.`);
    out = out.split(from).join(to);
  }
  return out;
}

/** The emulator's own bin on a free loopback port, as a user testing against it would start it. */
export async function startEmulatorBin(root: string): Promise<{ url: string; baseId: string; stop: () => void }> {
  const child = spawn(path.join(root, 'node_modules', '.bin', 'airtable-emulator'), ['--port', '0', '--no-rate-limit'], { cwd: root, env: userEnv(root) });
  const banner = await new Promise<RegExpExecArray>((resolve, reject) => {
    let text = '';
    child.stderr.on('data', (chunk: Buffer) => {
      text += chunk;
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+) with base (\w+)/.exec(text);
      if (match) resolve(match);
    });
    child.on('exit', (code) => reject(new Error(`airtable-emulator exited (${code}): ${text}`)));
  });
  return { url: banner[1], baseId: banner[2], stop: () => child.kill('SIGTERM') };
}

/**
 * A transcript line as a pattern: `…` stands for any text. Lines a command prints are matched in
 * order against what it printed.
 */
export function transcriptMismatches(expected: string[], output: string): string[] {
  const lines = output.split('\n');
  const missing: string[] = [];
  let at = 0;
  for (const line of expected) {
    if (line.trim() === '…') continue;
    const pattern = new RegExp(
      `^${line
        .split('…')
        .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
        .join('.*')}$`,
    );
    const found = lines.findIndex((candidate, index) => index >= at && pattern.test(candidate));
    if (found === -1) missing.push(line);
    else at = found + 1;
  }
  return missing;
}
