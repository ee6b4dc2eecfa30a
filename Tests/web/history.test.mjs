import { test } from 'node:test';
import assert from 'node:assert/strict';
import { History } from '../../web/js/model/history.js';

const counter = () => {
  const state = { value: 0 };
  const add = (n) => ({ label: `add ${n}`, apply: () => (state.value += n), revert: () => (state.value -= n) });
  return { state, add };
};

test('undo and redo walk one stack; a new command drops the redo branch', () => {
  const h = new History();
  const { state, add } = counter();
  h.execute(add(1));
  h.execute(add(10));
  assert.equal(state.value, 11);
  assert.equal(h.undo().label, 'add 10');
  assert.equal(state.value, 1);
  h.redo();
  assert.equal(state.value, 11);
  h.undo();
  h.execute(add(100));
  assert.equal(h.canRedo, false);
  assert.equal(h.redo(), null);
  assert.equal(state.value, 101);
});

test('a transaction is one step', () => {
  const h = new History();
  const { state, add } = counter();
  h.transaction('three', () => {
    h.execute(add(1));
    h.execute(add(2));
    h.transaction('inner', () => h.execute(add(3)));
  });
  assert.equal(state.value, 6);
  assert.equal(h.done.length, 1);
  assert.equal(h.undoLabel, 'three');
  h.undo();
  assert.equal(state.value, 0);
  h.redo();
  assert.equal(state.value, 6);
});

test('a transaction that throws is rolled back and leaves no step', () => {
  const h = new History();
  const { state, add } = counter();
  assert.throws(() =>
    h.transaction('fails', () => {
      h.execute(add(5));
      throw new Error('boom');
    }),
  );
  assert.equal(state.value, 0);
  assert.equal(h.canUndo, false);
});

test('the stack keeps at most `limit` steps', () => {
  const h = new History({ limit: 3 });
  const { state, add } = counter();
  for (let i = 1; i <= 5; i++) h.execute(add(i));
  let undone = 0;
  while (h.undo()) undone++;
  assert.equal(undone, 3);
  assert.equal(state.value, 1 + 2);
});

test('an empty transaction records nothing', () => {
  const h = new History();
  h.transaction('nothing', () => {});
  assert.equal(h.canUndo, false);
});
