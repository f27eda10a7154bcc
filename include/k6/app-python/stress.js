// Stress: step the users up past the expected load (to 3x) to find where latency and errors
// break the thresholds, then recover.
//   BASE_URL, PEAK_VUS (expected load, 10) and TOTAL_DURATION (5m) scale the stages;
//   K6_SUMMARY_PATH. K6_VUS + K6_DURATION (k6's own) replace the stages: a short run.
import { sleep } from 'k6';
import { baseUrl, handleSummaryFactory, scaledStages, thresholds } from '../lib/common.js';
import { journey } from './orders.js';

const BASE = baseUrl('http://127.0.0.1:8000');

export const options = {
  stages: scaledStages(
    [
      [0.1, 0.5],
      [0.15, 1],
      [0.15, 1.5],
      [0.15, 2],
      [0.15, 2.5],
      [0.15, 3],
      [0.15, 0],
    ],
    { duration: '5m', vus: 10 },
  ),
  thresholds,
};

export default function () {
  journey(BASE);
  sleep(0.2);
}

export const handleSummary = handleSummaryFactory('app-python stress');
