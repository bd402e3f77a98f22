import type { SimulatorSeed } from '../connect-simulator/ConnectSimulator.js';

/** The sample instance the local mode seeds: an id shaped like a real one. */
export const SAMPLE_INSTANCE_ID = '11111111-2222-4333-8444-555555555555';

/**
 * A small contact center for the local mode: transfer flows, queues, an agent, and active TASK contacts
 * `task-1` … `task-<taskCount>`, plus contacts that break each rule (an email, a voice call, a chat, an
 * ended task).
 *
 * @example
 * simulator.seed(sampleContactCenter(20));
 */
export function sampleContactCenter(taskCount = 20): SimulatorSeed {
  return {
    instances: [
      {
        id: SAMPLE_INSTANCE_ID,
        flows: [
          { id: 'flow-transfer-to-queue', type: 'QUEUE_TRANSFER' },
          { id: 'flow-transfer-to-agent', type: 'AGENT_TRANSFER' },
          { id: 'flow-inbound', type: 'CONTACT_FLOW' },
          { id: 'flow-agent-whisper', type: 'AGENT_WHISPER' },
        ],
        queues: ['support', 'escalations', 'billing'],
        users: ['agent-ana', 'agent-bo'],
        contacts: [
          ...Array.from({ length: taskCount }, (_, i) => ({ id: `task-${i + 1}` })),
          { id: 'email-1', channel: 'EMAIL' as const },
          { id: 'voice-1', channel: 'VOICE' as const },
          { id: 'chat-1', channel: 'CHAT' as const },
          { id: 'task-ended', state: 'ENDED' as const },
        ],
      },
    ],
  };
}
