/**
 * The renderer of a result set in a notebook: today's HTML table, exactly, until the kernel
 * says the result is live; then the live grid. A result from an earlier kernel session (a
 * reopened notebook, a restart) keeps its table with a note and a button to run its cell
 * again. Registered unsafe, so an untrusted notebook keeps JupyterLab's own HTML rendering.
 */
import { ISessionContext } from '@jupyterlab/apputils';
import { IRenderMime } from '@jupyterlab/rendermime-interfaces';
import { htmlRendererFactory } from '@jupyterlab/rendermime';
import { Kernel } from '@jupyterlab/services';
import { Panel, Widget } from '@lumino/widgets';

import { LiveGrid } from './grid';
import { ServerDataModel } from './model';
import { GridConnection, TARGET } from './protocol';
import { ARROW_MIME, liveResult } from './transient';

/** The kernelspec the grid talks to. */
export const KERNEL_NAME = 'kbase-spark-sql';

/** What a renderer needs of its notebook. */
export interface IGridHost {
  readonly sessionContext: ISessionContext;
  /** Runs the cell whose output holds `node`. */
  runCellOf(node: HTMLElement): void;
  /** Every live grid of the notebook, to restyle when the theme changes. */
  readonly grids: Set<LiveGrid>;
}

const EARLIER =
  'This result is from an earlier kernel session: run the cell again to explore it.';

export class ResultRenderer extends Panel implements IRenderMime.IRenderer {
  constructor(
    private readonly options: IRenderMime.IRendererOptions,
    private readonly host: IGridHost
  ) {
    super();
    this.addClass('kbase-result');
  }

  async renderModel(model: IRenderMime.IMimeModel): Promise<void> {
    this.release();
    const html = htmlRendererFactory.createRenderer({
      ...this.options,
      mimeType: 'text/html'
    });
    this.addWidget(html);
    await html.renderModel(model);
    // A notebook being opened renders its stored outputs before its kernel has started.
    await this.host.sessionContext.ready;
    const kernel = this.kbaseKernel();
    if (!kernel) {
      return;
    }
    // The kernel's message is noted just after the output is made: look once it has been.
    await new Promise(resolve => setTimeout(resolve, 0));
    const live = liveResult(model);
    if (!live) {
      this.showEarlier(EARLIER);
      return;
    }
    const connection = new GridConnection(
      kernel.createComm(TARGET) as never,
      live.result
    );
    this.connection = connection;
    const opening = await connection.opened;
    if (this.connection !== connection || this.isDisposed) {
      return;
    }
    if (!opening.live) {
      connection.close();
      this.showEarlier(opening.message);
      return;
    }
    const data = new ServerDataModel(
      connection,
      opening.columns,
      live.rows_shown
    );
    const grid = new LiveGrid(data, live.rows_shown);
    grid.node.dataset.result = live.result;
    this.grid = grid;
    this.host.grids.add(grid);
    html.hide();
    this.addWidget(grid);
    data.start();
    connection.onLost = () => this.showEarlier(EARLIER);
    connection.onError = message => data.pages.onError?.(message);
    const restarted = (): void => this.showEarlier(EARLIER);
    const status = (_: unknown, s: Kernel.Status): void => {
      if (s === 'restarting' || s === 'autorestarting' || s === 'dead') {
        restarted();
      }
    };
    this.host.sessionContext.kernelChanged.connect(restarted);
    kernel.statusChanged.connect(status);
    this.unhook = () => {
      this.host.sessionContext.kernelChanged.disconnect(restarted);
      kernel.statusChanged.disconnect(status);
    };
  }

  dispose(): void {
    this.release();
    super.dispose();
  }

  /** The notebook's kernel, when it is a live KBase Spark SQL kernel. */
  private kbaseKernel(): Kernel.IKernelConnection | null {
    const kernel = this.host.sessionContext.session?.kernel;
    return kernel && kernel.name === KERNEL_NAME && !kernel.isDisposed
      ? kernel
      : null;
  }

  /** The stored table, with a note saying why it is not live and a button to run again. */
  private showEarlier(message: string): void {
    if (this.isDisposed || this.note) {
      return;
    }
    if (this.grid) {
      this.host.grids.delete(this.grid);
      this.grid.dispose();
      this.grid = null;
    }
    for (const w of this.widgets) {
      w.show();
    }
    const node = document.createElement('div');
    node.className = 'kbase-result-earlier';
    const text = document.createElement('span');
    text.textContent = message;
    const button = document.createElement('button');
    button.className = 'jp-mod-styled kbase-result-run';
    button.textContent = 'Run the cell again';
    button.addEventListener('click', () => this.host.runCellOf(this.node));
    node.append(text, button);
    this.note = new Widget({ node });
    this.insertWidget(0, this.note);
  }

  private release(): void {
    this.connection?.close();
    this.connection = null;
    this.unhook?.();
    this.unhook = null;
    if (this.grid) {
      this.host.grids.delete(this.grid);
    }
    this.grid = null;
    this.note = null;
    for (const w of [...this.widgets]) {
      w.dispose();
    }
  }

  private connection: GridConnection | null = null;
  private grid: LiveGrid | null = null;
  private note: Widget | null = null;
  private unhook: (() => void) | null = null;
}

/** The factory added to each notebook's renderers, before `text/html`. */
export function resultRendererFactory(
  host: IGridHost
): IRenderMime.IRendererFactory {
  return {
    safe: false,
    mimeTypes: [ARROW_MIME],
    defaultRank: 40,
    createRenderer: options => new ResultRenderer(options, host)
  };
}
