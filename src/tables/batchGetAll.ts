/** One `BatchGetItem` round: the items it returned and the keys DynamoDB left unprocessed. */
export interface BatchRound<Key, Item> {
  readonly items: readonly Item[];
  readonly unprocessed: readonly Key[];
}

/** Rounds of `BatchGetItem` for the keys DynamoDB leaves unprocessed, before the read fails. */
const BATCH_ROUNDS = 4;

/**
 * Reads every key with `BatchGetItem` rounds. DynamoDB may answer a batch read with some keys unprocessed
 * (throttling, the answer's size) and no error; a key left unread would pass for a record that does not
 * exist, so the unprocessed keys are asked again after a short pause, and the read fails rather than answer
 * without them.
 *
 * @param read - one round over these keys (a consistent `BatchGetItem`, whichever client makes it).
 * @param what - what the keys are, for the error.
 * @example
 * const items = await batchGetAll((keys) => readRound(keys), [{ pk: 'request#t' }], 'the token’s records');
 */
export async function batchGetAll<Key, Item>(
  read: (keys: Key[]) => Promise<BatchRound<Key, Item>>,
  keys: readonly Key[],
  what: string,
): Promise<Item[]> {
  const items: Item[] = [];
  let pending = [...keys];
  for (let round = 0; pending.length > 0; round += 1) {
    if (round >= BATCH_ROUNDS) throw new Error(`DynamoDB left ${pending.length} of ${what} unread`);
    if (round > 0) await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** round));
    const answer = await read(pending);
    items.push(...answer.items);
    pending = [...answer.unprocessed];
  }
  return items;
}
