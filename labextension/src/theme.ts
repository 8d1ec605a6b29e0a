/**
 * The grid's colours from JupyterLab's theme variables, read again whenever the theme
 * changes, so the grid looks like the rest of JupyterLab in light and dark themes.
 */
import { DataGrid, TextRenderer } from '@lumino/datagrid';

function cssVar(name: string, fallback: string): string {
  const value = getComputedStyle(document.body).getPropertyValue(name).trim();
  return value || fallback;
}

/** The grid's style in the current theme. */
export function gridStyle(): DataGrid.Style {
  return {
    ...DataGrid.defaultStyle,
    voidColor: cssVar('--jp-layout-color0', 'white'),
    backgroundColor: cssVar('--jp-layout-color0', 'white'),
    rowBackgroundColor: i =>
      i % 2 === 0 ? '' : cssVar('--jp-rendermime-table-row-background', ''),
    headerBackgroundColor: cssVar('--jp-layout-color2', '#eee'),
    gridLineColor: cssVar('--jp-border-color3', '#ddd'),
    headerGridLineColor: cssVar('--jp-border-color2', '#ccc'),
    selectionFillColor: 'rgba(33, 150, 243, 0.2)',
    selectionBorderColor: cssVar('--jp-brand-color1', '#1976d2'),
    headerSelectionFillColor: 'rgba(33, 150, 243, 0.2)',
    cursorBorderColor: cssVar('--jp-brand-color1', '#1976d2')
  };
}

/** How cells are drawn: the theme's font and colours, numbers on the right. */
export function cellRenderers(numeric: (column: number) => boolean): {
  body: TextRenderer;
  header: TextRenderer;
} {
  const font = cssVar('--jp-code-font-family', 'monospace');
  const size = cssVar('--jp-code-font-size', '13px');
  const uiFont = cssVar('--jp-ui-font-family', 'sans-serif');
  const color = cssVar('--jp-ui-font-color1', 'black');
  const muted = cssVar('--jp-ui-font-color2', 'gray');
  const body = new TextRenderer({
    font: `${size} ${font}`,
    textColor: ({ value }) => (value === null ? muted : color),
    format: ({ value }) =>
      value === null ? 'NULL' : value === undefined ? '…' : String(value),
    horizontalAlignment: ({ column }) => (numeric(column) ? 'right' : 'left'),
    elideDirection: ({ column }) => (numeric(column) ? 'left' : 'right')
  });
  const header = new TextRenderer({
    font: ({ row }) =>
      row === 0 ? `bold ${size} ${uiFont}` : `${size} ${uiFont}`,
    textColor: ({ row }) => (row === 0 ? color : muted),
    format: ({ value }) => String(value ?? '')
  });
  return { body, header };
}
