/**
 * The rows of a view as the kernel gives them: the view's row count comes from Spark, and
 * rows are fetched a block at a time as the grid paints them. Only the blocks near the view
 * are held (a bounded cache, least recently painted dropped first), and each fetch is one
 * page request for the rows the grid is showing, which supersedes the earlier ones: scrolling
 * fast never queues a query per page. Apart from the grid's data model so that it runs (and
 * is tested) without a browser.
 */
import { Cell, IView, RequestError } from './protocol';

/** What the model needs of the kernel: pages and counts of a view. */
export interface IRowSource {
  page(view: IView, offset: number, limit: number): Promise<Cell[][]>;
  count(view: IView): Promise<number>;
}

/** Rows per cached block. */
export const BLOCK = 100;
/** The most rows one page request asks for (the kernel takes up to 1,000). */
export const MAX_PAGE = 1000;
/** Blocks held at most: a few screens around the view, whatever the result's size. */
export const MAX_BLOCKS = 24;

/** What changed: every row (a new view, a new count), or some rows that arrived. */
export type PagesChange =
  { type: 'reset' } | { type: 'rows'; row: number; count: number };

export class PageCache {
  constructor(
    private readonly source: IRowSource,
    initialTotal: number,
    private readonly changed: (change: PagesChange) => void
  ) {
    this.total = initialTotal;
  }

  /** The view's rows as far as known: counted, or at least those seen. */
  get rows(): number {
    return this.total;
  }

  /** The view the rows are of; set with `setView`. */
  get view(): IView {
    return this.currentView;
  }

  /** The view's row count, or null while Spark counts it (or if its count was stopped). */
  get counted(): number | null {
    return this.countedTotal;
  }

  /** Whether the view's count was stopped (an interrupt) or refused: no count is coming. */
  get countStopped(): boolean {
    return this.countFailed;
  }

  /** Told of every change a person should see in the status line. */
  onStatus: (() => void) | null = null;
  /** Told of a refused request (a filter value of the wrong type, a lost kernel). */
  onError: ((message: string) => void) | null = null;

  /** Blocks held now (for the status and for tests). */
  get heldBlocks(): number {
    return this.blocks.size;
  }

  /** Shows `view` from its first row: the cache is dropped and Spark counts the rows again. */
  setView(view: IView): void {
    this.currentView = view;
    this.generation++;
    this.blocks.clear();
    this.inFlight.clear();
    this.countedTotal = null;
    this.countFailed = false;
    const generation = this.generation;
    this.source.count(view).then(
      total => {
        if (generation !== this.generation) {
          return;
        }
        this.countedTotal = total;
        this.total = total;
        this.changed({ type: 'reset' });
        this.onStatus?.();
      },
      error => {
        if (generation === this.generation) {
          this.countFailed = true;
          this.onStatus?.();
        }
        this.refused(error, generation);
      }
    );
    this.changed({ type: 'reset' });
    this.onStatus?.();
  }

  /** Starts counting the first view (the result as the cell shows it). */
  start(): void {
    this.setView(this.currentView);
  }

  /** The sort key of `column`, with its position (1-based) among the keys, if it has one. */
  sortOf(column: string): { descending: boolean; position: number } | null {
    const keys = this.currentView.sort;
    const i = keys.findIndex(k => k.column === column);
    return i < 0 ? null : { descending: keys[i].descending, position: i + 1 };
  }

  /** The value at (row, column) if held; a missing block is asked for once painting ends. */
  cell(row: number, column: number): Cell | undefined {
    const index = Math.floor(row / BLOCK);
    const block = this.blocks.get(index);
    if (block) {
      // Most recently painted last: the first entries are the ones dropped.
      this.blocks.delete(index);
      this.blocks.set(index, block);
      return block[row - index * BLOCK]?.[column];
    }
    this.wanted.add(index);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setTimeout(() => this.flush(), 0);
    }
    return undefined;
  }

  /** One page request for the blocks the last paint missed (those nearest its first one). */
  private flush(): void {
    this.flushScheduled = false;
    const missing = [...this.wanted].filter(b => !this.inFlight.has(b));
    this.wanted.clear();
    if (missing.length === 0) {
      return;
    }
    const first = Math.min(...missing);
    const last = Math.min(
      Math.max(...missing),
      first + MAX_PAGE / BLOCK - 1,
      Math.max(first, Math.ceil(this.total / BLOCK) - 1)
    );
    const offset = first * BLOCK;
    const limit = Math.max(1, Math.min((last - first + 1) * BLOCK, MAX_PAGE));
    // The kernel cancels the page requests still in flight: so do we.
    this.inFlight.clear();
    for (let b = first; b <= last; b++) {
      this.inFlight.add(b);
    }
    const generation = this.generation;
    const request = ++this.requests;
    this.source.page(this.currentView, offset, limit).then(
      rows => this.received(generation, first, last, rows),
      error => {
        if (request === this.requests) {
          this.inFlight.clear();
        }
        this.refused(error, generation);
      }
    );
  }

  private received(
    generation: number,
    first: number,
    last: number,
    rows: Cell[][]
  ): void {
    if (generation !== this.generation) {
      return;
    }
    for (let b = first; b <= last; b++) {
      this.inFlight.delete(b);
      const start = (b - first) * BLOCK;
      const part = rows.slice(start, start + BLOCK);
      this.blocks.set(b, part);
    }
    while (this.blocks.size > MAX_BLOCKS) {
      const oldest = this.blocks.keys().next().value;
      if (oldest === undefined) {
        break;
      }
      this.blocks.delete(oldest);
    }
    // Until Spark has counted a new view, what a page holds bounds what is known.
    if (this.countedTotal === null) {
      const seen = first * BLOCK + rows.length;
      const more = rows.length === (last - first + 1) * BLOCK;
      const total = more ? Math.max(this.total, seen) : seen;
      if (total !== this.total) {
        this.total = total;
        this.changed({ type: 'reset' });
        this.onStatus?.();
        return;
      }
    }
    this.changed({
      type: 'rows',
      row: first * BLOCK,
      count: Math.min(rows.length, this.total - first * BLOCK)
    });
    this.onStatus?.();
  }

  private refused(error: unknown, generation: number): void {
    if (generation !== this.generation) {
      return;
    }
    if (error instanceof RequestError && error.cancelled) {
      return;
    }
    this.onError?.(error instanceof Error ? error.message : String(error));
  }

  private currentView: IView = { sort: [], filters: [], search: '' };
  private total: number;
  private countedTotal: number | null = null;
  private countFailed = false;
  private generation = 0;
  private readonly blocks = new Map<number, Cell[][]>();
  private readonly inFlight = new Set<number>();
  private readonly wanted = new Set<number>();
  private flushScheduled = false;
  private requests = 0;
}
