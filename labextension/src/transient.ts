/**
 * Where a live result is found: the `kbase_spark_grid` key of the output message's
 * `transient`. JupyterLab's output model keeps the whole message it was made from but
 * drops `transient` when it saves (its `toJSON`), so the saved notebook never holds it;
 * this reads it back from the model, and, should a JupyterLab keep it elsewhere, from the
 * kernel's messages as they pass (matched by the result's Arrow data).
 */
import { IRenderMime } from '@jupyterlab/rendermime-interfaces';
import { KernelMessage } from '@jupyterlab/services';

import { ILiveResult } from './protocol';

export const ARROW_MIME = 'application/vnd.apache.arrow.stream';
const KEY = 'kbase_spark_grid';

function parse(transient: unknown): ILiveResult | null {
  if (typeof transient !== 'object' || transient === null) {
    return null;
  }
  const grid = (transient as Record<string, unknown>)[KEY];
  if (typeof grid !== 'object' || grid === null) {
    return null;
  }
  const { result, rows_shown } = grid as Record<string, unknown>;
  if (typeof result !== 'string' || typeof rows_shown !== 'number') {
    return null;
  }
  return { result, rows_shown };
}

/** Live results seen in the kernel's messages, by their Arrow data (the newest few). */
const seen = new Map<string, ILiveResult>();
const SEEN_MAX = 64;

/** Notes the live result a kernel message carries, if it carries one. */
export function noteMessage(msg: KernelMessage.IIOPubMessage): void {
  const content = msg.content as {
    transient?: unknown;
    data?: Record<string, unknown>;
  };
  const live = parse(content.transient);
  const arrow = content.data?.[ARROW_MIME];
  if (live && typeof arrow === 'string') {
    seen.delete(arrow);
    seen.set(arrow, live);
    while (seen.size > SEEN_MAX) {
      const oldest = seen.keys().next().value;
      if (oldest === undefined) {
        break;
      }
      seen.delete(oldest);
    }
  }
}

/** The live result an output model stands for, or null for a stored or foreign output. */
export function liveResult(model: IRenderMime.IMimeModel): ILiveResult | null {
  const raw = (model as unknown as { _raw?: { transient?: unknown } })._raw;
  const fromModel = parse(raw?.transient);
  if (fromModel) {
    return fromModel;
  }
  const arrow = model.data[ARROW_MIME];
  return typeof arrow === 'string' ? (seen.get(arrow) ?? null) : null;
}
