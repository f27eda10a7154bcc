// app-java's pricing API as k6 requests with their checks (shared by smoke, load, stress).
import http from 'k6/http';
import { check } from 'k6';

const CATALOG_SIZE = 50; // SKU-001..SKU-050 ship in apps/app-java/src/main/resources/catalog.json
const JSON_HEADERS = { 'Content-Type': 'application/json' };
const PRICE = { name: 'GET /api/v1/prices/{sku}' };
const QUOTE = { name: 'POST /api/v1/quotes' };

export function randomSku() {
  const n = 1 + Math.floor(Math.random() * CATALOG_SIZE);
  return `SKU-${String(n).padStart(3, '0')}`;
}

function isProblem(r, status) {
  return (
    r.status === status && String(r.headers['Content-Type']).startsWith('application/problem+json')
  );
}

// GET /api/v1/prices/{sku}; returns the unit price in cents (or null)
export function getPrice(base, sku) {
  const res = http.get(`${base}/api/v1/prices/${sku}`, { tags: PRICE });
  const ok = check(res, {
    'price: status 200': (r) => r.status === 200,
    'price: same sku': (r) => r.status === 200 && r.json('sku') === sku,
    'price: positive USD amount': (r) =>
      r.status === 200 && r.json('unitPriceCents') > 0 && r.json('currency') === 'USD',
  });
  return ok ? res.json('unitPriceCents') : null;
}

// POST /api/v1/quotes with 1..3 random items; checks the arithmetic of the answer
export function postQuote(base) {
  const items = [];
  const count = 1 + Math.floor(Math.random() * 3);
  for (let i = 0; i < count; i += 1) {
    items.push({ sku: randomSku(), quantity: 1 + Math.floor(Math.random() * 10) });
  }
  const orderId = `k6-${__VU}-${__ITER}`;
  const res = http.post(`${base}/api/v1/quotes`, JSON.stringify({ orderId, items }), {
    headers: JSON_HEADERS,
    tags: QUOTE,
  });
  check(res, {
    'quote: status 200': (r) => r.status === 200,
    'quote: one line per item': (r) =>
      r.status === 200 && r.json('orderId') === orderId && r.json('lines').length === count,
    'quote: total is the sum of quantity x unit price': (r) => {
      if (r.status !== 200) {
        return false;
      }
      const lines = r.json('lines');
      let total = 0;
      for (const l of lines) {
        if (l.lineTotalCents !== l.quantity * l.unitPriceCents) {
          return false;
        }
        total += l.lineTotalCents;
      }
      return total === r.json('totalCents');
    },
  });
}

// One user step: look a price up, then quote an order.
export function journey(base) {
  getPrice(base, randomSku());
  postQuote(base);
}

// The error contract, once per run: 404 and 400 are the expected answers here, so they do not
// count as failed requests.
export function contractChecks(base) {
  const expected = { responseCallback: http.expectedStatuses(200, 400, 404) };
  const unknown = http.get(
    `${base}/api/v1/prices/SKU-999`,
    Object.assign({ tags: { name: 'GET /api/v1/prices/{sku} (unknown)' } }, expected),
  );
  check(unknown, {
    'unknown sku: 404 problem+json': (r) => isProblem(r, 404),
    'unknown sku: named': (r) => r.status === 404 && r.json('skus.0') === 'SKU-999',
  });
  const invalid = http.post(
    `${base}/api/v1/quotes`,
    JSON.stringify({ orderId: 'k6-invalid', items: [{ sku: 'SKU-001', quantity: 0 }] }),
    Object.assign({ headers: JSON_HEADERS, tags: { name: 'POST /api/v1/quotes (invalid)' } }, expected),
  );
  check(invalid, {
    'invalid quote: 400 problem+json': (r) => isProblem(r, 400),
    'invalid quote: field named': (r) =>
      r.status === 400 && r.json('errors.0.field') === 'items[0].quantity',
  });
}

export function ready(base) {
  const res = http.get(`${base}/actuator/health/readiness`, {
    tags: { name: 'GET /actuator/health/readiness' },
  });
  check(res, { 'setup: API ready': (r) => r.status === 200 });
}
