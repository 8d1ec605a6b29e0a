/**
 * The live grid's comm protocol (target `kbase.spark.grid`), as the kernel speaks it: the
 * messages both ways, and one connection per grid that numbers the requests, answers each
 * with a promise, and lets a new page request supersede the earlier ones still in flight
 * (the kernel cancels those on the Spark server and answers them `cancelled`).
 */

/** The comm target the kernel registers. */
export const TARGET = 'kbase.spark.grid';

/** What the output's transient carries for a live result. */
export interface ILiveResult {
  result: string;
  rows_shown: number;
}

/** A result column, named and typed as the table header shows it. */
export interface IColumn {
  name: string;
  type: string;
  kind: 'number' | 'text' | 'date' | 'timestamp' | 'boolean' | 'other';
}

export interface ISortKey {
  column: string;
  descending: boolean;
}

export type FilterOp = 'contains' | 'equals' | 'range' | 'is_null' | 'not_null';

export interface IFilter {
  column: string;
  op: FilterOp;
  value?: string;
  low?: string;
  high?: string;
}

/** What the person asked to see: the whole result sorted, filtered and searched. */
export interface IView {
  sort: ISortKey[];
  filters: IFilter[];
  search: string;
}

export type Cell = string | null;

export type Answer =
  | {
      type: 'ready';
      result: string;
      columns: IColumn[];
      pinned: boolean;
    }
  | { type: 'gone'; reason: string; message: string }
  | { type: 'page'; id: number; offset: number; rows: Cell[][] }
  | { type: 'count'; id: number; total: number }
  | { type: 'cancelled'; id: number }
  | { type: 'error'; id?: number | null; message: string };

/** The part of a Jupyter comm the connection uses (a kernel's comm, or a fake in tests). */
export interface ICommLike {
  open(data: Record<string, unknown>): unknown;
  send(data: Record<string, unknown>): unknown;
  close(): unknown;
  onMsg: (msg: { content: { data: unknown } }) => void;
  onClose: (msg: unknown) => void;
}

/** Why a request got no rows: superseded by a later page, or refused by the kernel. */
export class RequestError extends Error {
  constructor(
    message: string,
    readonly cancelled: boolean
  ) {
    super(message);
  }
}

/** What a grid learns when it opens: the columns, or why the result cannot be explored. */
export type Opening =
  | { live: true; columns: IColumn[]; pinned: boolean }
  | { live: false; reason: string; message: string };

interface IPending {
  resolve: (answer: Answer) => void;
  reject: (error: RequestError) => void;
  kind: 'page' | 'count';
}

/** One grid's conversation with the kernel over one comm. */
export class GridConnection {
  /** Opens the comm for `result`; `opened` settles with the kernel's first answer. */
  constructor(
    private readonly comm: ICommLike,
    result: string
  ) {
    this.opened = new Promise<Opening>(resolve => {
      this.resolveOpened = resolve;
    });
    comm.onMsg = msg => this.onMessage(msg.content.data);
    comm.onClose = () => this.onClosed();
    comm.open({ result });
  }

  readonly opened: Promise<Opening>;

  /** Rows `offset`.. of `view`; supersedes every earlier page request still in flight. */
  page(view: IView, offset: number, limit: number): Promise<Cell[][]> {
    for (const [id, pending] of this.pending) {
      if (pending.kind === 'page') {
        // The kernel answers it `cancelled`; the caller need not wait for that.
        this.pending.delete(id);
        pending.reject(new RequestError('superseded', true));
      }
    }
    return this.request({ type: 'page', view, offset, limit }, 'page').then(
      a => (a.type === 'page' ? a.rows : [])
    );
  }

  /** The number of rows of `view`, counted by Spark. */
  count(view: IView): Promise<number> {
    return this.request({ type: 'count', view }, 'count').then(a =>
      a.type === 'count' ? a.total : 0
    );
  }

  /** Stops every request in flight (the grid went away, or its view changed). */
  cancelAll(): void {
    for (const [id, pending] of this.pending) {
      this.comm.send({ type: 'cancel', id });
      pending.reject(new RequestError('cancelled', true));
    }
    this.pending.clear();
  }

  /** Told of an error answer that names no request. */
  onError: ((message: string) => void) | null = null;

  /** Called when the comm closes from the kernel's side (a restart, a shutdown). */
  onLost: (() => void) | null = null;

  get closed(): boolean {
    return this.isClosed;
  }

  close(): void {
    if (this.isClosed) {
      return;
    }
    this.cancelAll();
    this.isClosed = true;
    this.comm.close();
  }

  private request(
    body: Record<string, unknown>,
    kind: 'page' | 'count'
  ): Promise<Answer> {
    if (this.isClosed) {
      return Promise.reject(
        new RequestError('The kernel no longer holds this result.', false)
      );
    }
    const id = ++this.lastId;
    return new Promise<Answer>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, kind });
      this.comm.send({ ...body, id });
    });
  }

  private onMessage(data: unknown): void {
    if (typeof data !== 'object' || data === null) {
      return;
    }
    const answer = data as Answer;
    switch (answer.type) {
      case 'ready':
        this.isOpen = true;
        this.resolveOpened({
          live: true,
          columns: answer.columns,
          pinned: answer.pinned
        });
        return;
      case 'gone':
        this.resolveOpened({
          live: false,
          reason: answer.reason,
          message: answer.message
        });
        return;
      default:
        break;
    }
    const id = answer.id;
    const pending = typeof id === 'number' ? this.pending.get(id) : undefined;
    if (typeof id !== 'number' || pending === undefined) {
      // An error of no request (`"id": null`): before `ready`, the result cannot be
      // explored; after it, the grid says so.
      if (answer.type === 'error' && typeof id !== 'number') {
        if (this.isOpen) {
          this.onError?.(answer.message);
        } else {
          this.resolveOpened({
            live: false,
            reason: 'unknown',
            message: answer.message
          });
        }
      }
      return;
    }
    this.pending.delete(id);
    if (answer.type === 'error') {
      pending.reject(new RequestError(answer.message, false));
    } else if (answer.type === 'cancelled') {
      pending.reject(new RequestError('cancelled', true));
    } else {
      pending.resolve(answer);
    }
  }

  private onClosed(): void {
    this.isClosed = true;
    this.resolveOpened({
      live: false,
      reason: 'unknown',
      message:
        'The kernel does not offer this result for exploring: run the cell again to explore it.'
    });
    for (const pending of this.pending.values()) {
      pending.reject(
        new RequestError('The kernel no longer holds this result.', false)
      );
    }
    this.pending.clear();
    this.onLost?.();
  }

  private resolveOpened: (opening: Opening) => void = () => undefined;
  private readonly pending = new Map<number, IPending>();
  private lastId = 0;
  private isClosed = false;
  private isOpen = false;
}
