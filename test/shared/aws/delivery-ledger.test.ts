import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeliveryLedger } from '../../../shared/aws/delivery-ledger';
import { dedupeKey } from '../../../shared/domain/ports';
import { startLocalDynamo, type LocalDynamo } from '../../support/dynalite';

let dynamo: LocalDynamo;
beforeAll(async () => {
  dynamo = await startLocalDynamo();
});
afterAll(() => dynamo.close());

const clock = { now: Date.UTC(2026, 10, 24) };
const ledger = () => new DeliveryLedger({ client: dynamo.documentClient, tableName: dynamo.tableName, leaseMs: 10_000, ttlSeconds: 3600, now: () => clock.now });
let n = 0;
const key = () => dedupeKey('slack-message', 'C1', `${(n += 1)}.0001`);

/** A claim that must succeed. */
async function claimed(deliveries: DeliveryLedger, guarded: string) {
  const claim = await deliveries.claim(guarded);
  if (claim.status !== 'claimed') throw new Error(`expected a claim, got ${claim.status}`);
  return claim;
}

describe('DeliveryLedger', () => {
  it('answers duplicate once a delivery is settled', async () => {
    const deliveries = ledger();
    const guarded = key();
    await deliveries.settle(guarded, (await claimed(deliveries, guarded)).token, 'delivered');
    expect(await deliveries.claim(guarded)).toEqual({ status: 'duplicate' });
  });

  it('answers in_flight while another attempt holds the claim, and lets the next attempt claim after a release', async () => {
    const deliveries = ledger();
    const guarded = key();
    const first = await claimed(deliveries, guarded);
    expect(await deliveries.claim(guarded)).toEqual({ status: 'in_flight' });
    await deliveries.release(guarded, first.token);
    expect((await deliveries.claim(guarded)).status).toBe('claimed');
  });

  it('hands a released attempt’s notice to the next claim, and keeps it through further releases', async () => {
    const deliveries = ledger();
    const guarded = key();
    const first = await claimed(deliveries, guarded);
    expect(first.noticeTs).toBeUndefined();
    await deliveries.release(guarded, first.token, { noticeTs: '1717549999.000001' });
    const second = await claimed(deliveries, guarded);
    expect(second.noticeTs).toBe('1717549999.000001');
    await deliveries.release(guarded, second.token);
    expect((await claimed(deliveries, guarded)).noticeTs).toBe('1717549999.000001');
  });

  it('takes over a claim whose holder died once the lease has passed, and the dead holder can neither release nor settle it', async () => {
    const deliveries = ledger();
    const guarded = key();
    const dead = await claimed(deliveries, guarded);
    clock.now += 10_001;
    await claimed(deliveries, guarded);
    await deliveries.release(guarded, dead.token);
    await deliveries.settle(guarded, dead.token, 'delivered');
    expect(await deliveries.claim(guarded)).toEqual({ status: 'in_flight' });
  });

  it('ends every live lease when told its holders died (npm start after a kill): the next claim takes over at once, as from a dead attempt; settled and released records are left alone', async () => {
    const deliveries = ledger();
    const [held, settled, released] = [key(), key(), key()];
    await claimed(deliveries, held);
    await deliveries.settle(settled, (await claimed(deliveries, settled)).token, 'delivered');
    await deliveries.release(released, (await claimed(deliveries, released)).token, { noticeTs: '1.2' });
    expect(await deliveries.claim(held)).toEqual({ status: 'in_flight' });
    // Other tests' claims share the table: at least this one ended, and nothing but pending ones.
    expect(await deliveries.endLeasesOfTheDead()).toBeGreaterThanOrEqual(1);
    expect(await deliveries.claim(held)).toMatchObject({ status: 'claimed', takenOver: true });
    expect(await deliveries.claim(settled)).toEqual({ status: 'duplicate' });
    expect(await deliveries.stateOf(released)).toBe('released');
  });

  it('counts the attempts at a queue message that began and never ended: a stopped function, not a retry', async () => {
    const deliveries = ledger();
    const id = `message-${(n += 1)}`;
    expect(await deliveries.beginAttempt(id, 2)).toBe(0);
    await deliveries.endAttempt(id, 2);
    expect(await deliveries.beginAttempt(id, 3)).toBe(0);
    // Attempt 3 never ended: the function stopped.
    expect(await deliveries.beginAttempt(id, 4)).toBe(1);
    expect(await deliveries.beginAttempt(id, 5)).toBe(2);
    // Another message's attempts are its own.
    expect(await deliveries.beginAttempt(`${id}-other`, 2)).toBe(0);
  });

  it('grants exactly one of many concurrent claims', async () => {
    const deliveries = ledger();
    const guarded = key();
    const results = await Promise.all(Array.from({ length: 10 }, () => deliveries.claim(guarded)));
    expect(results.filter((result) => result.status === 'claimed')).toHaveLength(1);
    expect(results.filter((result) => result.status === 'in_flight')).toHaveLength(9);
  });

  it('forgets a settled delivery after its TTL', async () => {
    const deliveries = ledger();
    const guarded = key();
    await deliveries.settle(guarded, (await claimed(deliveries, guarded)).token, 'delivered');
    clock.now += 3600 * 1000 + 1000;
    expect((await deliveries.claim(guarded)).status).toBe('claimed');
  });

  it('builds keys no two different deliveries share, whatever their parts hold', () => {
    expect(dedupeKey('botpress-message', 'c#x', 'm1')).not.toBe(dedupeKey('botpress-message', 'c', 'x#m1'));
    expect(dedupeKey('a', 'b:c')).not.toBe(dedupeKey('a:b', 'c'));
    expect(dedupeKey('a', '"b","c"')).not.toBe(dedupeKey('a', 'b', 'c'));
  });
});
