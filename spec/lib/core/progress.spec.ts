import { expect } from 'chai';
import { Writable } from 'node:stream';
import { createLogger } from '../../../lib/core/log.js';
import { createProgress } from '../../../lib/core/progress.js';
import { screenOf } from '../../bin/terminal.js';

describe('progress', () => {
  it('off a terminal, logs a line every `interval` records with the rate', () => {
    let text = '';
    const log = createLogger({
      format: 'json',
      stream: new Writable({
        write(c, _e, cb) {
          text += c;
          cb();
        },
      }),
    });
    let clock = 0;
    const progress = createProgress({ log, terminal: false, interval: 100, now: () => clock });
    for (let i = 1; i <= 250; i++) {
      clock += 20; // 50 records a second
      progress.tick(i);
    }
    progress.stop();
    const lines = text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.records)).to.deep.equal([100, 200, 250]);
    expect(lines[0]).to.include({ message: 'Progress.', records_per_second: 50, elapsed_s: 2 });
  });

  it('logs at most one line a second however small the interval', () => {
    let count = 0;
    const log = createLogger({
      stream: new Writable({
        write(_c, _e, cb) {
          count++;
          cb();
        },
      }),
    });
    let clock = 0;
    const progress = createProgress({ log, terminal: false, interval: 1, now: () => clock });
    for (let i = 1; i <= 1000; i++) {
      clock += 1; // one second in all
      progress.tick(i);
    }
    expect(count).to.equal(1);
  });

  it('on a terminal, draws a live line with records, rate and elapsed time', () => {
    let text = '';
    const stream = Object.assign(
      new Writable({
        write(c, _e, cb) {
          text += c;
          cb();
        },
      }),
      { isTTY: true, columns: 100, cursorTo: () => true, clearLine: () => true, moveCursor: () => true },
    );
    const progress = createProgress({
      log: createLogger({
        stream: new Writable({
          write(_c, _e, cb) {
            cb();
          },
        }),
      }),
      terminal: true,
      interval: 100,
      stream: stream as unknown as NodeJS.WritableStream,
    });
    for (let i = 1; i <= 512; i++) progress.tick(i);
    progress.stop();
    expect(text).to.match(/512 records \| \d+ records\/s \| \d+s/);
  });
});

describe('progress on a terminal', () => {
  it('prints what is written during the run above the live line, and leaves the final count as a line', () => {
    let text = '';
    const stream = Object.assign(
      new Writable({
        write(c, _e, cb) {
          text += c;
          cb();
        },
      }),
      { isTTY: true, columns: 80 },
    );
    let clock = 0;
    let moved = 0;
    const progress = createProgress({
      log: createLogger({ stream: new Writable({ write: (_c, _e, cb) => cb() }) }),
      terminal: true,
      interval: 100,
      stream,
      now: () => clock,
    });
    progress.watch?.(() => moved);
    for (let i = 1; i <= 5; i++) {
      clock += 1000;
      moved = i * 100;
      progress.tick(0);
      stream.write(`Log line ${i}.\n`);
    }
    progress.stop();
    stream.write('The table.\n');
    expect(screenOf(text, 80)).to.deep.equal([
      'Log line 1.',
      'Log line 2.',
      'Log line 3.',
      'Log line 4.',
      'Log line 5.',
      '500 records | 100 records/s | 5s',
      'The table.',
    ]);
  });
});
