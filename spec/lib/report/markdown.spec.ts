import { expect } from 'chai';
import { csvCell, csvLine } from '../../../lib/report/audit.js';
import { mdCell, mdCode, mdText } from '../../../lib/report/markdown.js';
import { escapeHtml } from '../../../lib/report/svg.js';
import { parseCsv } from './csv.js';

describe('report: cells', () => {
  it('quotes CSV cells with commas, quotes, line breaks or edge spaces, and leaves others bare', () => {
    expect(csvCell('plain')).to.equal('plain');
    expect(csvCell('Acme, Inc')).to.equal('"Acme, Inc"');
    expect(csvCell('say "hi"')).to.equal('"say ""hi"""');
    expect(csvCell('two\nlines')).to.equal('"two\nlines"');
    expect(csvCell('cr\r\nlf')).to.equal('"cr\r\nlf"');
    expect(csvCell(' padded ')).to.equal('" padded "');
    expect(csvCell(null)).to.equal('');
    expect(csvCell(['a', 'b'])).to.equal('"[""a"",""b""]"');
    expect(csvCell(0)).to.equal('0');
  });

  it('round-trips awkward values through a strict CSV reader', () => {
    const values = ['Acme, "The" Company', 'line one\r\nline two', '', ' x', '=SUM(A1)', 'é ü 東京'];
    expect(parseCsv(csvLine(values, { escape_formulas: false }) + csvLine(['a', 'b']))).to.deep.equal([values, ['a', 'b']]);
  });

  it('neutralizes CSV cells a spreadsheet would run as formulas with a leading apostrophe, quoted', () => {
    for (const text of ['=HYPERLINK("http://x.test","y")', "=cmd|' /C calc'!A0", '+1+1', '-2+3', '@SUM(A1:A2)', '\t=1', '\r=1']) {
      expect(csvCell(text), JSON.stringify(text)).to.equal(`"'${text.replace(/"/g, '""')}"`);
      expect(parseCsv(csvLine([text]))).to.deep.equal([[`'${text}`]]);
    }
    expect(csvCell('a=b')).to.equal('a=b');
    expect(csvCell(-5)).to.equal('-5');
    expect(csvCell('=1+1', { escape_formulas: false })).to.equal('=1+1');
  });

  it('keeps Markdown markup in a value as literal text: HTML, links, images, code, emphasis, pipes', () => {
    expect(mdText('</td></tr></table><script>alert(1)</script>')).to.equal('\\</td\\>\\</tr\\>\\</table\\>\\<script\\>alert(1)\\</script\\>');
    expect(mdText('[click me](javascript:alert(1))')).to.equal('\\[click me\\](javascript:alert(1))');
    expect(mdText('![x](https://example.test/beacon.png)')).to.equal('!\\[x\\](https://example.test/beacon.png)');
    expect(mdText('`code` *em* _em_ ~~s~~ &amp; $x$')).to.equal('\\`code\\` \\*em\\* \\_em\\_ \\~\\~s\\~\\~ \\&amp; \\$x\\$');
    expect(mdText('# heading')).to.equal('\\# heading');
    expect(mdText('1. item')).to.equal('1\\. item');
    expect(mdText('a|b\\|c')).to.equal('a\\|b\\\\\\|c');
  });

  it('writes a value as a code span whose fence no backtick inside can close', () => {
    expect(mdCode('/tmp/a.db')).to.equal('`/tmp/a.db`');
    expect(mdCode('/tmp/`x`.db')).to.equal('``/tmp/`x`.db``');
    expect(mdCode('`x')).to.equal('`` `x ``');
  });

  it('keeps Markdown table cells on one line with pipes escaped', () => {
    expect(mdCell('a|b\nc')).to.equal('a\\|b c');
    expect(mdCell('x'.repeat(300))).to.have.length(200);
  });

  it('escapes HTML so record values cannot add markup', () => {
    expect(escapeHtml('<script>alert("x")</script> & \'y\'')).to.equal('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;');
  });
});
