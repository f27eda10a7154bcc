// Load: ramp to the expected number of users, hold, ramp down.
//   BASE_URL, PEAK_VUS (10) and TOTAL_DURATION (2m) scale the stages; K6_SUMMARY_PATH.
//   K6_VUS + K6_DURATION (k6's own) replace the stages with constant VUs: a short run.
import { sleep } from 'k6';
import { baseUrl, handleSummaryFactory, scaledStages, thresholds } from '../lib/common.js';
import { journey } from './orders.js';

const BASE = baseUrl('http://127.0.0.1:8000');

export const options = {
  stages: scaledStages(
    [
      [0.2, 1],
      [0.6, 1],
      [0.2, 0],
    ],
    { duration: '2m', vus: 10 },
  ),
  thresholds,
};

export default function () {
  journey(BASE);
  sleep(0.5);
}

export const handleSummary = handleSummaryFactory('app-python load');
