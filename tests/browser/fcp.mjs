// First contentful paint of the dashboard in Chromium, measured with the
// browser's own Paint Timing entry. Not a test: a measuring tool for
// docs/BENCHMARKS.md, run against a server that is already up, such as
// the dashboard benchmark's with PHAROS_BENCH_HOLD_SECONDS:
//   node tests/browser/fcp.mjs http://127.0.0.1:PORT [runs] [email]
// It logs in, then loads `/` `runs` times (a fresh page each, the session
// kept) and prints each FCP, the median, the HTML's size and the
// response time the browser saw.
import { launchBrowser, PASSWORD } from "./harness.mjs";

const [base, runsArg, emailArg] = process.argv.slice(2);
if (!base) {
  console.error("usage: node tests/browser/fcp.mjs <base url> [runs] [email]");
  process.exit(2);
}
const runs = Number(runsArg || 10);
const email = emailArg || "bench@example.com";
const chrome = await launchBrowser();
try {
  const context = await chrome.browser.newContext({ viewport: { width: 1280, height: 900 } });
  const login = await context.newPage();
  await login.goto(`${base}/login`);
  await login.getByLabel("Email").fill(email);
  await login.getByLabel("Password").fill(PASSWORD);
  await login.getByRole("button", { name: "Log in" }).click();
  await login.waitForURL(`${base}/`);
  await login.close();
  // One tab, in front, reloaded: Chromium records paint timing only for a
  // visible page, and the entry may come just after "load".
  const page = await context.newPage();
  await page.bringToFront();
  const fcps = [];
  for (let i = 0; i < runs + 1; i++) {
    const response = await page.goto(`${base}/`, { waitUntil: "load" });
    const body = await response.body();
    const timing = await page.evaluate(
      () =>
        new Promise((ok) => {
          const nav = performance.getEntriesByType("navigation")[0];
          const done = (fcp) => ok({ fcp, ttfb: nav.responseStart - nav.requestStart, html: nav.responseEnd - nav.requestStart });
          const seen = performance.getEntriesByName("first-contentful-paint")[0];
          if (seen) return done(seen.startTime);
          new PerformanceObserver((list) => {
            const paint = list.getEntriesByName("first-contentful-paint")[0];
            if (paint) done(paint.startTime);
          }).observe({ type: "paint", buffered: true });
          setTimeout(() => done(null), 5000);
        }),
    );
    if (i === 0) continue; // the first load fills the browser's cache of the assets
    if (timing.fcp === null) {
      console.log(`run ${i}: no paint entry within 5 s`);
      continue;
    }
    fcps.push(timing.fcp);
    console.log(`run ${i}: FCP ${timing.fcp.toFixed(0)} ms, first byte ${timing.ttfb.toFixed(0)} ms, HTML done ${timing.html.toFixed(0)} ms, ${(body.length / 1024).toFixed(1)} KB`);
  }
  fcps.sort((a, b) => a - b);
  console.log(`FCP median ${fcps[Math.floor(fcps.length / 2)].toFixed(0)} ms over ${fcps.length} loads (min ${fcps[0].toFixed(0)}, max ${fcps[fcps.length - 1].toFixed(0)})`);
} finally {
  await chrome.close();
}
