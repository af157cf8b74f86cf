/**
 * Saves text as a file the way both the desktop app and a browser allow: a Blob behind a
 * temporary `<a download>` link, clicked once and removed.
 */
export function downloadText(fileName: string, text: string, type = 'text/csv;charset=utf-8'): void {
  const blob = new Blob([text], { type });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  a.hidden = true;
  document.body.appendChild(a);
  try {
    a.click();
  } finally {
    a.remove();
    // the download has taken its copy by the time the page runs again
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  }
}

/** A CSV for spreadsheet programs: starts with the UTF-8 byte-order mark, so Hindi names read right. */
export function withBom(csv: string): string {
  return csv.startsWith('\uFEFF') ? csv : `\uFEFF${csv}`;
}
