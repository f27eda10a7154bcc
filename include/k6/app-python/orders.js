// app-python's orders API as k6 requests with their checks (shared by smoke, load, stress).
import http from 'k6/http';
import { check } from 'k6';

const SKUS = ['SKU-001', 'SKU-002', 'SKU-003', 'SKU-004', 'SKU-005'];
const JSON_HEADERS = { 'Content-Type': 'application/json' };

// __VU is 0 and __ITER undefined in setup() and teardown()
function vu() {
  return typeof __VU === 'undefined' ? 0 : __VU;
}

function iteration() {
  return typeof __ITER === 'undefined' ? 0 : __ITER;
}

export function idempotencyKey() {
  return `k6-${vu()}-${iteration()}-${Date.now()}-${Math.random().toString(36).slice(2, 10)}`;
}

export function orderBody() {
  const items = [];
  const count = 1 + Math.floor(Math.random() * 3);
  for (let i = 0; i < count; i += 1) {
    items.push({ sku: SKUS[(i + iteration()) % SKUS.length], quantity: 1 + Math.floor(Math.random() * 5) });
  }
  return JSON.stringify({ customer_id: `k6-customer-${vu()}`, items });
}

// POST /orders; returns the order (or null)
export function createOrder(base, key, body) {
  const res = http.post(`${base}/orders`, body, {
    headers: Object.assign({ 'Idempotency-Key': key }, JSON_HEADERS),
    tags: { name: 'POST /orders' },
  });
  const ok = check(res, {
    'create: status 202': (r) => r.status === 202,
    'create: has order_id': (r) => r.status === 202 && typeof r.json('order_id') === 'string',
  });
  return ok ? res.json() : null;
}

// Same key and body again: the same order, marked as a replay.
export function replayOrder(base, key, body, orderId) {
  const res = http.post(`${base}/orders`, body, {
    headers: Object.assign({ 'Idempotency-Key': key }, JSON_HEADERS),
    tags: { name: 'POST /orders (replay)' },
  });
  check(res, {
    'replay: status 202': (r) => r.status === 202,
    'replay: same order': (r) => r.status === 202 && r.json('order_id') === orderId,
    'replay: marked as replay': (r) => r.headers['Idempotent-Replayed'] === 'true',
  });
}

export function getOrder(base, orderId) {
  const res = http.get(`${base}/orders/${orderId}`, { tags: { name: 'GET /orders/{id}' } });
  check(res, {
    'get: status 200': (r) => r.status === 200,
    'get: same order': (r) => r.status === 200 && r.json('order_id') === orderId,
  });
  return res.status === 200 ? res.json() : null;
}

export function listOrders(base, limit) {
  const res = http.get(`${base}/orders?limit=${limit}`, { tags: { name: 'GET /orders' } });
  check(res, {
    'list: status 200': (r) => r.status === 200,
    'list: has orders': (r) => r.status === 200 && r.json('count') >= 1,
  });
}

// One user journey: create, read back, list.
export function journey(base) {
  const order = createOrder(base, idempotencyKey(), orderBody());
  if (order) {
    getOrder(base, order.order_id);
  }
  listOrders(base, 10);
  return order;
}
