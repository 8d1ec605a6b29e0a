/**
 * The live grid of one result: a toolbar (search, a filter per column, the status line
 * "rows 1–40 of 1,283,504,112") over a Lumino DataGrid whose rows come from the kernel.
 * Every sort, filter and search is a new view that Spark computes over the whole result.
 */
import {
  BasicKeyHandler,
  BasicSelectionModel,
  DataGrid
} from '@lumino/datagrid';
import { Panel, Widget } from '@lumino/widgets';

import { checkFilter, describeFilter, OP_LABEL, opsFor } from './filters';
import { ServerDataModel } from './model';
import { FilterOp, IColumn, IFilter, IView } from './protocol';
import { nextSort, SortingMouseHandler } from './sorting';
import { cellRenderers, gridStyle } from './theme';

/** How long typing in the search box pauses before the search runs. */
const SEARCH_PAUSE_MS = 400;
const ROW_HEIGHT = 22;
const VISIBLE_ROWS = 16;

/** The DataGrid, telling after each paint which rows it shows. */
class PaintedGrid extends DataGrid {
  onPainted: (() => void) | null = null;

  protected paintContent(rx: number, ry: number, rw: number, rh: number): void {
    super.paintContent(rx, ry, rw, rh);
    this.onPainted?.();
  }
}

function element<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className: string,
  text?: string
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  e.className = className;
  if (text !== undefined) {
    e.textContent = text;
  }
  return e;
}

export class LiveGrid extends Panel {
  constructor(model: ServerDataModel, rowsShown: number) {
    super();
    this.model = model;
    this.addClass('kbase-grid');
    this.toolbar = new Widget({ node: this.buildToolbar() });
    this.addWidget(this.toolbar);

    const grid = new PaintedGrid({
      defaultSizes: {
        rowHeight: ROW_HEIGHT,
        columnWidth: 140,
        rowHeaderWidth: 80,
        columnHeaderHeight: ROW_HEIGHT
      },
      headerVisibility: 'all',
      copyConfig: {
        separator: '\t',
        format: ({ value }) =>
          value === null ? 'NULL' : value === undefined ? '' : String(value),
        headers: 'none',
        warningThreshold: 1e6
      }
    });
    grid.addClass('kbase-grid-table');
    grid.dataModel = model;
    grid.selectionModel = new BasicSelectionModel({ dataModel: model });
    grid.keyHandler = new BasicKeyHandler();
    grid.mouseHandler = new SortingMouseHandler((column, shift) =>
      this.sortBy(column, shift)
    );
    grid.onPainted = () => this.updateStatus();
    const height =
      ROW_HEIGHT * (2 + Math.min(Math.max(rowsShown, 3), VISIBLE_ROWS)) + 18;
    grid.node.style.height = `${height}px`;
    this.grid = grid;
    this.addWidget(grid);
    this.applyTheme();

    model.onStatus = () => {
      this.error.textContent = '';
      this.updateStatus();
    };
    model.onError = message => this.showProblem(message);
  }

  readonly model: ServerDataModel;

  /** Colours and fonts again, after the theme changed. */
  applyTheme(): void {
    this.grid.style = gridStyle();
    const numeric = (c: number): boolean =>
      this.model.columns[c]?.kind === 'number';
    const { body, header } = cellRenderers(numeric);
    this.grid.cellRenderers.update({
      body,
      'column-header': header,
      'row-header': header,
      'corner-header': header
    });
  }

  /** The first and last rows in view (0-based), as last painted. */
  visibleRows(): [number, number] {
    const g = this.grid;
    const first = Math.max(0, g.rowAt('body', g.scrollY));
    const last = g.rowAt('body', g.scrollY + g.pageHeight - 1);
    const total = this.model.rowCount('body');
    return [first, last < 0 ? total - 1 : Math.min(last, total - 1)];
  }

  /** Scrolls so that row `row` (0-based) is the first in view. */
  scrollToRow(row: number): void {
    this.grid.scrollTo(this.grid.scrollX, row * ROW_HEIGHT);
  }

  private setView(change: Partial<IView>): void {
    this.model.setView({ ...this.model.view, ...change });
    // A selection named rows of the previous view.
    this.grid.selectionModel?.clear();
    this.grid.scrollTo(0, 0);
    this.renderChips();
  }

  private sortBy(column: number, shift: boolean): void {
    const name = this.model.columns[column]?.name;
    if (name !== undefined) {
      this.setView({ sort: nextSort(this.model.view.sort, name, shift) });
    }
  }

