// Browser test of the gateway's web page, in the system's headless Chromium (/usr/bin/chromium; Playwright never
// downloads a browser here). Run by WebPageE2eTest against a real stack (tiny model, one generator), or by hand:
//
//   T2I_API_KEY=$(cat ../../.t2i/api-key) node web-page-test.mjs --gateway http://127.0.0.1:8080 \
//     --screenshots ../target/screenshots --result /tmp/r.json
//
// The API key (--api-key, else T2I_API_KEY; none for a gateway with authentication off) is typed into the page's
// field like a user would, after checking that the page asks for one and refuses a wrong one.
// Each scenario is a step; the result file lists every step as passed or failed, with a detail. Exit code 0 when
// none failed. The steps share one page and run in order: later ones use the jobs of earlier ones.
// --phase outage (run after the generator was killed) checks the page with no worker alive, then prints
// STOP_THE_GATEWAY and, once told on stdin, checks it with the gateway gone.
import { chromium } from 'playwright-core';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values: options } = parseArgs({
  options: {
    gateway: { type: 'string' },
    screenshots: { type: 'string' },
    result: { type: 'string' },
    chromium: { type: 'string', default: '/usr/bin/chromium' },
    timeout: { type: 'string', default: '240' }, // seconds, per wait for a job to reach a state
    // main: the steps below against a working stack; outage: with no generator alive, and then with the gateway
    // stopped by the caller once the script prints STOP_THE_GATEWAY (it answers with a line on stdin)
    phase: { type: 'string', default: 'main' },
    'api-key': { type: 'string', default: process.env.T2I_API_KEY || '' },
  },
});
const API_KEY = options['api-key'];
if (!options.gateway || !options.screenshots || !options.result) {
  console.error('usage: node web-page-test.mjs --gateway URL --screenshots DIR --result FILE [--chromium PATH]');
  process.exit(2);
}
const GATEWAY = options.gateway.replace(/\/$/, '');
const JOB_TIMEOUT_MS = Number(options.timeout) * 1000;
mkdirSync(options.screenshots, { recursive: true });

const steps = [];
const problems = []; // console errors (CSP violations among them) and uncaught page errors

async function step(name, body) {
  const started = Date.now();
  try {
    const detail = await body();
    steps.push({ name, status: 'passed', detail: detail || '', millis: Date.now() - started });
  } catch (e) {
    steps.push({ name, status: 'failed', detail: String(e.stack || e), millis: Date.now() - started });
    await screenshot('failed-' + name).catch(() => {});
  }
  console.log('[browser] ' + steps.at(-1).status + ': ' + name + (steps.at(-1).detail ? ' — '
    + steps.at(-1).detail.split('\n')[0] : ''));
}

function check(condition, message) {
  if (!condition) {
    throw new Error(message);
  }
}

