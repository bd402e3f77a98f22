import { describeSeamMatrix } from './seamMatrixSuite.js';

// Faults on a message's last delivery (every delivery is the last), with Connect's memory of a token
// distrusted at once: an earlier ambiguous attempt is reconciled through DescribeContact.
describeSeamMatrix(
  'last delivery',
  { maxReceiveCount: 1, env: { TOKEN_REPLAY_WINDOW_SECONDS: '0' } },
  'last',
);
