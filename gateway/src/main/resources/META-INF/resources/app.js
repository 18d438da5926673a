// The gateway's web page: a form built from GET /capabilities, one job followed over SSE, and the gallery of past
// jobs. Plain browser JavaScript, no build step, no dependencies; text is only ever set with textContent (the
// prompts are user input). The API it uses is docs/gateway-api.md; the page itself is docs/web-page.md.
'use strict';

const GALLERY_PAGE_SIZE = 8;
const CAPABILITIES_REFRESH_MS = 15000;
const JOB_IN_URL = /^#job=([0-9a-f-]{36})$/i;
const STORAGE_KEY = 't2i.current-job';
const API_KEY_STORAGE = 't2i.api-key';
const TERMINAL = new Set(['succeeded', 'failed', 'cancelled']);
const FIELDS = ['prompt', 'negative_prompt', 'width', 'height', 'num_steps', 'guidance_scale', 'num_images',
  'scheduler', 'seed', 'previews'];

const $ = (id) => document.getElementById(id);

// ------------------------------------------------------------------ talking to the gateway

/**
 * The API key field's value (kept in sessionStorage, see the start below) as a Bearer header; none when it is
 * empty, which is all a gateway with authentication off needs. EventSource cannot send headers: the stream gets a
 * short-lived stream token instead (openStream).
 */
function authHeaders() {
  const key = $('api-key').value.trim();
  return key ? { Authorization: 'Bearer ' + key } : {};
}

/**
 * A 401: the gateway wants a key (none given) or refused the one given (its detail says why: unknown, expired,
 * revoked — never the key itself).
 */
function showAuthProblem(json) {
  const given = $('api-key').value.trim() !== '';
  const detail = json && json.detail ? ' (' + json.detail.replace(/\.$/, '') + ')' : '';
  const message = $('auth-message');
  message.textContent = given
    ? 'The gateway did not accept this API key' + detail + '. Check it, or ask for a new one, then press “Use key”.'
    : 'This gateway needs an API key: enter yours in the “API key” field above and press “Use key”.';
  message.dataset.reason = given ? 'refused' : 'missing';
  message.hidden = false;
  $('form-loading').textContent = 'Waiting for an API key…';
  $('api-key').setAttribute('aria-invalid', String(given));
}

function clearAuthProblem() {
  if (!$('auth-message').hidden) {
    $('auth-message').hidden = true;
    $('auth-message').textContent = '';
    $('api-key').removeAttribute('aria-invalid');
  }
}

/** Thrown by api() for a 401: what asked for the key stops and is started again once a key is entered. */
class Unauthorized extends Error {
}

/** The gateway could not be reached at all, or answered 503 for a dependency it lacks. */
class Unavailable extends Error {
  constructor(message, retryAfter) {
    super(message);
    this.retryAfter = retryAfter;
  }
}

/**
 * Seeds are int64 (up to 2^63-1) and a JavaScript number keeps only 53 bits: a random seed would be shown, and
 * reused, rounded. So every "seed" is read as its digits, a string. (Inside a JSON string a quote is always
 * escaped, so a prompt cannot contain the pattern.)
 */
function parseJson(text) {
  return JSON.parse(text.replace(/"seed":(-?\d+)/g, '"seed":"$1"'));
}

async function api(method, path, body) {
  const headers = { Accept: 'application/json', ...authHeaders() };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
  }
  let response;
  try {
    response = await fetch(path, { method, headers, body });
  } catch (e) {
    throw new Unavailable('The gateway cannot be reached (' + e.message + ').', 5);
  }
  const text = await response.text();
  let json = null;
  try {
    json = text ? parseJson(text) : null;
  } catch (e) {
    json = null; // a proxy's HTML error page, for instance
  }
  if (response.status === 503 || (response.status >= 502 && json === null)) {
    const detail = json && json.detail ? json.detail : 'HTTP ' + response.status;
    throw new Unavailable('The service is unavailable: ' + detail, Number(response.headers.get('Retry-After')) || 5);
  }
  if (response.status === 401) {
    showAuthProblem(json);
    throw new Unauthorized(problemText(json, 401));
  }
  if (response.ok) {
    clearAuthProblem();
  }
  return { status: response.status, ok: response.ok, json };
}

