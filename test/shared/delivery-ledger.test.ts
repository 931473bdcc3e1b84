import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dedupeKey, DeliveryLedger } from '../../shared/delivery-ledger';
import { startLocalDynamo, type LocalDynamo } from '../support/dynalite';

let dynamo: LocalDynamo;
beforeAll(async () => {
  dynamo = await startLocalDynamo();
});
afterAll(() => dynamo.close());

const clock = { now: Date.UTC(2026, 10, 24) };
const ledger = () => new DeliveryLedger({ client: dynamo.documentClient, tableName: dynamo.tableName, leaseMs: 10_000, ttlSeconds: 3600, now: () => clock.now });
let n = 0;
const keys = () => [dedupeKey('event', `Ev${(n += 1)}`), dedupeKey('message', 'C1', `${n}.0001`)];

describe('DeliveryLedger', () => {
  it('answers duplicate once a delivery is settled, on either key', async () => {
    const deliveries = ledger();
    const [eventKey, messageKey] = keys() as [string, string];
    const claim = await deliveries.claim([eventKey, messageKey]);
    if (claim.status !== 'claimed') throw new Error('expected a claim');
    await deliveries.settle([eventKey, messageKey], claim.token, 'delivered');

    expect(await deliveries.claim([eventKey, messageKey])).toEqual({ status: 'duplicate' });
    // The same message re-sent under a new event id.
    expect(await deliveries.claim([dedupeKey('event', 'EvNEW'), messageKey])).toEqual({ status: 'duplicate' });
    // ...and the new event id's partial claim was released, not left pending.
    const fresh = await deliveries.claim([dedupeKey('event', 'EvNEW')]);
    expect(fresh.status).toBe('claimed');
  });

  it('answers in_flight while another attempt holds the claim, and frees it on release', async () => {
    const deliveries = ledger();
    const guarded = keys();
    const first = await deliveries.claim(guarded);
    if (first.status !== 'claimed') throw new Error('expected a claim');
    expect(await deliveries.claim(guarded)).toEqual({ status: 'in_flight' });
    await deliveries.release(guarded, first.token);
    expect((await deliveries.claim(guarded)).status).toBe('claimed');
  });

  it('takes over a claim whose holder died once the lease has passed, and the dead holder cannot release it', async () => {
    const deliveries = ledger();
    const guarded = keys();
    const dead = await deliveries.claim(guarded);
    if (dead.status !== 'claimed') throw new Error('expected a claim');
    clock.now += 10_001;
    const second = await deliveries.claim(guarded);
    expect(second.status).toBe('claimed');
    await deliveries.release(guarded, dead.token);
    expect(await deliveries.claim(guarded)).toEqual({ status: 'in_flight' });
  });

  it('grants exactly one of many concurrent claims', async () => {
    const deliveries = ledger();
    const guarded = keys();
    const results = await Promise.all(Array.from({ length: 10 }, () => deliveries.claim(guarded)));
    expect(results.filter((result) => result.status === 'claimed')).toHaveLength(1);
  });

  it('forgets a settled delivery after its TTL', async () => {
    const deliveries = ledger();
    const guarded = keys();
    const claim = await deliveries.claim(guarded);
    if (claim.status !== 'claimed') throw new Error('expected a claim');
    await deliveries.settle(guarded, claim.token, 'delivered');
    clock.now += 3600 * 1000 + 1000;
    expect((await deliveries.claim(guarded)).status).toBe('claimed');
  });
});
