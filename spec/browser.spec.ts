import { expect } from 'chai';
import { findChromium, launchChromium } from './browser.js';

describe('the browser for page specs', function () {
  this.timeout(120_000);

  it('fails with the path named when CHROMIUM_PATH points at nothing, instead of skipping or looking elsewhere', async () => {
    let error: Error | undefined;
    try {
      await findChromium({ CHROMIUM_PATH: '/nonexistent/chromium' });
    } catch (e) {
      error = e as Error;
    }
    expect(error?.message).to.contain('CHROMIUM_PATH is /nonexistent/chromium, which does not exist');
  });

  it('finds a browser that starts without CHROMIUM_PATH, from the system or else the npm package', async () => {
    const found = await findChromium({});
    expect(found.source).to.be.oneOf(['system', 'npm package @sparticuz/chromium']);
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      await page.setContent('<p id="p">ok</p>');
      expect(await page.locator('#p').innerText()).to.equal('ok');
    } finally {
      await browser.close();
    }
  });
});