function problemText(json, status) {
  if (json && (json.detail || json.title)) {
    return json.detail || json.title;
  }
  return 'The gateway answered HTTP ' + status + '.';
}

// ------------------------------------------------------------------ banner: gateway or workers unavailable

const banner = { unavailable: null, noWorkers: false };

function renderBanner() {
  const element = $('banner');
  let text = '';
  if (banner.unavailable) {
    text = banner.unavailable;
    element.className = 'banner banner-error';
  } else if (banner.noWorkers) {
    text = 'No generator is running right now: new jobs wait in the queue until one starts.';
    element.className = 'banner banner-warning';
  }
  element.textContent = text;
  element.hidden = text === '';
}

function showUnavailable(error) {
  banner.unavailable = error.message + ' Retrying in ' + error.retryAfter + ' s.';
  renderBanner();
}

function clearUnavailable() {
  if (banner.unavailable) {
    banner.unavailable = null;
    renderBanner();
  }
}

// ------------------------------------------------------------------ the form, from GET /capabilities

let capabilities = null;
let capabilitiesTimer = null;

function scheduleCapabilities(millis) {
  clearTimeout(capabilitiesTimer);
  capabilitiesTimer = setTimeout(loadCapabilities, millis);
}

async function loadCapabilities() {
  clearTimeout(capabilitiesTimer);
  try {
    const { ok, status, json } = await api('GET', '/capabilities');
    if (!ok) {
      throw new Unavailable('The gateway could not say what it can generate: ' + problemText(json, status), 5);
    }
    clearUnavailable();
    banner.noWorkers = !json.workers_available;
    renderBanner();
    if (capabilities === null) {
      buildForm(json);
    }
    capabilities = json;
    $('previews-field').hidden = !json.previews_available;
    scheduleCapabilities(CAPABILITIES_REFRESH_MS);
  } catch (e) {
    if (e instanceof Unauthorized) {
      return; // until a key is entered (useKey)
    }
    if (!(e instanceof Unavailable)) {
      throw e;
    }
    showUnavailable(e);
    scheduleCapabilities(e.retryAfter * 1000);
  }
}

function setRange(id, min, max, step) {
  const input = $(id);
  input.min = String(min);
  input.max = String(max);
  if (step !== undefined) {
    input.step = String(step);
  }
}

function buildForm(caps) {
  const { sizes, limits } = caps;
  setRange('width', sizes.min, sizes.max, sizes.multiple_of);
  setRange('height', sizes.min, sizes.max, sizes.multiple_of);
  $('width').value = caps.default_size.width;
  $('height').value = caps.default_size.height;
  $('size-hint').textContent = 'Width and height: ' + sizes.min + ' to ' + sizes.max + ' pixels, multiples of '
    + sizes.multiple_of + '.';
  setRange('num_steps', limits.num_steps.min, limits.num_steps.max, 1);
  setRange('guidance_scale', limits.guidance_scale.min, limits.guidance_scale.max);
  setRange('num_images', limits.num_images.min, limits.num_images.max, 1);
  $('prompt').maxLength = limits.prompt_characters;
  $('negative_prompt').maxLength = limits.prompt_characters;
  const select = $('scheduler');
  for (const scheduler of caps.schedulers) {
    const option = document.createElement('option');
    option.value = scheduler.name;
    option.textContent = scheduler.display_name
      ? scheduler.display_name + ' (' + scheduler.name + ')' : scheduler.name;
    select.append(option);
  }
  $('form-loading').hidden = true;
  $('job-form').hidden = false;
}

