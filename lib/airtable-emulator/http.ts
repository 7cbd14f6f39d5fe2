import type { IncomingMessage, ServerResponse } from 'node:http';
import { gzipSync } from 'node:zlib';

export const JSON_TYPE = 'application/json; charset=utf-8';

/**
 * Reads the whole body; past `limit` bytes it keeps draining but stops storing. With `keep`
 * false it only counts (requests without a valid token): their bodies are never held in memory.
 */
export function readBody(req: IncomingMessage, limit: number, keep = true): Promise<{ body: Buffer; size: number; tooLarge: boolean }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        tooLarge = true;
        chunks.length = 0;
      } else if (keep) chunks.push(c);
    });
    req.on('end', () => resolve({ body: tooLarge || !keep ? Buffer.alloc(0) : Buffer.concat(chunks), size, tooLarge }));
    req.on('error', reject);
  });
}

/**
 * Sends a response the way the real API does: JSON with charset, gzip when the client asks for
 * it (node-fetch always does) and the body is worth compressing. Unlike the real API, no CORS
 * header: a web page must not be able to read the emulator's answers (see access.ts).
 */
export function send(req: IncomingMessage, res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}, compression = true): void {
  if (res.headersSent || res.destroyed) return;
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  let payload: Buffer = Buffer.from(text, 'utf8');
  const out: Record<string, string> = { 'content-type': JSON_TYPE, ...headers };
  if (compression && payload.length > 1024 && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''))) {
    payload = gzipSync(payload, { level: 1 });
    out['content-encoding'] = 'gzip';
    out.vary = 'Accept-Encoding';
  }
  out['content-length'] = String(payload.length);
  res.writeHead(status, out);
  res.end(payload);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
