/**
 * The front end's side of the grid protocol against a fake comm that answers as the
 * kernel's protocol says: a page request supersedes the earlier ones, refusals reach the
 * grid, the data model asks one page for the rows painted and holds a bounded cache.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { checkFilter } from '../src/filters';
import { BLOCK, MAX_BLOCKS, PageCache } from '../src/pages';
import { Cell, GridConnection, ICommLike, IView } from '../src/protocol';

/** A comm whose kernel is the test: it records what is sent and answers on demand. */
class FakeComm implements ICommLike {
  sent: Record<string, unknown>[] = [];
  opened: Record<string, unknown> | null = null;
  closed = false;
  onMsg: (msg: { content: { data: unknown } }) => void = () => undefined;
  onClose: (msg: unknown) => void = () => undefined;
  open(data: Record<string, unknown>): void {
    this.opened = data;
  }
  send(data: Record<string, unknown>): void {
    this.sent.push(data);
  }
  close(): void {
    this.closed = true;
  }
  answer(data: unknown): void {
    this.onMsg({ content: { data } });
  }
}

const COLUMNS = [
  { name: 'id', type: 'bigint', kind: 'number' as const },
  { name: 'name with space', type: 'string', kind: 'text' as const }
];
const VIEW: IView = { sort: [], filters: [], search: '' };

function rows(offset: number, limit: number): Cell[][] {
  return Array.from({ length: limit }, (_, i) => [String(offset + i), null]);
}

const tick = (): Promise<void> => new Promise(r => setTimeout(r, 5));

test('opening names the result and reads the columns', async () => {
  const comm = new FakeComm();
  const c = new GridConnection(comm, 'k:1');
  assert.deepEqual(comm.opened, { result: 'k:1' });
  comm.answer({ type: 'ready', result: 'k:1', columns: COLUMNS, pinned: true });
  assert.deepEqual(await c.opened, {
    live: true,
    columns: COLUMNS,
    pinned: true
  });
});

test('a result of an earlier session is gone, with the kernel’s words', async () => {
  const comm = new FakeComm();
  const c = new GridConnection(comm, 'old:1');
  comm.answer({
    type: 'gone',
    reason: 'earlier-session',
    message: 'run it again'
  });
  const opening = await c.opened;
  assert.equal(opening.live, false);
  assert.equal(!opening.live && opening.message, 'run it again');
});

test('a new page supersedes the one in flight; its late answer is ignored', async () => {
  const comm = new FakeComm();
  const c = new GridConnection(comm, 'k:1');
  const first = c.page(VIEW, 0, 100);
  const second = c.page(VIEW, 5000, 100);
  await assert.rejects(first, (e: { cancelled: boolean }) => e.cancelled);
  const [a, b] = comm.sent as { id: number; offset: number }[];
  assert.ok(b.id > a.id);
  assert.equal(b.offset, 5000);
  comm.answer({ type: 'cancelled', id: a.id });
  comm.answer({ type: 'page', id: b.id, offset: 5000, rows: rows(5000, 2) });
  assert.deepEqual(await second, rows(5000, 2));
});

test('a count runs beside a page; an error reaches the caller', async () => {
  const comm = new FakeComm();
  const c = new GridConnection(comm, 'k:1');
  const page = c.page(VIEW, 0, 10);
  const count = c.count(VIEW);
  const [p, n] = comm.sent as { id: number }[];
  comm.answer({ type: 'count', id: n.id, total: 1283504112 });
  comm.answer({ type: 'error', id: p.id, message: 'no column x' });
  assert.equal(await count, 1283504112);
  await assert.rejects(page, /no column x/);
});

test('the model asks one page for the rows painted and keeps a bounded cache', async () => {
  const asked: [number, number][] = [];
  const source = {
    page: async (_: IView, offset: number, limit: number) => {
      asked.push([offset, limit]);
      return rows(offset, limit);
    },
    count: async () => 10_000_000
  };
  const changes: string[] = [];
  const model = new PageCache(source, 1000, c => changes.push(c.type));
  model.start();
  await tick();
  assert.equal(model.rows, 10_000_000);
  // A paint of rows 5,000,010..5,000,049 misses one block: one request for it.
  for (let r = 5_000_010; r < 5_000_050; r++) {
    assert.equal(model.cell(r, 0), undefined);
  }
  await tick();
  assert.deepEqual(asked, [[5_000_000, BLOCK]]);
  assert.equal(model.cell(5_000_020, 0), '5000020');
  assert.equal(model.cell(5_000_020, 1), null);
  // Scrolling through many screens holds only the blocks near the view.
  for (let r = 0; r < 100 * BLOCK; r += BLOCK) {
    model.cell(r, 0);
    await tick();
  }
  assert.ok(model.heldBlocks <= MAX_BLOCKS, `${model.heldBlocks} blocks held`);
  assert.ok(changes.includes('rows'));
});

test('a stopped count says no count is coming, and a new view counts again', async () => {
  let counts = 0;
  const source = {
    page: async (_: IView, offset: number, limit: number) =>
      rows(offset, limit),
    count: async () => {
      counts++;
      if (counts === 1) {
        throw new Error('Stopped: the kernel was interrupted.');
      }
      return 42;
    }
  };
  const errors: string[] = [];
  const model = new PageCache(source, 1000, () => {});
  model.onError = message => errors.push(message);
  model.start();
  await tick();
  assert.equal(model.counted, null);
  assert.equal(model.countStopped, true);
  assert.deepEqual(errors, ['Stopped: the kernel was interrupted.']);
  model.setView({ sort: [], filters: [], search: 'x' });
  assert.equal(model.countStopped, false);
  await tick();
  assert.equal(model.counted, 42);
});

test('a filter value of the wrong type is refused before any query', () => {
  const checked = checkFilter({
    column: COLUMNS[0],
    op: 'range',
    value: '',
    low: 'ten',
    high: ''
  });
  assert.ok('problem' in checked && /not a number/.test(checked.problem));
  const ok = checkFilter({
    column: COLUMNS[0],
    op: 'range',
    value: '',
    low: '10',
    high: '2e3'
  });
  assert.deepEqual(ok, {
    filter: { column: 'id', op: 'range', low: '10', high: '2e3' }
  });
});

test('an error of no request is told to the grid once it is open', async () => {
  const comm = new FakeComm();
  const c = new GridConnection(comm, 'k:1');
  const told: string[] = [];
  c.onError = m => told.push(m);
  comm.answer({
    type: 'ready',
    result: 'k:1',
    columns: COLUMNS,
    pinned: false
  });
  await c.opened;
  comm.answer({ type: 'error', id: null, message: 'bad request shape' });
  assert.deepEqual(told, ['bad request shape']);
});
