// Smoke: one user for a short while; every call must succeed and the error contract
// (404 / 400 problem+json) must hold.
//   BASE_URL (http://127.0.0.1:8080), K6_VUS (1), K6_DURATION (30s), K6_SUMMARY_PATH
import { sleep } from 'k6';
import { baseUrl, env, envInt, handleSummaryFactory, thresholds } from '../lib/common.js';
import { contractChecks, journey, ready } from './pricing.js';

const BASE = baseUrl('http://127.0.0.1:8080');

export const options = {
  vus: envInt('K6_VUS', 1),
  duration: env('K6_DURATION', '30s'),
  thresholds,
};

export function setup() {
  ready(BASE);
  contractChecks(BASE);
}

export default function () {
  journey(BASE);
  sleep(0.2);
}

export const handleSummary = handleSummaryFactory('app-java smoke');