  private updateStatus(): void {
    const total = this.model.rowCount('body');
    const counted = this.model.counted;
    const fmt = (n: number): string => n.toLocaleString('en-US');
    const stopped = this.model.countStopped;
    if (total === 0) {
      this.status.textContent =
        counted !== null
          ? 'no rows match'
          : stopped
            ? 'rows not counted'
            : 'counting rows…';
      return;
    }
    const [first, last] = this.visibleRows();
    const of =
      counted !== null
        ? fmt(counted)
        : `at least ${fmt(total)}${stopped ? '' : ' (counting…)'}`;
    this.status.textContent = `rows ${fmt(first + 1)}–${fmt(last + 1)} of ${of}`;
  }

  private showProblem(message: string): void {
    this.error.textContent = message;
  }

  private buildToolbar(): HTMLElement {
    const bar = element('div', 'kbase-grid-toolbar');
    const search = element('input', 'kbase-grid-search jp-mod-styled');
    search.type = 'search';
    search.placeholder = 'Search text columns';
    search.setAttribute('aria-label', 'Search every text column');
    let timer = 0;
    search.addEventListener('input', () => {
      window.clearTimeout(timer);
      timer = window.setTimeout(
        () => this.setView({ search: search.value }),
        SEARCH_PAUSE_MS
      );
    });
    search.addEventListener('keydown', event => {
      if (event.key === 'Enter') {
        window.clearTimeout(timer);
        this.setView({ search: search.value });
      }
      event.stopPropagation();
    });
    bar.append(search, this.buildFilterForm(), this.status);
    const lower = element('div', 'kbase-grid-lower');
    lower.append(this.chips, this.error);
    const wrap = element('div', 'kbase-grid-head');
    wrap.append(bar, lower);
    return wrap;
  }

  private buildFilterForm(): HTMLElement {
    const form = element('form', 'kbase-grid-filter');
    const column = element('select', 'kbase-grid-filter-column jp-mod-styled');
    column.setAttribute('aria-label', 'Column to filter');
    this.model.columns.forEach((c, i) => {
      const option = element('option', '', `${c.name} (${c.type})`);
      option.value = String(i);
      column.append(option);
    });
    const op = element('select', 'kbase-grid-filter-op jp-mod-styled');
    op.setAttribute('aria-label', 'How to filter');
    const value = element('input', 'kbase-grid-filter-value jp-mod-styled');
    value.placeholder = 'value';
    const low = element('input', 'kbase-grid-filter-low jp-mod-styled');
    low.placeholder = 'from';
    const high = element('input', 'kbase-grid-filter-high jp-mod-styled');
    high.placeholder = 'to';
    const add = element(
      'button',
      'kbase-grid-filter-add jp-mod-styled',
      'Filter'
    );
    add.type = 'submit';
    const selected = (): IColumn => this.model.columns[Number(column.value)];
    const showInputs = (): void => {
      const o = op.value as FilterOp;
      value.hidden = o === 'range' || o === 'is_null' || o === 'not_null';
      low.hidden = high.hidden = o !== 'range';
    };
    const fillOps = (): void => {
      op.replaceChildren(
        ...opsFor(selected().kind).map(o => {
          const option = element('option', '', OP_LABEL[o]);
          option.value = o;
          return option;
        })
      );
      showInputs();
    };
    column.addEventListener('change', fillOps);
    op.addEventListener('change', showInputs);
    form.addEventListener('keydown', event => event.stopPropagation());
    form.addEventListener('submit', event => {
      event.preventDefault();
      const checked = checkFilter({
        column: selected(),
        op: op.value as FilterOp,
        value: value.value,
        low: low.value,
        high: high.value
      });
      if ('problem' in checked) {
        this.showProblem(checked.problem);
        return;
      }
      this.error.textContent = '';
      value.value = low.value = high.value = '';
      this.addFilter(checked.filter);
    });
    fillOps();
    form.append(column, op, value, low, high, add);
    return form;
  }

  private addFilter(filter: IFilter): void {
    this.setView({ filters: [...this.model.view.filters, filter] });
  }

  private renderChips(): void {
    const filters = this.model.view.filters;
    this.chips.replaceChildren(
      ...filters.map((f, i) => {
        const chip = element('span', 'kbase-grid-chip', describeFilter(f));
        const remove = element('button', 'kbase-grid-chip-remove', '×');
        remove.title = 'Remove this filter';
        remove.addEventListener('click', () =>
          this.setView({ filters: filters.filter((_, j) => j !== i) })
        );
        chip.append(remove);
        return chip;
      })
    );
  }

  private readonly grid: PaintedGrid;
  private readonly toolbar: Widget;
  private readonly status = element('span', 'kbase-grid-status');
  private readonly error = element('span', 'kbase-grid-error');
  private readonly chips = element('span', 'kbase-grid-chips');
}
