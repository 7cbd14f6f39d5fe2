import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { ReviewFile } from '../../../lib/report/review.js';
import { tempDir } from '../../helpers.js';

describe('the review file', () => {
  it('is not created when there is nothing to review', () => {
    const file = path.join(tempDir(), 'review', 'conflicts.jsonl');
    const review = new ReviewFile(file);
    review.close();
    expect(fs.existsSync(path.dirname(file))).to.equal(false);
  });

  it('holds one JSON object per line, after what earlier runs left', () => {
    const file = path.join(tempDir(), 'review', 'duplicates.jsonl');
    const first = new ReviewFile(file);
    first.append({ group: 1, ids: ['a', 'b'] });
    first.close();
    const second = new ReviewFile(file);
    second.appendJson('{"group":2}');
    second.append({ group: 3 });
    second.close();
    second.close();
    expect(fs.readFileSync(file, 'utf8')).to.equal('{"group":1,"ids":["a","b"]}\n{"group":2}\n{"group":3}\n');
  });

  it('is readable by its owner only, in a folder only its owner can open', function () {
    if (process.platform === 'win32') this.skip();
    const file = path.join(tempDir(), 'review', 'conflicts.jsonl');
    const review = new ReviewFile(file);
    review.append({ field_name: 'email' });
    review.close();
    expect(fs.statSync(file).mode & 0o777).to.equal(0o600);
    expect(fs.statSync(path.dirname(file)).mode & 0o777).to.equal(0o700);
  });
});