function readForm() {
  const body = { prompt: $('prompt').value };
  if ($('negative_prompt').value.trim() !== '') {
    body.negative_prompt = $('negative_prompt').value;
  }
  for (const id of ['width', 'height', 'num_steps', 'num_images', 'guidance_scale']) {
    const value = $(id).value.trim();
    if (value !== '') {
      // A number the server can check; anything else is sent as typed, and the server's error names the field.
      body[id] = Number.isFinite(Number(value)) ? Number(value) : value;
    }
  }
  if ($('scheduler').value !== '') {
    body.scheduler = $('scheduler').value;
  }
  if (!$('previews-field').hidden && $('previews').checked) {
    body.previews = true;
  }
  let json = JSON.stringify(body);
  const seed = $('seed').value.trim();
  if (!$('seed-random').checked && seed !== '') {
    // Spliced in as digits: a JavaScript number would round a seed above 2^53.
    const literal = /^\d+$/.test(seed) ? seed : JSON.stringify(seed);
    json = json.slice(0, -1) + ',"seed":' + literal + '}';
  }
  return json;
}

function clearFieldErrors() {
  for (const element of document.querySelectorAll('[data-error-for]')) {
    element.textContent = '';
  }
  for (const field of FIELDS) {
    $(field).removeAttribute('aria-invalid');
  }
  $('form-error').textContent = '';
}

/** problem+json errors[] next to the field each names; those about no field of the form go above the button. */
function showFieldErrors(problem, status) {
  const general = [];
  let first = null;
  for (const error of (problem && problem.errors) || []) {
    const slot = error.field && document.querySelector('[data-error-for="' + CSS.escape(error.field) + '"]');
    if (slot) {
      slot.textContent = (slot.textContent ? slot.textContent + '; ' : '') + error.message;
      $(error.field).setAttribute('aria-invalid', 'true');
      first = first || $(error.field);
    } else {
      general.push(error.field ? error.field + ': ' + error.message : error.message);
    }
  }
  if (general.length > 0 || first === null) {
    $('form-error').textContent = general.length > 0 ? general.join('; ') : problemText(problem, status);
  }
  (first || $('submit')).focus();
}

async function submitForm(event) {
  event.preventDefault();
  clearFieldErrors();
  const button = $('submit');
  button.disabled = true;
  try {
    const { ok, status, json } = await api('POST', '/generated-images', readForm());
    if (!ok) {
      showFieldErrors(json, status);
      return;
    }
    clearUnavailable();
    follow(json.id, json);
    loadGallery(0);
  } catch (e) {
    if (e instanceof Unauthorized) {
      $('api-key').focus(); // nothing was submitted; the message above says what to do
      return;
    }
    if (!(e instanceof Unavailable)) {
      throw e;
    }
    // A 503 after the job was stored says so ("… was not queued and is recorded as failed"): it will not run.
    banner.unavailable = e.message + (/not queued/.test(e.message) ? ' It will not run' : ' Nothing was submitted')
      + '; try again in ' + e.retryAfter + ' s.';
    renderBanner();
  } finally {
    button.disabled = false;
  }
}

/** "Use these settings again": the form gets a finished job's parameters, its seed included. */
function fillForm(record) {
  $('prompt').value = record.prompt || '';
  $('negative_prompt').value = record.negative_prompt || '';
  for (const id of ['width', 'height', 'num_steps', 'guidance_scale', 'num_images']) {
    if (record[id] !== null && record[id] !== undefined) {
      $(id).value = record[id];
    }
  }
  $('scheduler').value = [...$('scheduler').options].some((o) => o.value === record.scheduler)
    ? record.scheduler : '';
  $('seed-random').checked = false;
  $('seed').disabled = false;
  $('seed').value = record.seed;
  clearFieldErrors();
  $('prompt').focus();
  $('prompt').scrollIntoView({ block: 'center' });
}

// ------------------------------------------------------------------ following one job

let current = null; // { id, source, record, stateSeen }

function secondsText(seconds) {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) {
    return null;
  }
  const s = Math.max(0, Math.round(seconds));
  return s < 60 ? s + ' s' : Math.floor(s / 60) + ' min ' + (s % 60) + ' s';
}

