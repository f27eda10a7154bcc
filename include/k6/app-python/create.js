// Create-only throughput: K6_VUS users POST orders back to back for K6_DURATION.
// Used by app-python's bench (OpenTelemetry on vs off); thresholds are reported, not enforced
// by the bench.   BASE_URL, K6_VUS (10), K6_DURATION (15s), K6_SUMMARY_PATH
import { baseUrl, env, envInt, handleSummaryFactory, thresholds } from '../lib/common.js';
import { createOrder, idempotencyKey, orderBody } from './orders.js';

const BASE = baseUrl('http://127.0.0.1:8000');

export const options = {
  vus: envInt('K6_VUS', 10),
  duration: env('K6_DURATION', '15s'),
  thresholds,
};

export default function () {
  createOrder(BASE, idempotencyKey(), orderBody());
}

export const handleSummary = handleSummaryFactory('app-python create');
