// Smoke: one user for a short while; every call must succeed, and an order created at the
// start must be processed by the worker (status "stored") before the end.
//   BASE_URL (http://127.0.0.1:8000), K6_VUS (1), K6_DURATION (30s), K6_SUMMARY_PATH
import http from 'k6/http';
import { check, sleep } from 'k6';
import { baseUrl, env, envInt, handleSummaryFactory, thresholds } from '../lib/common.js';
import { createOrder, getOrder, idempotencyKey, journey, orderBody, replayOrder } from './orders.js';

const BASE = baseUrl('http://127.0.0.1:8000');
const STORED_TIMEOUT_S = 30;

export const options = {
  vus: envInt('K6_VUS', 1),
  duration: env('K6_DURATION', '30s'),
  thresholds,
};

export function setup() {
  const ready = http.get(`${BASE}/healthz/ready`, { tags: { name: 'GET /healthz/ready' } });
  check(ready, { 'setup: API ready': (r) => r.status === 200 });
  const key = idempotencyKey();
  const body = orderBody();
  const order = createOrder(BASE, key, body);
  if (order) {
    replayOrder(BASE, key, body, order.order_id);
  }
  return { orderId: order ? order.order_id : null };
}

export default function () {
  journey(BASE);
  sleep(0.2);
}

export function teardown(data) {
  let stored = false;
  if (data.orderId) {
    const deadline = Date.now() + STORED_TIMEOUT_S * 1000;
    while (Date.now() < deadline) {
      const order = getOrder(BASE, data.orderId);
      if (order && order.status === 'stored') {
        stored = true;
        break;
      }
      sleep(0.25);
    }
  }
  check(stored, { 'teardown: first order stored by the worker': (s) => s === true });
}

export const handleSummary = handleSummaryFactory('app-python smoke');