function untilText(iso) {
  return iso ? secondsText((Date.parse(iso) - Date.now()) / 1000) : null;
}

function statusText(status) {
  return { queued: 'Queued', running: 'Running', succeeded: 'Finished', failed: 'Failed',
    cancelled: 'Cancelled' }[status] || status;
}

function setStatus(status, detail) {
  const element = $('job-status');
  element.dataset.status = status;
  element.textContent = statusText(status) + (detail ? ': ' + detail : '');
  $('cancel').hidden = TERMINAL.has(status);
  $('job-queue').hidden = status !== 'queued' || $('job-queue').textContent === '';
}

/** Queue place and estimate: the record's "queue"/"estimate" or a "queue" event's. */
function showQueue(queue, estimate) {
  const element = $('job-queue');
  if (!queue) {
    element.textContent = '';
    element.hidden = true;
    return;
  }
  const parts = ['Position ' + queue.position + ' in the queue (' + queue.jobs_ahead
    + (queue.jobs_ahead === 1 ? ' job' : ' jobs') + ' ahead, ' + queue.live_workers
    + (queue.live_workers === 1 ? ' worker' : ' workers') + ' live).'];
  const starts = estimate && untilText(estimate.start_at);
  const finishes = estimate && (untilText(estimate.finish_at) || secondsText(estimate.remaining_seconds));
  if (starts) {
    parts.push('Starts in about ' + starts + '.');
  }
  if (finishes) {
    parts.push('Done in about ' + finishes + '.');
  }
  if (queue.live_workers === 0) {
    parts.push('No worker is running: it waits until one starts.');
  }
  element.dataset.position = queue.position;
  element.textContent = parts.join(' ');
  element.hidden = false;
}

function showProgress(step, total, estimate) {
  $('job-progress').hidden = false;
  const bar = $('progress');
  bar.max = Math.max(1, total);
  bar.value = Math.min(step, total);
  const left = estimate && secondsText(estimate.remaining_seconds);
  $('progress-text').textContent = 'Step ' + step + ' of ' + total + (left ? ' · about ' + left + ' left' : '');
}

function resetJobView(id) {
  $('job').hidden = false;
  $('job-id').textContent = id;
  $('job-status').textContent = '';
  $('job-status').dataset.status = '';
  showQueue(null);
  $('job-progress').hidden = true;
  $('progress').value = 0;
  $('progress-text').textContent = '';
  $('job-note').hidden = true;
  $('preview-figure').hidden = true;
  $('preview').removeAttribute('src');
  $('results').replaceChildren();
  $('cancel').hidden = true;
  $('cancel').disabled = false;
}

function stopFollowing() {
  if (current && current.source) {
    current.source.close();
  }
  current = null;
}

/**
 * Follows job {id}: its id goes into the URL (#job=…) and sessionStorage, so a reload finds it again; the stream
 * starts with the job's current state, so nothing else needs remembering.
 */
function follow(id, record) {
  stopFollowing();
  const job = { id, source: null, record: record || null, stateSeen: false };
  current = job;
  if (location.hash !== '#job=' + id) {
    history.replaceState(null, '', '#job=' + id);
  }
  sessionStorage.setItem(STORAGE_KEY, id);
  resetJobView(id);
  setStatus(record ? record.status : 'queued', record ? null : 'connecting…');
  if (record) {
    applyRecord(job, record);
  } else {
    api('GET', '/generated-images/' + id).then(({ ok, status, json }) => {
      if (current !== job) {
        return;
      }
      if (status === 404) {
        forget(job, 'This job does not exist (any more).');
      } else if (ok) {
        job.record = json;
        applyRecord(job, json);
      }
    }).catch((e) => e instanceof Unavailable && showUnavailable(e));
  }
  openStream(job);
}

/** Follows the current job again from scratch (a new key may see it now, a new stream token is needed). */
function refollow() {
  if (current) {
    follow(current.id, null);
  } else {
    const id = jobFromUrl();
    if (id) {
      follow(id);
    }
  }
}

