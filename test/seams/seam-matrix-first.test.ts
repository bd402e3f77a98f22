import { describeSeamMatrix } from './seamMatrixSuite.js';

// Faults on a message's first delivery: two more deliveries follow, and Connect still replays the token.
describeSeamMatrix('first delivery', { maxReceiveCount: 3 }, 'first');
