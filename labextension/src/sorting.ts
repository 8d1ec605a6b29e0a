/**
 * Sorting by clicking a column header: a click sorts by that column (again to reverse),
 * shift-click adds it as a further key (or reverses it if it is one). A click near a header's
 * edge is left to the grid, which resizes the column there.
 */
import { BasicMouseHandler, DataGrid } from '@lumino/datagrid';

import { ISortKey } from './protocol';

/** How a click on `column`'s header changes the sort keys. */
export function nextSort(
  keys: ISortKey[],
  column: string,
  shift: boolean
): ISortKey[] {
  const i = keys.findIndex(k => k.column === column);
  if (shift) {
    if (i < 0) {
      return [...keys, { column, descending: false }];
    }
    return keys.map((k, j) =>
      j === i ? { column, descending: !k.descending } : k
    );
  }
  if (i >= 0 && keys.length === 1) {
    return [{ column, descending: !keys[0].descending }];
  }
  return [{ column, descending: false }];
}

/** The grid's mouse handler with header clicks that sort. */
export class SortingMouseHandler extends BasicMouseHandler {
  constructor(
    private readonly onSort: (column: number, shift: boolean) => void
  ) {
    super();
  }

  onMouseDown(grid: DataGrid, event: MouseEvent): void {
    const hit = grid.hitTest(event.clientX, event.clientY);
    const nearEdge = hit.x <= 5 || hit.width - hit.x <= 6;
    if (hit.region === 'column-header' && !nearEdge && event.button === 0) {
      event.preventDefault();
      event.stopPropagation();
      this.onSort(hit.column, event.shiftKey);
      return;
    }
    super.onMouseDown(grid, event);
  }
}