/** The record fills in what the stream does not carry (queue place before the first "queue" event). */
function applyRecord(job, record) {
  if (job.stateSeen) {
    return; // the stream is newer
  }
  setStatus(record.status, record.status === 'failed' ? record.error : null);
  if (record.status === 'queued') {
    showQueue(record.queue, record.estimate);
  } else if (record.status === 'running') {
    showProgress(record.current_step, record.total_steps, record.estimate);
  }
  if (record.note) {
    showNote(record.note);
  }
}

function forget(job, message) {
  stopFollowing();
  sessionStorage.removeItem(STORAGE_KEY);
  setStatus('failed', message);
  $('cancel').hidden = true;
}

function showNote(text) {
  $('job-note').textContent = text || '';
  $('job-note').hidden = !text;
}

/**
 * A stream token for the job (POST …/stream-token): EventSource cannot send the key, so the URL carries this
 * short-lived token instead, one per connection the page opens. Null when there is none to be had.
 */
async function streamToken(job) {
  const { ok, status, json } = await api('POST', '/generated-images/' + job.id + '/stream-token');
  // Anything else (404: unknown job, or a gateway without stream tokens): the stream without one says the rest.
  return ok && json && json.token ? json.token : null;
}

async function openStream(job) {
  let token;
  try {
    token = await streamToken(job);
  } catch (e) {
    if (current !== job || e instanceof Unauthorized) {
      return; // a key is needed first: entering one follows the job again
    }
    if (e instanceof Unavailable) {
      showUnavailable(e);
      setTimeout(() => current === job && openStream(job), e.retryAfter * 1000);
      return;
    }
    throw e;
  }
  if (current !== job) {
    return;
  }
  const url = '/generated-images/' + job.id + '/events' + (token ? '?stream_token=' + encodeURIComponent(token) : '');
  listen(job, new EventSource(url));
}

function listen(job, source) {
  job.source = source;
  const on = (name, handler) => source.addEventListener(name, (event) => {
    if (current === job) {
      handler(parseJson(event.data));
    }
  });
  const state = (data) => {
    job.stateSeen = true;
    clearUnavailable();
    showNote(null);
    if (data.status === 'running' && $('job-status').dataset.status !== 'running') {
      loadGallery(gallery.page); // its badge (the end reloads it too, in finished())
    }
    setStatus(data.status, data.status === 'failed' ? data.error : null);
    if (data.status !== 'queued') {
      showQueue(null);
    }
    if (data.status === 'running' || data.status === 'succeeded') {
      showProgress(data.step, data.total_steps, TERMINAL.has(data.status) ? null : data.estimate);
    }
    if (TERMINAL.has(data.status)) {
      source.close();
      finished(job, data);
    }
  };
  for (const name of ['queued', 'running', 'progress', 'succeeded', 'failed', 'cancelled']) {
    on(name, state);
  }
  on('queue', (data) => {
    if ($('job-status').dataset.status === 'queued') {
      showQueue(data.queue, data.estimate);
    }
  });
  on('preview', (data) => {
    const image = $('preview');
    image.src = data.image;
    image.dataset.step = data.step;
    $('preview-caption').textContent = 'Preview at step ' + data.step + ' of ' + data.total_steps;
    $('preview-figure').hidden = false;
  });
  on('worker-lost', (data) => showNote(data.note));
  source.addEventListener('error', () => {
    if (current !== job) {
      return;
    }
    if (source.readyState === EventSource.CLOSED) {
      // The stream was refused (404, 503, …): the record says why.
      api('GET', '/generated-images/' + job.id).then(({ status, json }) => {
        if (current !== job) {
          return;
        }
        if (status === 404) {
          forget(job, 'This job does not exist (any more).');
        } else if (json && TERMINAL.has(json.status)) {
          finished(job, { status: json.status, error: json.error });
        } else {
          showNote('Lost the connection to the job; retrying…');
          setTimeout(() => current === job && openStream(job), 3000);
        }
      }).catch((e) => {
        if (e instanceof Unavailable) {
          showUnavailable(e);
          setTimeout(() => current === job && openStream(job), e.retryAfter * 1000);
        } // Unauthorized: the message asks for a key, and entering one follows the job again
      });
    } else {
      showNote('Lost the connection to the job; reconnecting…'); // EventSource retries with Last-Event-ID
    }
  });
}

