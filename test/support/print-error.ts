import { expect } from 'vitest';
import { PrintError } from '../../main/printing/types';

/** The PrintError a send failed with; fails the test when it did not fail, or failed otherwise. */
export async function printError(attempt: Promise<unknown>): Promise<PrintError> {
  try {
    await attempt;
  } catch (error) {
    expect(error).toBeInstanceOf(PrintError);
    return error as PrintError;
  }
  throw new Error('expected the send to fail');
}
