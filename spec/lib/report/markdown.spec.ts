import { expect } from 'chai';
import { csvCell, csvLine } from '../../../lib/report/audit.js';
import { mdCell } from '../../../lib/report/markdown.js';
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
    expect(parseCsv(csvLine(values) + csvLine(['a', 'b']))).to.deep.equal([values, ['a', 'b']]);
  });

  it('keeps Markdown table cells on one line with pipes escaped', () => {
    expect(mdCell('a|b\nc')).to.equal('a\\|b c');
    expect(mdCell('x'.repeat(300))).to.have.length(200);
  });

  it('escapes HTML so record values cannot add markup', () => {
    expect(escapeHtml('<script>alert("x")</script> & \'y\'')).to.equal('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;');
  });
});
