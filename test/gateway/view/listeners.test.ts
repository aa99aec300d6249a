/**
 * Listeners of one key: each hears every update once, in order of addition, also when a
 * listener removes itself or another while it runs, or throws.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Listeners } from '../../../src/gateway/view/listeners.ts';
import { RecordingLogger } from '../../node/harness.ts';

describe('Listeners', () => {
  it('a listener that removes itself or another during a delivery neither skips nor repeats the rest', () => {
    const listeners = new Listeners<number>('test listeners', 10, new RecordingLogger());
    const heard: string[] = [];
    const removals: (() => void)[] = [];
    const add = (name: string, act?: (update: number) => void): void => {
      removals.push(listeners.add(7, (update) => {
        heard.push(`${name}:${update}`);
        act?.(update);
      }, 1));
    };
    add('a');
    add('self', () => removals[1]()); // removes itself
    add('c', (u) => {
      if (u === 1) removals[0](); // removes one already called
    });
    add('d', (u) => {
      if (u === 1) removals[4](); // removes one not yet called
    });
    add('e');
    add('throws', () => {
      throw new Error('broken');
    });
    add('g');
    listeners.deliver(7, 1, 1);
    assert.deepEqual(heard, ['a:1', 'self:1', 'c:1', 'd:1', 'throws:1', 'g:1']);
    assert.equal(listeners.count, 3);
    heard.length = 0;
    listeners.deliver(7, 2, 2);
    assert.deepEqual(heard, ['c:2', 'd:2', 'g:2']);
    removals[2]();
    removals[2]();
    assert.equal(listeners.count, 2, 'a removal counts once');
  });

  it('one added during a delivery hears nothing of that entry', () => {
    const listeners = new Listeners<number>('test listeners', 10, new RecordingLogger());
    const heard: string[] = [];
    listeners.add(7, (u) => {
      heard.push(`a:${u}`);
      if (u === 1) listeners.add(7, (v) => heard.push(`late:${v}`), 2);
    }, 1);
    listeners.deliver(7, 1, 1);
    listeners.deliver(7, 2, 2);
    assert.deepEqual(heard, ['a:1', 'a:2', 'late:2']);
  });
});
