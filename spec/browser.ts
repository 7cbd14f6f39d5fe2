import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';
import { chromium, type Browser } from 'playwright-core';

/**
 * A headless Chromium for the specs that check pages in a real browser, found in this order:
 * CHROMIUM_PATH (it must exist: a wrong path is an error, not a reason to look elsewhere), a
 * system Chromium, else the build shipped inside the `@sparticuz/chromium` dev dependency, so
 * `npm ci && npm test` needs no browser on the machine. There is no skip: when none can be
 * had, the spec fails and says why.
 */

const SYSTEM_BROWSERS = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable'];

/** Flags for a browser that runs the page and nothing else: no network of its own, no GPU. */
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface FoundBrowser {
  executablePath: string;
  /** `CHROMIUM_PATH`, `system` or `npm package`: said in failures, so a run shows which browser it used. */
  source: string;
}

export async function findChromium(env: NodeJS.ProcessEnv = process.env): Promise<FoundBrowser> {
  if (env.CHROMIUM_PATH) {
    if (!fs.existsSync(env.CHROMIUM_PATH))
      throw new Error(`CHROMIUM_PATH is ${env.CHROMIUM_PATH}, which does not exist; point it at a Chromium binary or unset it to use the packaged one.`);
    return { executablePath: env.CHROMIUM_PATH, source: 'CHROMIUM_PATH' };
  }
  const system = SYSTEM_BROWSERS.find((file) => fs.existsSync(file));
  if (system) return { executablePath: system, source: 'system' };
  return { executablePath: await packagedChromium(), source: 'npm package @sparticuz/chromium' };
}

/**
 * The packaged binary, unpacked once per package version into the temporary directory. The
 * package's own `executablePath()` unpacks into a fixed `/tmp/chromium` and trusts any file
 * there, so a run that reads it while another is still writing it starts half a binary: here
 * each unpacking goes to a file of its own and is renamed into place when complete.
 */
async function packagedChromium(): Promise<string> {
  let entry: string;
  try {
    entry = fileURLToPath(import.meta.resolve('@sparticuz/chromium'));
  } catch (error) {
    throw new Error('No browser: set CHROMIUM_PATH, install a system Chromium, or run `npm ci` to get the dev dependency @sparticuz/chromium.', {
      cause: error,
    });
  }
  const packageDir = path.resolve(path.dirname(entry), '..', '..');
  const { version } = JSON.parse(fs.readFileSync(path.join(packageDir, 'package.json'), 'utf8')) as { version: string };
  const compressed = path.join(packageDir, 'bin', 'chromium.br');
  const dir = path.join(os.tmpdir(), `lead-maintenance-chromium-${version}-${os.userInfo().uid}`);
  const binary = path.join(dir, 'chromium');
  if (fs.existsSync(binary)) return binary;
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const partial = `${binary}.${process.pid}.partial`;
  try {
    await pipeline(fs.createReadStream(compressed), zlib.createBrotliDecompress(), fs.createWriteStream(partial, { mode: 0o700 }));
    fs.renameSync(partial, binary);
  } finally {
    fs.rmSync(partial, { force: true });
  }
  return binary;
}

/** Launches the browser found by findChromium, naming it when it will not start. */
export async function launchChromium(): Promise<Browser> {
  const found = await findChromium();
  try {
    return await chromium.launch({ executablePath: found.executablePath, args: ARGS });
  } catch (error) {
    throw new Error(`The browser from ${found.source} (${found.executablePath}) did not start: ${(error as Error).message.split('\n')[0]}`, { cause: error });
  }
}
