/**
 * What differs from one run of the same command to the next, however right the code: the clock,
 * durations, the directories the check works in, process ids and the emulator's port. None of
 * the tools takes a fixed clock from the command line, so these are replaced by placeholders in
 * every output before it is written (randomness is fixed at the source, see deterministic.ts):
 *
 * - an ISO 8601 time within the check's own run (`2026-12-07T05:04:10.521Z`) -> `<now>`; data
 *   times (a lead's created_at in 2025) are outside it and stay;
 * - milliseconds since 1970 within the run (the emulator's record times) -> `<now-ms>`;
 * - the time part of run ids and of the names made from them (`20261207T050409-a603e7a2` ->
 *   `<time>-a603e7a2`, `20261207T050409` -> `<time>`);
 * - durations and what is computed from them: `elapsed_ms`, `elapsed_seconds`,
 *   `records_per_minute` (and "Records per minute" in the reports), "N ms" in the stage tables,
 *   "(N s)" in the reports;
 * - the stage tables of the Markdown and HTML reports: their `ms` column;
 * - progress log lines (`Progress. {"records":…}`) are left out: when they come depends on the clock;
 * - a backup manifest's size and SHA-256 of each file (the files hold times; their contents are
 *   compared themselves);
 * - the working directory of the check -> `<work>`, the checkout under test -> `<checkout>`;
 * - `"pid":N` -> `"pid":<pid>`, `127.0.0.1:PORT` and `localhost:PORT` -> `<host>:<port>`.
 */
export interface Normaliser {
  text(value: string): string;
}

/** Ten minutes either side of the check's own run: times in this window are the run's. */
const SLACK_MS = 10 * 60 * 1000;

export function createNormaliser(settings: { startedAt: number; paths: Array<[string, string]> }): Normaliser {
  // Longest first, so a case directory inside the work directory is replaced whole.
  const paths = [...settings.paths].sort((a, b) => b[0].length - a[0].length);
  const inRun = (ms: number): boolean => ms >= settings.startedAt - SLACK_MS && ms <= Date.now() + SLACK_MS;
  return {
    text(value: string): string {
      let out = value;
      for (const [from, to] of paths) out = out.split(from).join(to);
      out = out.replace(/\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z/g, (iso) => (inRun(Date.parse(iso)) ? '<now>' : iso));
      out = out.replace(/\b(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})\b/g, (stamp, y, mo, d, h, mi, s) =>
        inRun(Date.UTC(+y, +mo - 1, +d, +h, +mi, +s)) ? '<time>' : stamp,
      );
      out = out.replace(/\b1\d{12}\b/g, (ms) => (inRun(Number(ms)) ? '<now-ms>' : ms));
      return durations(out)
        .replace(/^[^\n]*\bProgress\. \{"records":[^\n]*\n/gm, '')
        .replace(/("bytes": )\d+(,\s*"sha256": ")[0-9a-f]{64}"/g, '$1<n>$2<sha256>"')
        .replace(/"pid":\s*\d+/g, '"pid":<pid>')
        .replace(/\b(127\.0\.0\.1|localhost):\d+\b/g, '<host>:<port>');
    },
  };
}

/** Durations, wherever the tools print or store them. */
function durations(text: string): string {
  return (
    text
      .replace(/("(?:elapsed_ms|elapsed_seconds|records_per_minute)"\s*:\s*)[\d.e+-]+/g, '$1<n>')
      // The stage table right-aligns its last column: the widths follow the durations.
      .replace(/ +\d+ ms$/gm, ' <n> ms')
      .replace(/ +elapsed$/gm, ' elapsed')
      .replace(/\((?:\d+(?:\\?\.\d+)?) s\)/g, '(<n> s)')
      // Records per minute: a count over a duration, in the Markdown and HTML reports.
      .replace(/(\| Records per minute \| )[\d.,]+/g, '$1<n>')
      .replace(/(data-metric="records_per_minute"><span class="value">)[^<]*/g, '$1<n>')
      // The stage tables' last column, ms: `| normalize | 3 | 3 |  | 0 | 0 | 330 |` and its HTML row.
      .replace(/^(\| [a-z-]+ \| \d+ \| \d+ \| [^|\n]* \| \d+ \| \d+ \| )\d+ \|$/gm, '$1<n> |')
      .replace(
        /(<tr><td>[a-z-]+<\/td><td class="num">\d+<\/td><td class="num">\d+<\/td><td>[^<]*<\/td><td class="num">\d+<\/td><td class="num">\d+<\/td><td class="num">)\d+(?=<\/td><\/tr>)/g,
        '$1<n>',
      )
  );
}
