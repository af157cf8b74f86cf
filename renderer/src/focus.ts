/**
 * Where the operator's cursor goes back to. Screens register their main field by name; after
 * an action anything can send the focus there without holding a ref to it.
 */
import type { KeyboardEvent as ReactKeyboardEvent } from 'react';
import type { AppError } from '../../common/result';
import { appProblems, hasProblems, type FieldProblems } from './errors';
import { useCounter } from './store';

export type FocusTarget = 'search' | 'walkin-name';

const targets = new Map<FocusTarget, () => HTMLElement | null>();

export function registerFocusTarget(name: FocusTarget, get: () => HTMLElement | null): () => void {
  targets.set(name, get);
  return () => {
    if (targets.get(name) === get) targets.delete(name);
  };
}

/** Focuses a target after the current render has been committed. */
export function focusTarget(name: FocusTarget): void {
  setTimeout(() => targets.get(name)?.()?.focus(), 0);
}

/** The field the active tab starts from: the search box or the walk-in name. */
export function focusPrimary(): void {
  const tab = useCounter.getState().tab;
  if (tab === 'checkin') focusTarget('search');
  else if (tab === 'walkin') focusTarget('walkin-name');
}

/** Typing in a field must never trigger single-letter shortcuts. */
export function isTypingTarget(el: EventTarget | null): boolean {
  if (!(el instanceof HTMLElement)) return false;
  if (el.isContentEditable) return true;
  const tag = el.tagName;
  if (tag === 'TEXTAREA' || tag === 'SELECT') return true;
  if (tag !== 'INPUT') return false;
  const type = (el as HTMLInputElement).type;
  return !['button', 'checkbox', 'radio', 'submit', 'reset', 'file'].includes(type);
}

/** True while a dialog is open: the page's shortcuts wait until it closes. */
export function dialogOpen(): boolean {
  return document.querySelector('[role="dialog"][aria-modal="true"]') !== null;
}

/** Moves the focus to the first field (in form order) that has a problem; true if there was one. */
export function focusFirstInvalid(form: string, order: readonly string[], problems: Partial<Record<string, unknown>>): boolean {
  const first = order.find((f) => problems[f]);
  if (!first) return false;
  setTimeout(() => document.getElementById(`${form}-${first}`)?.focus(), 0);
  return true;
}

/**
 * A form's answer from main was a refusal: field problems go next to their fields (focus on
 * the first), the error itself to the form's notice. `prefix`: where the form sits in the
 * request (e.g. `walkIn.`), taken off main's field paths.
 */
export function showRefusal(
  error: AppError,
  form: string,
  order: readonly string[],
  setProblems: (p: FieldProblems) => void,
  setError: (e: AppError) => void,
  prefix = '',
): void {
  const p = appProblems(error.fields, prefix);
  if (hasProblems(p)) {
    setProblems(p);
    focusFirstInvalid(form, order, p);
  }
  setError(error);
}

/** A key handler: Esc backs out (`onCancel`) and goes no further up; other keys pass. */
export const escapeCancels = (onCancel: () => void) => (e: ReactKeyboardEvent) => {
  if (e.key !== 'Escape') return;
  e.preventDefault();
  e.stopPropagation();
  onCancel();
};
