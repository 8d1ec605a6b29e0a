/**
 * The grid's data model: the column header's two rows (each column's name with its sort
 * mark, and its Spark type), row numbers, and the body's values from the kernel's pages
 * (`pages.ts`), exactly as the kernel formatted them.
 */
import { DataModel } from '@lumino/datagrid';

import { PageCache, IRowSource } from './pages';
import { Cell, IColumn, IView } from './protocol';

/** The column header's two rows: the name (with its sort mark) and the Spark type. */
const HEADER_ROWS = 2;

export class ServerDataModel extends DataModel {
  constructor(
    source: IRowSource,
    readonly columns: IColumn[],
    initialTotal: number
  ) {
    super();
    this.pages = new PageCache(source, initialTotal, change => {
      if (change.type === 'reset') {
        this.emitChanged({ type: 'model-reset' });
      } else {
        this.emitChanged({
          type: 'cells-changed',
          region: 'body',
          row: change.row,
          column: 0,
          rowSpan: change.count,
          columnSpan: this.columns.length
        });
      }
    });
  }

  readonly pages: PageCache;

  get view(): IView {
    return this.pages.view;
  }

  /** The view's row count, or null while Spark counts it. */
  get counted(): number | null {
    return this.pages.counted;
  }

  /** Whether no count is coming for the view (it was stopped or refused). */
  get countStopped(): boolean {
    return this.pages.countStopped;
  }

  /** Told of every change a person should see in the status line. */
  set onStatus(f: (() => void) | null) {
    this.pages.onStatus = f;
  }

  /** Told of a refused request (a filter value of the wrong type, a lost kernel). */
  set onError(f: ((message: string) => void) | null) {
    this.pages.onError = f;
  }

  setView(view: IView): void {
    this.pages.setView(view);
  }

  start(): void {
    this.pages.start();
  }

  rowCount(region: DataModel.RowRegion): number {
    return region === 'body' ? this.pages.rows : HEADER_ROWS;
  }

  columnCount(region: DataModel.ColumnRegion): number {
    return region === 'body' ? this.columns.length : 1;
  }

  data(
    region: DataModel.CellRegion,
    row: number,
    column: number
  ): Cell | undefined {
    switch (region) {
      case 'row-header':
        return (row + 1).toLocaleString('en-US');
      case 'corner-header':
        return row === 0 ? '#' : '';
      case 'column-header':
        return row === 0 ? this.headerName(column) : this.columns[column].type;
      default:
        return this.pages.cell(row, column);
    }
  }

  private headerName(column: number): string {
    const name = this.columns[column].name;
    const sort = this.pages.sortOf(name);
    if (!sort) {
      return name;
    }
    const mark = sort.descending ? '▼' : '▲';
    return this.view.sort.length > 1
      ? `${name} ${mark}${sort.position}`
      : `${name} ${mark}`;
  }
}
