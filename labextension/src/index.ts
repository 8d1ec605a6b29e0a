/**
 * KBase Spark SQL's live grid for JupyterLab: every result set of a live KBase Spark SQL
 * kernel becomes a grid over the whole result, sorted, filtered, searched and paged by
 * Spark. Each notebook gets the result renderer (with that notebook's kernel) and a watch
 * on its kernel's messages for the results they make live.
 */
import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { IThemeManager } from '@jupyterlab/apputils';
import {
  INotebookTracker,
  NotebookActions,
  NotebookPanel
} from '@jupyterlab/notebook';

import { KernelMessage } from '@jupyterlab/services';

import { LiveGrid } from './grid';
import { IGridHost, resultRendererFactory } from './renderer';
import { noteMessage } from './transient';

function hostFor(panel: NotebookPanel, grids: Set<LiveGrid>): IGridHost {
  return {
    sessionContext: panel.sessionContext,
    grids,
    runCellOf: node => {
      const notebook = panel.content;
      const index = notebook.widgets.findIndex(cell =>
        cell.node.contains(node)
      );
      if (index < 0) {
        return;
      }
      notebook.activeCellIndex = index;
      notebook.deselectAll();
      void NotebookActions.run(notebook, panel.sessionContext);
    }
  };
}

const plugin: JupyterFrontEndPlugin<void> = {
  id: 'kbase-spark-sql-grid:plugin',
  description: 'Live grids over KBase Spark SQL results, computed by Spark.',
  autoStart: true,
  requires: [INotebookTracker],
  optional: [IThemeManager],
  activate: (
    _app: JupyterFrontEnd,
    tracker: INotebookTracker,
    themes: IThemeManager | null
  ) => {
    const grids = new Set<LiveGrid>();
    themes?.themeChanged.connect(() => {
      // The new theme's variables are in place once its style sheet has loaded.
      requestAnimationFrame(() => grids.forEach(g => g.applyTheme()));
    });
    tracker.widgetAdded.connect((_, panel) => {
      panel.content.rendermime.addFactory(
        resultRendererFactory(hostFor(panel, grids))
      );
      panel.sessionContext.iopubMessage.connect(
        (_, msg) =>
          msg.channel === 'iopub' &&
          noteMessage(msg as KernelMessage.IIOPubMessage)
      );
    });
  }
};

export default plugin;
