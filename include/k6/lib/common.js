// Shared helpers for the lab's k6 scenarios (app-python, app-java).
// No remote imports: the scenarios run where there is no internet.
//
// API (keep it small; documented in include/k6/README.md):
//   thresholds                      the lab's SLO-aligned pass/fail thresholds (P95_THRESHOLD_MS)
//   env(name, fallback)             string from the environment (__ENV)
//   envInt(name, fallback)          positive integer from the environment
//   baseUrl(fallback)               BASE_URL without a trailing slash
//   parseDuration("1m30s")          seconds
//   scaledStages(shape, opts)       stages scaled to TOTAL_DURATION and PEAK_VUS
//   handleSummaryFactory(name)      handleSummary writing K6_SUMMARY_PATH + one stdout line
//   summaryLine(name, data)         the stdout line alone

// p95 < 300 ms, < 1 % failed requests, > 99 % passed checks. P95_THRESHOLD_MS overrides the
// latency bound (a functional run on a busy machine); the SLO value is the default.
export const thresholds = {
  http_req_duration: [`p(95)<${Number(__ENV.P95_THRESHOLD_MS || 300)}`],
  http_req_failed: ['rate<0.01'],
  checks: ['rate>0.99'],
};

export function env(name, fallback) {
  const value = __ENV[name];
  return value === undefined || value === '' ? fallback : value;
}

export function envInt(name, fallback) {
  const raw = env(name, undefined);
  if (raw === undefined) {
    return fallback;
  }
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) {
    throw new Error(`${name} must be a positive integer, got "${raw}"`);
  }
  return value;
}

export function baseUrl(fallback) {
  return env('BASE_URL', fallback).replace(/\/+$/, '');
}

// "90", "90s", "2m", "1m30s", "1h" -> seconds
export function parseDuration(text) {
  const value = String(text).trim();
  if (/^\d+$/.test(value)) {
    return Number(value);
  }
  const match = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(value);
  if (!match || value === '') {
    throw new Error(`invalid duration "${text}" (use e.g. 30s, 2m, 1m30s)`);
  }
  const [, h, m, s] = match;
  return Number(h || 0) * 3600 + Number(m || 0) * 60 + Number(s || 0);
}

// shape: [[fractionOfDuration, fractionOfPeakVus], ...] (fractions of time should sum to 1)
// opts: {duration: default total, vus: default peak VUs}; TOTAL_DURATION and PEAK_VUS scale
// the whole shape. (K6_DURATION / K6_VUS are k6's own variables: when set, k6 replaces any
// stages with K6_VUS constant VUs for K6_DURATION, which is how tests run a scenario short.)
export function scaledStages(shape, opts) {
  const total = parseDuration(env('TOTAL_DURATION', opts.duration));
  const peak = envInt('PEAK_VUS', opts.vus);
  return shape.map(([timeShare, vuShare]) => ({
    duration: `${Math.max(1, Math.round(total * timeShare))}s`,
    target: Math.max(0, Math.round(peak * vuShare)),
  }));
}

function metric(data, name, stat) {
  const m = data.metrics[name];
  return m && m.values && m.values[stat] !== undefined ? m.values[stat] : NaN;
}

function thresholdsPassed(data) {
  let ok = true;
  for (const name of Object.keys(data.metrics)) {
    const t = data.metrics[name].thresholds;
    if (t) {
      for (const expr of Object.keys(t)) {
        if (!t[expr].ok) {
          ok = false;
        }
      }
    }
  }
  return ok;
}

export function summaryLine(name, data) {
  const reqs = metric(data, 'http_reqs', 'count');
  const rate = metric(data, 'http_reqs', 'rate');
  const p95 = metric(data, 'http_req_duration', 'p(95)');
  const failed = metric(data, 'http_req_failed', 'rate') * 100;
  const checks = metric(data, 'checks', 'rate') * 100;
  return (
    `k6 ${name}: ${reqs} requests, ${rate.toFixed(1)} req/s, p95 ${p95.toFixed(1)} ms, ` +
    `failed ${failed.toFixed(2)} %, checks ${checks.toFixed(2)} %, ` +
    `thresholds ${thresholdsPassed(data) ? 'passed' : 'FAILED'}\n`
  );
}

// export const handleSummary = handleSummaryFactory('app-python smoke');
export function handleSummaryFactory(name) {
  return function handleSummary(data) {
    const path = env('K6_SUMMARY_PATH', 'summary.json');
    return {
      [path]: JSON.stringify(data, null, 2),
      stdout: summaryLine(name, data),
    };
  };
}
