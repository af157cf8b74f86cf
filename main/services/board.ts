/**
 * The waiting hall's board: its view of the queue, its events and its settings (see common/board.ts).
 * The board window itself is opened through BoardScreenPort, which the desktop app implements
 * (main/electron/board-window.ts); without it (web bridge, tests) there is no window to open.
 */

/** One display the board window can be opened on. */
export interface BoardDisplay {
  id: number;
  label: string;
  primary: boolean;
  width: number;
  height: number;
}

/** The board window, as main's services see it. */
export interface BoardScreenPort {
  displays(): BoardDisplay[];
  /** opens the board full screen on that display (null: the first one that is not the primary, else the primary) */
  open(displayId: number | null): void;
  close(): void;
  isOpen(): boolean;
}