async function finished(job, data) {
  $('cancel').hidden = true;
  loadGallery(gallery.page);
  if (data.status !== 'succeeded') {
    return;
  }
  try {
    const [{ json: record }, { ok, status, json: urls }] = await Promise.all([
      api('GET', '/generated-images/' + job.id), api('GET', '/generated-images/' + job.id + '/url')]);
    if (current !== job) {
      return;
    }
    if (!ok) {
      showNote('The images cannot be shown: ' + problemText(urls, status));
      return;
    }
    renderResults(record, urls);
  } catch (e) {
    if (e instanceof Unavailable) {
      showNote(e.message);
    }
  }
}

function renderResults(record, urls) {
  $('preview-figure').hidden = true; // the real image replaces it (a cancelled or failed job keeps its last one)
  const results = $('results');
  results.replaceChildren();
  for (const image of urls.images) {
    const figure = document.createElement('figure');
    figure.className = 'result';
    const img = document.createElement('img');
    img.src = image.url;
    img.alt = 'Generated image ' + (image.index + 1) + ' of ' + urls.images.length + ': ' + record.prompt;
    img.width = record.width || 512;
    img.height = record.height || 512;
    const download = document.createElement('a');
    download.href = image.url;
    download.download = 'text-to-image-' + record.id + '-' + image.index + '.png';
    download.className = 'button';
    download.textContent = 'Download image ' + (image.index + 1);
    const caption = document.createElement('figcaption');
    caption.append(download);
    figure.append(img, caption);
    results.append(figure);
  }
  results.append(parametersList(record));
  const expiry = document.createElement('p');
  expiry.className = 'hint';
  expiry.textContent = 'Download links valid until ' + new Date(urls.expires_at).toLocaleString() + '.';
  const again = document.createElement('button');
  again.type = 'button';
  again.id = 'use-again';
  again.textContent = 'Use these settings again';
  again.addEventListener('click', () => fillForm(record));
  results.append(expiry, again);
}

function parametersList(record) {
  const list = document.createElement('dl');
  list.className = 'parameters';
  const rows = [['Prompt', record.prompt], ['Negative prompt', record.negative_prompt || '—'],
    ['Size', record.width + ' × ' + record.height], ['Steps', record.num_steps],
    ['Guidance', record.guidance_scale], ['Scheduler', record.scheduler || 'model default'],
    ['Seed', record.seed], ['Images', record.num_images]];
  for (const [name, value] of rows) {
    const term = document.createElement('dt');
    term.textContent = name;
    const definition = document.createElement('dd');
    definition.textContent = String(value);
    definition.dataset.parameter = name.toLowerCase();
    list.append(term, definition);
  }
  return list;
}

async function cancelCurrent() {
  if (!current) {
    return;
  }
  const job = current;
  $('cancel').disabled = true;
  try {
    const { ok, status, json } = await api('DELETE', '/generated-images/' + job.id);
    if (ok) {
      showNote('Cancel requested; waiting for the worker to stop…');
    } else if (status !== 409) { // 409: it finished meanwhile, and the stream says how
      showNote('Could not cancel: ' + problemText(json, status));
      $('cancel').disabled = false;
    }
  } catch (e) {
    if (e instanceof Unavailable) {
      showUnavailable(e);
    }
    if (e instanceof Unavailable || e instanceof Unauthorized) {
      $('cancel').disabled = false;
    }
  }
}

// ------------------------------------------------------------------ gallery of past jobs

const gallery = { page: 0, total: 0 };

