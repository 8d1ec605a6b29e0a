/**
 * A column filter as the person types it, checked before any query: a range over a number
 * or date column must hold numbers or dates, or the grid says so and asks nothing of Spark
 * (the kernel checks again and refuses a value of the wrong type itself).
 */
import { FilterOp, IColumn, IFilter } from './protocol';

/** What the filter form holds. */
export interface IFilterInput {
  column: IColumn;
  op: FilterOp;
  value: string;
  low: string;
  high: string;
}

/** A filter ready to send, or why it cannot be. */
export type Checked = { filter: IFilter } | { problem: string };

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?)?$/;

/** The operations that make sense for a column of `kind`. */
export function opsFor(kind: IColumn['kind']): FilterOp[] {
  switch (kind) {
    case 'number':
    case 'date':
    case 'timestamp':
      return ['range', 'equals', 'is_null', 'not_null'];
    case 'text':
      return ['contains', 'equals', 'is_null', 'not_null'];
    default:
      return ['equals', 'is_null', 'not_null'];
  }
}

/** Words for an operation, as the form and the filter chips show them. */
export const OP_LABEL: Record<FilterOp, string> = {
  contains: 'contains',
  equals: 'equals',
  range: 'between',
  is_null: 'is null',
  not_null: 'is not null'
};

function typeProblem(column: IColumn, text: string): string | null {
  const value = text.trim();
  switch (column.kind) {
    case 'number':
      return NUMBER.test(value)
        ? null
        : `"${text}" is not a number: ${column.name} is ${column.type}.`;
    case 'date':
      return DATE.test(value)
        ? null
        : `"${text}" is not a date (YYYY-MM-DD): ${column.name} is ${column.type}.`;
    case 'timestamp':
      return TIMESTAMP.test(value)
        ? null
        : `"${text}" is not a timestamp (YYYY-MM-DD hh:mm:ss): ${column.name} is ${column.type}.`;
    case 'boolean':
      return /^(true|false)$/i.test(value)
        ? null
        : `"${text}" is not true or false: ${column.name} is ${column.type}.`;
    default:
      return null;
  }
}

/** Checks the form: a filter to send, or one line saying what to change. */
export function checkFilter(input: IFilterInput): Checked {
  const { column, op } = input;
  const name = column.name;
  switch (op) {
    case 'is_null':
    case 'not_null':
      return { filter: { column: name, op } };
    case 'range': {
      const low = input.low.trim();
      const high = input.high.trim();
      if (!low && !high) {
        return { problem: `Give a lowest or a highest value for ${name}.` };
      }
      for (const bound of [low, high]) {
        const problem = bound ? typeProblem(column, bound) : null;
        if (problem) {
          return { problem };
        }
      }
      const filter: IFilter = { column: name, op };
      if (low) {
        filter.low = low;
      }
      if (high) {
        filter.high = high;
      }
      return { filter };
    }
    default: {
      if (input.value === '') {
        return { problem: `Give a value for ${name} to ${OP_LABEL[op]}.` };
      }
      const problem = op === 'equals' ? typeProblem(column, input.value) : null;
      return problem
        ? { problem }
        : { filter: { column: name, op, value: input.value } };
    }
  }
}

/** A filter in a few words, for its chip. */
export function describeFilter(filter: IFilter): string {
  switch (filter.op) {
    case 'is_null':
    case 'not_null':
      return `${filter.column} ${OP_LABEL[filter.op]}`;
    case 'range':
      if (filter.low !== undefined && filter.high !== undefined) {
        return `${filter.low} ≤ ${filter.column} ≤ ${filter.high}`;
      }
      return filter.low !== undefined
        ? `${filter.column} ≥ ${filter.low}`
        : `${filter.column} ≤ ${filter.high ?? ''}`;
    default:
      return `${filter.column} ${OP_LABEL[filter.op]} "${filter.value ?? ''}"`;
  }
}