async function api(method, path, body) {
  const headers = body ? { 'Content-Type': 'application/json' } : {};
  if (API_KEY) {
    headers.Authorization = 'Bearer ' + API_KEY;
  }
  const response = await fetch(GATEWAY + path, {
    method,
    headers,
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  // Seeds as digits, as the page reads them (int64 does not fit a JavaScript number).
  return { status: response.status, json: text ? JSON.parse(text.replace(/"seed":(\d+)/g, '"seed":"$1"')) : null };
}

async function submitByApi(body) {
  const { status, json } = await api('POST', '/generated-images', body);
  check(status === 201, 'POST answered ' + status + ': ' + JSON.stringify(json));
  return json;
}

async function awaitApiStatus(id, wanted) {
  const deadline = Date.now() + JOB_TIMEOUT_MS;
  for (;;) {
    const { json } = await api('GET', '/generated-images/' + id);
    if (wanted.includes(json.status)) {
      return json;
    }
    check(Date.now() < deadline, 'job ' + id + ' still ' + json.status + ' after ' + JOB_TIMEOUT_MS + ' ms');
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

const userDataDir = mkdtempSync(join(tmpdir(), 't2i-chromium-'));
const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath: options.chromium,
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
  viewport: { width: 1280, height: 900 },
});
const page = context.pages()[0] || await context.newPage();
page.setDefaultTimeout(JOB_TIMEOUT_MS);
let refusalsExpected = false; // while the steps about the key run, the 401s they cause are the point
page.on('console', (message) => {
  // Chromium logs every HTTP error a fetch gets; the 400 of the bad-size step is one the page handles.
  const handled = /status of 400 \(Bad Request\)/.test(message.text())
    || (refusalsExpected && /status of 401 \(Unauthorized\)/.test(message.text()));
  if (message.type() === 'error' && !handled) {
    problems.push('console: ' + message.text());
  }
});
page.on('pageerror', (error) => problems.push('page error: ' + error.message));

async function screenshot(name) {
  const path = join(options.screenshots, name + '.png');
  await page.screenshot({ path, fullPage: true });
  return path;
}

const jobStatus = () => page.locator('#job-status').getAttribute('data-status');
const waitForStatus = (status) => page.waitForSelector('#job-status[data-status="' + status + '"]');
const progressValue = () => page.locator('#progress').evaluate((bar) => ({ value: bar.value, max: bar.max }));

let capabilities;
let blocker;
let followed;
let followedRecord;
let completed = false; // every step ran (each may have failed), the script did not stop half-way

/** Types the key into the page's field as a user would, and presses Enter ("Use key"). */
async function typeKey(key) {
  await page.locator('#api-key').fill('');
  await page.locator('#api-key').click();
  await page.keyboard.type(key);
  await page.keyboard.press('Enter');
}

const authMessage = (reason) => page.locator('#auth-message[data-reason="' + reason + '"]:not([hidden])');

async function mainPhase() {
  await step('the page asks for an API key, refuses a wrong one and works with the right one', async () => {
    refusalsExpected = true;
    try {
      await page.goto(GATEWAY + '/');
      const field = page.locator('#api-key');
      check(await field.getAttribute('type') === 'password', 'the key field is not a password field');
      check(await page.locator('label[for="api-key"]').textContent() === 'API key', 'the key field has no label');
      if (!API_KEY) {
        await page.waitForSelector('#job-form:not([hidden])');
        check(await page.locator('#auth-message').isHidden(), 'a gateway without authentication asks for a key');
        return 'no key given: authentication is off, and the page did not ask for one';
      }
      await authMessage('missing').waitFor();
      const asked = await page.locator('#auth-message').textContent();
      check(/needs an API key/.test(asked), 'message without a key: ' + asked);
      check(await page.locator('#auth-message').getAttribute('role') === 'alert', 'the message is not an alert');
      check(await page.locator('#job-form').isHidden(), 'the form was built without a key');
      await screenshot('key-missing');

      await typeKey('t2i_' + 'A'.repeat(43));
      await authMessage('refused').waitFor();
      const refused = await page.locator('#auth-message').textContent();
      check(/did not accept this API key/.test(refused), 'message for a wrong key: ' + refused);
      check(!refused.includes('AAAA'), 'the message shows the key: ' + refused);
      check(await field.getAttribute('aria-invalid') === 'true', 'the wrong key is not marked invalid');
      await screenshot('key-refused');

      await typeKey(API_KEY);
      await page.waitForSelector('#job-form:not([hidden])');
      await page.locator('#auth-message').waitFor({ state: 'hidden' });
      const stored = await page.evaluate(() => sessionStorage.getItem('t2i.api-key'));
      check(stored === API_KEY, 'the key is not kept in sessionStorage');
      check(await page.evaluate(() => localStorage.length) === 0, 'something went to localStorage');
      return '"' + asked + '" / "' + refused + '"';
    } finally {
      refusalsExpected = false;
    }
  });

  await step('form is built from /capabilities', async () => {
    capabilities = (await api('GET', '/capabilities')).json;
    const response = await page.goto(GATEWAY + '/');
    const csp = response.headers()['content-security-policy'] || '';
    check(/default-src 'self'/.test(csp) && !/unsafe-inline/.test(csp), 'page CSP: ' + csp);
    await page.waitForSelector('#job-form:not([hidden])');
    const options = await page.locator('#scheduler option').allTextContents();
    check(options.length === capabilities.schedulers.length + 1, 'scheduler options: ' + options.length);
    const named = capabilities.schedulers.find((s) => s.display_name);
    check(options.includes(named.display_name + ' (' + named.name + ')'), 'no option for ' + named.display_name);
    const width = await page.locator('#width').evaluate((w) => [w.min, w.max, w.step, w.value]);
    const sizes = capabilities.sizes;
    check(width.join() === [sizes.min, sizes.max, sizes.multiple_of, capabilities.default_size.width].join(),
      'width input ' + width);
    check(await page.locator('#previews-field').isVisible() === capabilities.previews_available,
      'previews checkbox visibility differs from previews_available=' + capabilities.previews_available);
    await screenshot('form');
    return options.length - 1 + ' schedulers; CSP ' + csp;
  });

  await step('every control is labelled and reachable by keyboard', async () => {
    const unlabelled = await page.locator('#key-form input, #job-form input, #job-form select, #job-form textarea')
      .evaluateAll((controls) => controls.filter((c) => !c.closest('[hidden]') && c.labels.length === 0)
        .map((c) => c.id));
    check(unlabelled.length === 0, 'controls without a label: ' + unlabelled);
    const live = await page.locator('[aria-live], [role="status"], [role="alert"]').count();
    check(live >= 3, 'only ' + live + ' live regions');
    await page.locator('#prompt').focus();
    const reached = [];
    for (let i = 0; i < 20 && !reached.includes('submit'); i++) {
      await page.keyboard.press('Tab');
      reached.push(await page.evaluate(() => document.activeElement.id));
    }
    check(reached.includes('submit'), 'Tab from the prompt never reached the button: ' + reached);
    return 'tab order: ' + reached.join(' → ');
  });

  await step('a bad size shows the API error next to the width field', async () => {
    await page.locator('#prompt').fill('a bad size');
    await page.locator('#width').fill('100');
    await page.locator('#submit').focus();
    await page.keyboard.press('Enter'); // by keyboard
    const error = page.locator('#width-error');
    await error.waitFor({ state: 'visible' });
    const text = await error.textContent();
    check(/64/.test(text), 'width error: ' + text);
    check(await page.locator('#width').getAttribute('aria-invalid') === 'true', 'width not marked invalid');
    check(await page.locator('#height-error').textContent() === '', 'height has an error too');
    check(await page.locator('#job').isHidden(), 'a job was shown for a refused request');
    await screenshot('field-error');
    await page.locator('#width').fill('256');
    await page.locator('#height').fill('256');
    return 'width error: ' + text;
  });

  await step('queued: the page shows the queue position', async () => {
    // The one generator is kept busy, so the page's job waits behind this one.
    blocker = await submitByApi({ prompt: 'a job that holds the only worker', num_steps: 150, width: 512,
      height: 512, num_images: 2 });
    await awaitApiStatus(blocker.id, ['running']);
    await page.locator('#prompt').fill('a lighthouse on a cliff at dawn');
    await page.locator('#num_steps').fill('150');
    check(await page.locator('#previews-field').isVisible(), 'no previews checkbox: the page has not heard of a'
      + ' worker that sends previews');
    await page.locator('#previews').check();
    await page.locator('#submit').click();
    await page.waitForSelector('#job:not([hidden])');
    followed = (await page.locator('#job-id').textContent()).trim();
    followedRecord = (await api('GET', '/generated-images/' + followed)).json;
    check(await jobStatus() === 'queued', 'status ' + await jobStatus() + ' while the worker is busy');
    check(followedRecord.queue && followedRecord.queue.position === 1, 'record queue: '
      + JSON.stringify(followedRecord.queue));
    const queue = page.locator('#job-queue[data-position="1"]');
    await queue.waitFor({ state: 'visible' });
    const text = await queue.textContent();
    check(/Position 1 in the queue \(0 jobs ahead, 1 worker live\)/.test(text), 'queue text: ' + text);
    await screenshot('queued');
    return text;
  });

  await step('running: the progress bar advances with step k of n', async () => {
    check(followed, 'no job was submitted from the page');
    await api('DELETE', '/generated-images/' + blocker.id);
    await waitForStatus('running');
    const seen = new Set();
    const deadline = Date.now() + JOB_TIMEOUT_MS;
    while (seen.size < 3 && Date.now() < deadline && await jobStatus() === 'running') {
      const { value, max } = await progressValue();
      if (value > 0 && value < max) {
        seen.add(value);
      }
      await page.waitForTimeout(50);
    }
    check(seen.size >= 2, 'progress values seen while running: ' + [...seen]);
    const text = await page.locator('#progress-text').textContent();
    check(/^Step \d+ of 151/.test(text), 'progress text: ' + text); // 150 steps + the VAE decode
    await screenshot('running');
    return 'values ' + [...seen].join(', ') + '; "' + text + '"';
  });

  await step('running: the live preview changes in place', async () => {
    check(followed, 'no job was submitted from the page');
    check(followedRecord.previews === true, 'the record says previews ' + followedRecord.previews);
    check(capabilities.previews_available, 'previews_available is false with a generator running');
    const sources = new Set();
    const deadline = Date.now() + JOB_TIMEOUT_MS;
    while (sources.size < 2 && Date.now() < deadline && await jobStatus() === 'running') {
      const src = await page.locator('#preview').getAttribute('src');
      if (src) {
        sources.add(src);
      }
      await page.waitForTimeout(50);
    }
    check(sources.size >= 2, sources.size + ' distinct preview images while running');
    const natural = await page.locator('#preview').evaluate((img) => img.naturalWidth);
    check(natural > 0, 'the preview image does not decode');
    return sources.size + ' distinct previews, ' + natural + ' px wide';
  });

  await step('reload mid-job: the page finds the job again and follows it', async () => {
    check(followed, 'no job was submitted from the page');
    check(await jobStatus() === 'running', 'the job is no longer running: ' + await jobStatus()
      + ' (too fast to reload mid-job)');
    const before = (await progressValue()).value;
    check(page.url().endsWith('#job=' + followed), 'the URL does not name the job: ' + page.url());
    await page.reload();
    await page.waitForSelector('#job:not([hidden])');
    check((await page.locator('#job-id').textContent()).trim() === followed, 'another job after reload');
    const deadline = Date.now() + JOB_TIMEOUT_MS;
    let after = 0;
    let advanced = false;
    while (Date.now() < deadline) {
      const status = await jobStatus();
      after = (await progressValue()).value;
      if (status === 'running' && after > before) {
        advanced = true;
        break;
      }
      if (status === 'succeeded') {
        break;
      }
      await page.waitForTimeout(50);
    }
    check(advanced, 'after reload the progress did not move past ' + before + ' while running (now '
      + after + ', ' + await jobStatus() + ')');
    return 'step ' + before + ' before reload, ' + after + ' after';
  });

  await step('finished: the image renders from its signed URL, with settings, seed and download', async () => {
    check(followed, 'no job was submitted from the page');
    await waitForStatus('succeeded');
    const image = page.locator('#results img').first();
    await image.waitFor({ state: 'visible' });
    await page.waitForFunction(() => {
      const img = document.querySelector('#results img');
      return img && img.complete && img.naturalWidth > 0;
    });
    const { src, naturalWidth, naturalHeight } = await image.evaluate((img) => ({ src: img.src,
      naturalWidth: img.naturalWidth, naturalHeight: img.naturalHeight }));
    check(naturalWidth === 256 && naturalHeight === 256, 'image is ' + naturalWidth + 'x' + naturalHeight);
    const urls = (await api('GET', '/generated-images/' + followed + '/url')).json;
    check(new URL(src).pathname === new URL(urls.images[0].url).pathname, 'image src is not the signed URL: '
      + src);
    check(/X-Amz-Signature=/.test(src), 'not a signed URL: ' + src);
    const record = (await api('GET', '/generated-images/' + followed)).json;
    followedRecord = record;
    const seed = await page.locator('dd[data-parameter="seed"]').textContent();
    check(seed === record.seed, 'seed shown ' + seed + ', record ' + record.seed);
    const prompt = await page.locator('dd[data-parameter="prompt"]').textContent();
    check(prompt === record.prompt, 'prompt shown: ' + prompt);
    const download = page.locator('#results a[download]').first();
    check(await download.getAttribute('href') === src, 'download link is not the image URL');
    await screenshot('finished');
    return naturalWidth + 'x' + naturalHeight + ' from ' + new URL(src).origin + ', seed ' + seed;
  });

  await step('"use these settings again" fills the form', async () => {
    check(followedRecord && followedRecord.status === 'succeeded', 'no finished job');
    await page.locator('#use-again').click();
    const form = await page.evaluate(() => ({
      prompt: document.getElementById('prompt').value, seed: document.getElementById('seed').value,
      random: document.getElementById('seed-random').checked, width: document.getElementById('width').value,
      steps: document.getElementById('num_steps').value, focused: document.activeElement.id }));
    check(form.prompt === followedRecord.prompt, 'prompt ' + form.prompt);
    check(form.seed === followedRecord.seed && !form.random, 'seed ' + form.seed + ' random ' + form.random);
    check(form.width === '256' && form.steps === '150', 'size/steps ' + form.width + '/' + form.steps);
    check(form.focused === 'prompt', 'focus on ' + form.focused);
    return 'seed ' + form.seed;
  });

  await step('cancel: a long job submitted from the page stops cancelled', async () => {
    await page.locator('#prompt').fill('a very long job to cancel');
    await page.locator('#seed-random').check();
    await page.locator('#width').fill('512');
    await page.locator('#height').fill('512');
    await page.locator('#num_images').fill('2');
    await page.locator('#submit').click();
    await page.waitForFunction((previous) => {
      const id = document.getElementById('job-id').textContent.trim();
      return id !== previous && document.getElementById('job-status').dataset.status === 'running'
        && document.getElementById('progress').value >= 1;
    }, followed);
    const id = (await page.locator('#job-id').textContent()).trim();
    await page.locator('#cancel').click();
    await waitForStatus('cancelled');
    const record = await awaitApiStatus(id, ['cancelled', 'succeeded', 'failed']);
    check(record.status === 'cancelled', 'record says ' + record.status);
    check(record.current_step < record.total_steps, 'ran to the end: ' + record.current_step);
    check(await page.locator('#cancel').isHidden(), 'cancel button still shown');
    await screenshot('cancelled');
    return 'cancelled at step ' + record.current_step + ' of ' + record.total_steps;
  });

  await step('gallery: earlier jobs newest first, paginated, with status badges', async () => {
    for (let i = 0; i < 6; i++) {
      await submitByApi({ prompt: 'gallery filler ' + i, num_steps: 1, width: 64, height: 64 });
    }
    const total = (await api('GET', '/generated-images?page=0&size=1')).json.total;
    await page.reload();
    await page.waitForSelector('#gallery li');
    const first = await page.locator('#gallery li').evaluateAll((items) => items.map((li) => ({
      id: li.dataset.id, status: li.dataset.status, created: li.dataset.createdAt,
      badge: li.querySelector('.badge').textContent, prompt: li.querySelector('.gallery-prompt').textContent })));
    check(first.length === Math.min(8, total), first.length + ' items on page 1 of ' + total + ' jobs');
    check(first[0].prompt === 'gallery filler 5', 'newest first: ' + first[0].prompt);
    for (let i = 1; i < first.length; i++) {
      check(first[i - 1].created >= first[i].created, 'not newest first at ' + i);
    }
    const mine = first.find((item) => item.id === followed);
    check(mine && mine.badge === 'Finished', 'the finished job on page 1: ' + JSON.stringify(mine));
    check(first.some((item) => item.badge === 'Cancelled'), 'no cancelled badge on page 1');
    check(/^Page 1 of 2$/.test(await page.locator('#gallery-page').textContent()), 'pager text');
    await screenshot('gallery');
    await page.locator('#gallery-next').click();
    await page.waitForSelector('#gallery li[data-id="' + blocker.id + '"]');
    const second = await page.locator('#gallery li').evaluateAll((items) => items.map((li) => li.dataset.id));
    check(second.length === total - 8, second.length + ' items on page 2');
    check(await page.locator('#gallery-next').isDisabled(), '"Older" enabled on the last page');
    await page.locator('#gallery-prev').click();
    await page.locator('#gallery li[data-id="' + followed + '"] button').click();
    await page.waitForFunction(() => {
      const img = document.querySelector('#results img');
      return img && img.complete && img.naturalWidth > 0;
    });
    await screenshot('overview'); // a finished job beside a full gallery page: docs/images/web-page.png
    return total + ' jobs: ' + first.length + ' on page 1, ' + second.length + ' on page 2';
  });

  await step('phone width (375 px): no horizontal scrolling', async () => {
    await page.setViewportSize({ width: 375, height: 812 });
    await page.reload();
    await page.waitForSelector('#job-form:not([hidden])');
    await page.waitForFunction(() => {
      const img = document.querySelector('#results img');
      return img && img.complete && img.naturalWidth > 0;
    });
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    check(width <= 375, 'page is ' + width + ' px wide');
    await screenshot('phone');
    return 'scroll width ' + width;
  });

  await step('"forget key" empties the field and the tab\'s storage, and the page asks again', async () => {
    if (!API_KEY) {
      return 'no key given: nothing to forget';
    }
    refusalsExpected = true;
    try {
      await page.locator('#api-key-forget').click();
      check(await page.locator('#api-key').inputValue() === '', 'the field still has the key');
      check(await page.evaluate(() => sessionStorage.getItem('t2i.api-key')) === null, 'sessionStorage keeps it');
      await authMessage('missing').waitFor();
      await page.reload();
      await authMessage('missing').waitFor();
      await page.waitForTimeout(500); // the page's other refused requests, logged a moment later
      return await page.locator('#auth-message').textContent();
    } finally {
      refusalsExpected = false;
    }
  });

  await step('no script errors and no CSP violations', async () => {
    check(problems.length === 0, problems.join('\n'));
  });
}

const STOP_THE_GATEWAY = '[browser] waiting: stop the gateway now, then write a line to my stdin';

async function outagePhase() {
  await step('no worker alive: the page says so, and a job waits in the queue', async () => {
    await page.goto(GATEWAY + '/');
    if (API_KEY) {
      refusalsExpected = true; // the first requests, before the key is typed
      await authMessage('missing').waitFor();
      await typeKey(API_KEY);
    }
    await page.waitForSelector('#job-form:not([hidden])');
    refusalsExpected = false;
    const banner = page.locator('#banner.banner-warning');
    await banner.waitFor({ state: 'visible' });
    const text = await banner.textContent();
    check(/No generator is running/.test(text), 'banner: ' + text);
    await page.locator('#prompt').fill('a job that waits for a worker');
    await page.locator('#width').fill('64');
    await page.locator('#height').fill('64');
    await page.locator('#num_steps').fill('1');
    await page.locator('#submit').click();
    await page.waitForSelector('#job:not([hidden])');
    await waitForStatus('queued');
    const id = (await page.locator('#job-id').textContent()).trim();
    const record = (await api('GET', '/generated-images/' + id)).json;
    check(record.queue && record.queue.live_workers === 0, 'record queue: ' + JSON.stringify(record.queue));
    await page.waitForSelector('#job-queue:not([hidden])');
    const queue = await page.locator('#job-queue').textContent();
    check(/No worker is running/.test(queue), 'queue text with no worker: ' + queue);
    await screenshot('no-worker');
    return text + (queue ? ' / ' + queue : '');
  });

  await step('gateway down: submitting says the gateway cannot be reached', async () => {
    const answered = new Promise((resolve) => process.stdin.once('data', resolve));
    console.log(STOP_THE_GATEWAY);
    await answered;
    await page.locator('#prompt').fill('submitted while the gateway is down');
    await page.locator('#submit').click();
    const banner = page.locator('#banner.banner-error');
    await banner.waitFor({ state: 'visible' });
    const text = await banner.textContent();
    check(/gateway cannot be reached/.test(text) && /Nothing was submitted/.test(text), 'banner: ' + text);
    check(await page.locator('#submit').isEnabled(), 'the button stays disabled');
    await screenshot('gateway-down');
    return text;
  });
}

try {
  await (options.phase === 'outage' ? outagePhase() : mainPhase());
  completed = true;
} finally {
  await context.close();
  rmSync(userDataDir, { recursive: true, force: true });
  writeFileSync(options.result, JSON.stringify({ gateway: GATEWAY, completed, steps }, null, 2));
}
process.exit(steps.some((s) => s.status === 'failed') ? 1 : 0);