async function loadGallery(page) {
  let response;
  try {
    response = await api('GET', '/generated-images?page=' + page + '&size=' + GALLERY_PAGE_SIZE);
  } catch (e) {
    if (e instanceof Unavailable) {
      showUnavailable(e);
    }
    return; // Unauthorized too: entering a key loads it again
  }
  if (!response.ok) {
    return;
  }
  const { items, total } = response.json;
  gallery.page = page;
  gallery.total = total;
  const list = $('gallery');
  list.replaceChildren(...items.map(galleryItem));
  $('gallery-empty').hidden = total > 0;
  const pages = Math.max(1, Math.ceil(total / GALLERY_PAGE_SIZE));
  $('gallery-page').textContent = 'Page ' + (page + 1) + ' of ' + pages;
  $('gallery-prev').disabled = page === 0;
  $('gallery-next').disabled = page + 1 >= pages;
}

function galleryItem(record) {
  const item = document.createElement('li');
  item.dataset.id = record.id;
  item.dataset.status = record.status;
  item.dataset.createdAt = record.created_at;
  const button = document.createElement('button');
  button.type = 'button';
  button.className = 'gallery-item';
  const badge = document.createElement('span');
  badge.className = 'badge badge-' + record.status;
  badge.textContent = statusText(record.status);
  const prompt = document.createElement('span');
  prompt.className = 'gallery-prompt';
  prompt.textContent = record.prompt;
  const meta = document.createElement('span');
  meta.className = 'hint';
  meta.textContent = new Date(record.created_at).toLocaleString() + ' · '
    + (record.width ? record.width + '×' + record.height + ' · ' : '') + record.num_steps + ' steps';
  button.append(badge, prompt, meta);
  button.setAttribute('aria-label', statusText(record.status) + ': ' + record.prompt);
  button.addEventListener('click', () => {
    follow(record.id);
    $('job').scrollIntoView({ block: 'start' });
  });
  item.append(button);
  return item;
}

// ------------------------------------------------------------------ start

function jobFromUrl() {
  const match = JOB_IN_URL.exec(location.hash);
  return match ? match[1] : sessionStorage.getItem(STORAGE_KEY);
}

/** "Use key" (or Enter in the field): what needed a key is loaded again with it. */
function useKey(event) {
  event.preventDefault();
  storeKey();
  clearAuthProblem();
  loadCapabilities();
  loadGallery(gallery.page);
  refollow();
}

function storeKey() {
  const key = $('api-key').value.trim();
  if (key) {
    sessionStorage.setItem(API_KEY_STORAGE, key);
  } else {
    sessionStorage.removeItem(API_KEY_STORAGE);
  }
}

function forgetKey() {
  $('api-key').value = '';
  sessionStorage.removeItem(API_KEY_STORAGE);
  stopFollowing(); // its stream was opened with the key's token
  $('api-key').focus();
  loadCapabilities(); // a gateway that needs a key says so now
  loadGallery(0);
}

document.addEventListener('DOMContentLoaded', () => {
  $('api-key').value = sessionStorage.getItem(API_KEY_STORAGE) || '';
  $('api-key').addEventListener('input', storeKey);
  $('key-form').addEventListener('submit', useKey);
  $('api-key-forget').addEventListener('click', forgetKey);
  $('job-form').addEventListener('submit', submitForm);
  $('seed-random').addEventListener('change', () => {
    $('seed').disabled = $('seed-random').checked;
    if (!$('seed').disabled) {
      $('seed').focus();
    }
  });
  $('cancel').addEventListener('click', cancelCurrent);
  $('gallery-prev').addEventListener('click', () => loadGallery(Math.max(0, gallery.page - 1)));
  $('gallery-next').addEventListener('click', () => loadGallery(gallery.page + 1));
  window.addEventListener('hashchange', () => {
    const id = jobFromUrl();
    if (id && (!current || current.id !== id)) {
      follow(id);
    }
  });
  loadCapabilities();
  loadGallery(0);
  const id = jobFromUrl();
  if (id) {
    follow(id);
  }
});
