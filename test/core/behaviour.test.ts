import { describe, expect, it } from 'vitest';
import { BehaviourRegistry, defineKind, resolveProps, standardKinds, TesseraError } from '../../src/index.js';

describe('BehaviourRegistry', () => {
  it('refuses bad and duplicate kinds with clear errors', () => {
    const reg = new BehaviourRegistry().define(defineKind({ name: 'door', props: { locked: { type: 'boolean', default: true, critical: true } } }));
    expect(() => reg.define(defineKind({ name: 'door' }))).toThrow(/already defined/);
    expect(() => reg.define(defineKind({ name: '1bad' }))).toThrow(/must match/);
    expect(() => reg.define(defineKind({ name: 'x', props: { n: { type: 'number', default: 'no' } } }))).toThrow(/expects number/);
    expect(() => reg.get('nope')).toThrow(TesseraError);
    expect(reg.has('door')).toBe(true);
  });

  it('fills defaults and type-checks props', () => {
    const kinds = standardKinds();
    const avatar = kinds.get('avatar');
    // (rideOn and its spot: where the avatar stands on a moving platform, issue 13's riding.)
    expect(resolveProps(avatar, { name: 'bob' })).toEqual({ jump: false, moveX: 0, moveZ: 0, name: 'bob', rideOn: 0, rideX: 0, rideY: 0, rideZ: 0, speed: 5 });
    expect(() => resolveProps(avatar, { nmae: 'typo' })).toThrow(/has no prop "nmae"/);
    expect(() => resolveProps(avatar, { speed: Number.NaN })).toThrow(/expects number/);
    expect(avatar.propKeys).toEqual(['jump', 'moveX', 'moveZ', 'name', 'rideOn', 'rideX', 'rideY', 'rideZ', 'speed']);
  });
});
