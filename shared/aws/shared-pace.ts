import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { keptAfter, keptSlot, nextSlot, slotAnswer, type SharedPace } from '../platform/pace';
import { conditionally, dynamo, epochSeconds } from './dynamo';

/**
 * The shared pace in the bridge's table: an item per key (`pace#<key>`) with
 * when its last slot's interval ends (`due`) and a hold (`heldUntil`). A slot
 * is taken with a conditional write on what was read, so that two containers
 * never take the same one; the loser reads again. Gone an hour after its last use.
 */
export function dynamoSharedPace(client: DynamoDBDocumentClient, tableName: string): SharedPace {
  const keyOf = (key: string) => ({ pk: `pace#${key}` });
  const read = async (key: string) => {
    const { Item } = await dynamo('read a pace', () => client.send(new GetCommand({ TableName: tableName, Key: keyOf(key), ConsistentRead: true })));
    return {
      due: (Item?.due as number | undefined) ?? 0,
      heldUntil: (Item?.heldUntil as number | undefined) ?? 0,
      writtenAt: (Item?.writtenAt as number | undefined) ?? 0,
      kept: Item?.kept as Record<string, number> | undefined,
      exists: Item !== undefined,
    };
  };
  return {
    take: async (key, rule, now, latest, holder) => {
      // Each loss means another container took a slot, and the next read sees it; a short random wait spreads the retries.
      for (let tries = 0; tries < 20; tries += 1) {
        if (tries > 0) await new Promise((resolve) => setTimeout(resolve, Math.random() * 10));
        const state = await read(key);
        const kept = keptSlot(state, rule, now, latest, holder);
        if (kept && !kept.taken) return kept;
        if (kept) {
          // Used once: removed on the condition that it is still there.
          const used = await conditionally('take a kept pace slot', () =>
            client.send(
              new UpdateCommand({
                TableName: tableName,
                Key: keyOf(key),
                UpdateExpression: 'REMOVE kept.#holder',
                ConditionExpression: 'kept.#holder = :at',
                ExpressionAttributeNames: { '#holder': holder! },
                ExpressionAttributeValues: { ':at': state.kept![holder!] },
              }),
            ),
          );
          if (used) return kept;
          continue;
        }
        const slot = nextSlot(state, rule, now);
        if (slot.at > latest && holder === undefined) return slotAnswer(slot, latest);
        // The kept slots are written whole with the turn, under the same condition: another container's turn fails it.
        // A kept slot used meanwhile (which moves no turn) may come back by it: nobody asks for it again, and it is forgotten.
        const taken = await conditionally('take a pace slot', () =>
          client.send(
            new UpdateCommand({
              TableName: tableName,
              Key: keyOf(key),
              UpdateExpression: 'SET due = :due, writtenAt = :now, expiresAt = :expiresAt, kept = :kept',
              ConditionExpression: state.exists ? 'due = :seenDue AND (attribute_not_exists(heldUntil) OR heldUntil = :seenHeld)' : 'attribute_not_exists(pk)',
              ExpressionAttributeValues: {
                ':due': slot.due,
                ':now': now,
                ':expiresAt': epochSeconds(Math.max(slot.due, now)) + 3600,
                ':kept': keptAfter(state, now, holder, slot.at > latest ? slot.at : undefined),
                ...(state.exists ? { ':seenDue': state.due, ':seenHeld': state.heldUntil } : {}),
              },
            }),
          ),
        );
        if (taken) return slotAnswer(slot, latest);
      }
      // Contended past reason: no slot now; the caller tries again a little later.
      return { taken: false, notBefore: now + rule.intervalMs };
    },
    holdUntil: async (key, until) => {
      await conditionally('hold a pace', () =>
        client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: keyOf(key),
            UpdateExpression: 'SET heldUntil = :until, due = if_not_exists(due, :zero), writtenAt = :now, expiresAt = :expiresAt',
            ConditionExpression: 'attribute_not_exists(heldUntil) OR heldUntil < :until OR writtenAt > :now',
            ExpressionAttributeValues: { ':until': until, ':zero': 0, ':now': Date.now(), ':expiresAt': epochSeconds(until) + 3600 },
          }),
        ),
      );
    },
  };
}
