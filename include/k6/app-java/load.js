// Load: ramp to the expected number of users, hold, ramp down.
//   BASE_URL (http://127.0.0.1:8080), PEAK_VUS (10) and TOTAL_DURATION (2m) scale the stages;
//   K6_SUMMARY_PATH. K6_VUS + K6_DURATION (k6's own) replace the stages with constant VUs: a
//   short run. THINK_TIME_S (0.5) is the pause between two journeys of one user.
import { sleep } from 'k6';
import { baseUrl, env, handleSummaryFactory, scaledStages, thresholds } from '../lib/common.js';
import { journey } from './pricing.js';

const BASE = baseUrl('http://127.0.0.1:8080');
const THINK_TIME_S = Number(env('THINK_TIME_S', '0.5'));

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
  if (THINK_TIME_S > 0) {
    sleep(THINK_TIME_S);
  }
}

export const handleSummary = handleSummaryFactory('app-java load');
