import { describe, expect, it } from 'vitest';
import { InputLedger } from '../../../relay/audit/input-ledger.js';

// The relay marks an input applied when it queues it for one of its own tiles; its simulation,
// running behind the timeline, may hand the tile over before it steps that tick. It then
// withdraws the mark and passes the input on: the next holder's application is the only one.
describe('InputLedger.unapply', () => {
  const input = { entity: 1000002, seq: 136, data: { moveX: 1 } };

  it('withdraws the relay\'s mark: the next holder applies the input once, on time from when it was passed on', () => {
    const ledger = new InputLedger();
    ledger.add(4094, [input], 4095);
    expect(ledger.apply(input, 'relay', 4096)).toBe('applied');
    ledger.unapply(input, 4180);
    expect(ledger.appliedAt(input.entity, input.seq)).toBeUndefined();
    expect(ledger.stampOf(input)).toEqual({ tick: 4094, receivedTick: 4180 });
    expect(ledger.apply(input, '0,0,1', 4185, '3@8')).toBe('applied');
    // A second application is still a repeat.
    expect(ledger.apply(input, '0,0,1', 4186, '3@8')).toBe('repeated');
  });

  it('leaves an owner\'s application alone (only the relay\'s own mark is withdrawn)', () => {
    const ledger = new InputLedger();
    ledger.add(10, [input], 11);
    expect(ledger.apply(input, '0,0,1', 12, '3@8')).toBe('applied');
    ledger.unapply(input, 50);
    expect(ledger.appliedAt(input.entity, input.seq)).toEqual({ tile: '0,0,1', tick: 12, lease: '3@8' });
    expect(ledger.stampOf(input)).toEqual({ tick: 10, receivedTick: 11 });
  });
});

// The relay's fallback copy of an input goes out 45 ticks after it arrived; a relay that stalled
// sends it later, and the owner's time to apply it runs from then (fault simulator, demo world 769).
describe('InputLedger.deferReceipt', () => {
  const input = { entity: 1000002, seq: 1, data: { moveX: 1 } };

  it('moves an unapplied input\'s receipt later, never earlier', () => {
    const ledger = new InputLedger();
    ledger.add(99, [input], 101);
    ledger.deferReceipt(input, 222);
    expect(ledger.stampOf(input)).toEqual({ tick: 99, receivedTick: 222 });
    ledger.deferReceipt(input, 150);
    expect(ledger.stampOf(input)).toEqual({ tick: 99, receivedTick: 222 });
  });

  it('leaves an applied input alone', () => {
    const ledger = new InputLedger();
    ledger.add(99, [input], 101);
    expect(ledger.apply(input, '0,0,0', 105, '1@2')).toBe('applied');
    ledger.deferReceipt(input, 222);
    expect(ledger.stampOf(input)).toEqual({ tick: 99, receivedTick: 101 });
  });
});
